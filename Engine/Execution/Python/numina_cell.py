"""Runs one notebook cell the way every Numina execution path does, and keeps the candidates' namespaces.

Used by notebook_driver.py (one python3 process per session) and by the pythonnet worker host (many sessions per
process). A cell result: stdout, stderr, the repr of a trailing expression (notebook style), the error type and a
Python-formatted traceback without this module's frames, elapsed time, truncation flags.
"""
import ast, builtins, io, json, linecache, os, signal, sys, time, traceback

HOST_PID = os.getpid()
_in_cell = False
_sessions = {}
_cells_run = 0


class CappedWriter(io.TextIOBase):
    """Keeps the first and the last `cap` characters written, and whether anything in between was dropped."""

    def __init__(self, cap):
        self.cap, self.head, self.head_len, self.tail, self.dropped = cap, [], 0, "", False

    def writable(self):
        return True

    def write(self, s):
        s = str(s)
        n = len(s)
        room = self.cap - self.head_len
        if room > 0:
            self.head.append(s[:room])
            self.head_len += min(room, n)
            s = s[room:]
        if s:
            self.dropped = self.dropped or len(self.tail) + len(s) > self.cap
            self.tail = (self.tail + s)[-self.cap:]
        return n

    def value(self):
        return "".join(self.head) + ("\n...\n" if self.dropped else "") + self.tail, self.dropped


def _on_sigint(signum, frame):
    if _in_cell:  # a SIGINT that arrives between cells is dropped, never raised into the host's loop
        raise KeyboardInterrupt


def install_sigint_handler():
    signal.signal(signal.SIGINT, _on_sigint)


def _without_own_frames(te, own):
    te.stack = traceback.StackSummary.from_list([f for f in te.stack if f.filename != own])
    for chained in (te.__cause__, te.__context__):
        if chained is not None:
            _without_own_frames(chained, own)
    return te


def _format_error(e):
    """The traceback as Python prints it, minus this module's frames (the cell runner and the SIGINT handler)."""
    te = traceback.TracebackException.from_exception(e)
    return "".join(_without_own_frames(te, run_cell.__code__.co_filename).format())


def new_namespace():
    return {"__name__": "__main__", "__builtins__": builtins}


def run_cell(ns, source, name, trailing_expression=False, cap=65536):
    global _in_cell, _cells_run
    if signal.getsignal(signal.SIGINT) is not _on_sigint:
        install_sigint_handler()  # an earlier cell replaced it: later cells must stay interruptible
    out, err = CappedWriter(cap), CappedWriter(cap)
    reply = {"ok": True, "value": None, "error_type": None, "traceback": None, "interrupted": False}
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    sys.stdout, sys.stderr = out, err
    started = time.perf_counter()
    _in_cell = True
    try:
        tree = ast.parse(source, filename=name, mode="exec")
        last = None
        if trailing_expression and tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        exec(compile(tree, name, "exec"), ns)
        if last is not None:
            value = eval(compile(last, name, "eval"), ns)
            if value is not None:
                reply["value"] = repr(value)
    except BaseException as e:  # SystemExit and KeyboardInterrupt too: the session must survive them
        _in_cell = False
        reply.update(ok=False, error_type=type(e).__name__, traceback=_format_error(e))
    finally:
        _in_cell = False
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        if os.getpid() != HOST_PID:
            os._exit(0)  # a child forked by the cell must never return into the host and answer for it
    _cells_run += 1
    reply["elapsed_ms"] = (time.perf_counter() - started) * 1000
    reply["stdout"], reply["stdout_truncated"] = out.value()
    reply["stderr"], reply["stderr_truncated"] = err.value()
    return reply


def _memory():
    stats = {}
    for path, keys in (("/proc/self/status", ("VmRSS", "VmHWM")), ("/proc/self/smaps_rollup", ("Pss",))):
        try:
            with open(path) as f:
                for line in f:
                    key = line.split(":")[0]
                    if key in keys:
                        stats[key.lower() + "_kb"] = int(line.split()[1])
        except OSError:
            pass
    return stats


def handle(line):
    """One request of the worker protocol (a JSON line) → one reply (a JSON line)."""
    req = json.loads(line)
    op, reply = req.get("op"), {"id": req.get("id")}
    if op == "open":
        _sessions[req["session"]] = new_namespace()
        reply["ok"] = True
    elif op == "close":
        _sessions.pop(req["session"], None)
        reply["ok"] = True
    elif op == "run":
        fresh = req.get("fresh", False)
        ns = new_namespace() if fresh else _sessions.get(req["session"])
        if ns is None:
            reply.update(ok=False, error="unknown session")
        else:
            reply.update(run_cell(ns, req["code"], req["name"], req.get("trailing_expression", False), req.get("cap", 65536)))
    elif op == "stats":
        reply.update(ok=True, pid=os.getpid(), sessions=len(_sessions), cells=_cells_run,
                     python=sys.version.split()[0], **_memory())
    else:
        reply.update(ok=False, error="unknown op %r" % (op,))
    return json.dumps(reply)
