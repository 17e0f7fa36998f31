"""Runs one notebook cell the way every Numina execution path does, and keeps the candidates' namespaces.

Used by notebook_driver.py (one python3 process per session: `handle`) and by the pythonnet worker host (`host_handle`).
The host is a zygote: it imports math, numpy and sympy once and never runs a candidate's code itself. A stateless block
runs in a fork of it that replies and exits, so it sees exactly what a new python3 that imported the same modules would
(no module state from any earlier block: mpmath.mp.dps, sys.setrecursionlimit, decimal precision, numpy print options,
a monkeypatched math.pi). A Jupyter session is a forked kernel of its own, so two candidates never share module state.
A cell result: stdout, stderr, the repr of a trailing expression (notebook style), the error type and a
Python-formatted traceback without this module's frames, elapsed time, truncation flags.
"""
import ast, builtins, io, json, linecache, os, select, signal, sys, time, traceback

HOST_PID = os.getpid()
_owner_pid = HOST_PID  # the process that answers for cells: the host, or a forked kernel
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


def _format_error(e, name=None):
    """The traceback as Python prints it, minus this module's frames (the cell runner and the SIGINT handler)."""
    if isinstance(e, SyntaxError) and e.filename == name:
        # The block itself does not parse: as Python prints it for a script, with no "Traceback" line and no frames.
        return "".join(traceback.format_exception_only(type(e), e))
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
    except SystemExit as e:
        # As a process would: exit status 0 (sys.exit() or sys.exit(0)) is a success with what was printed; another
        # number is a failure that prints nothing; anything else is printed on stderr and fails with status 1.
        _in_cell = False
        if e.code is not None and e.code != 0:
            message = "" if isinstance(e.code, int) else str(e.code) + "\n"
            err.write(message)
            reply.update(ok=False, error_type="SystemExit", traceback=message, exit_code=e.code if isinstance(e.code, int) else 1)
    except BaseException as e:  # KeyboardInterrupt too: the session must survive it
        _in_cell = False
        reply.update(ok=False, error_type=type(e).__name__, traceback=_format_error(e, name))
    finally:
        _in_cell = False
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        if os.getpid() != _owner_pid:
            os._exit(0)  # a child forked by the cell must never return into its parent and answer for it
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
    """One request of the in-process protocol (a JSON line) → one reply (a JSON line): notebook_driver.py's."""
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


# ---- The zygote: the pythonnet worker host's side. Every cell runs in a forked child. ----

_kernels = {}  # session -> (pid, request fd, reply fd)
_spares = []  # (pid, request fd, reply fd): pristine forks, warmed up, waiting to become a block's process or a kernel
_spares_wanted = 2
_children = set()  # forked children not yet reaped
_cancel_r, _cancel_w = os.pipe()  # the host writes a byte here to cancel the cell in flight
_forks = 0
_fork_seconds = 0.0


def cancel_fd():
    return _cancel_w


def freeze():
    """After the preloads: long-lived objects leave the collector's generations, so children do not copy their pages."""
    import gc
    gc.collect()
    gc.freeze()


def _close_inherited(keep):
    """A child keeps only stdio and its own pipes: never the host's protocol or another child's pipes."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def _reap():
    """Collects children that have exited, without waiting for any."""
    for pid in list(_children):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            _children.discard(pid)


def _kill(pid):
    for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            kill()
        except OSError:
            pass


def _ended(pid):
    """How a child that closed its pipe ended, in words."""
    try:
        _, status = os.waitpid(pid, 0)
        _children.discard(pid)
    except ChildProcessError:
        return "The Python process ended unexpectedly."
    if os.WIFSIGNALED(status):
        return "The Python process ended unexpectedly (signal %d)." % os.WTERMSIG(status)
    return "The Python process ended unexpectedly (exit code %d)." % os.WEXITSTATUS(status)


def _warm_up():
    """What a first cell would touch (compiling, the header's imports, a reply), touched now: the pages a fork shares
    with the zygote are copied while it waits, not while a cell runs. Module state is not changed."""
    line = json.dumps({"code": "import math\nimport numpy as np\nimport sympy as sp\nprint(1 + 1)", "name": "<warm-up>", "cap": 65536})
    req = json.loads(line)
    json.dumps(run_cell(new_namespace(), req["code"], req["name"], False, req["cap"]))
    linecache.cache.pop("<warm-up>", None)


def _child_main(requests, replies):
    """
    A spare's life: warm up, then wait for its first request. A "once" request (a stateless block) is run in a new
    namespace and the process ends; otherwise it is a Jupyter session's kernel, one namespace for every cell that
    comes until its pipe closes.
    """
    _warm_up()
    reader = os.fdopen(requests, "r", encoding="utf-8")
    ns = new_namespace()
    for line in reader:
        req = json.loads(line)
        _write_line(replies, json.dumps(run_cell(ns, req["code"], req["name"], req.get("trailing_expression", False), req.get("cap", 65536))))
        if req.get("once"):
            return


def _fork_spare():
    global _forks, _owner_pid, _fork_seconds
    req_r, req_w = os.pipe()
    rep_r, rep_w = os.pipe()
    started = time.perf_counter()
    pid = _fork()
    if pid == 0:
        code = 0
        try:
            os.setpgid(0, 0)  # a kill takes what the cell started along with it
            _close_inherited({req_r, rep_w})
            _owner_pid = os.getpid()
            _child_main(req_r, rep_w)
        except BaseException:
            code = 70
            try:
                traceback.print_exc(file=sys.__stderr__)  # into the worker's stderr (its crash report)
            except BaseException:
                pass
        finally:
            os._exit(code)  # never back into the host's code
    _forks += 1
    _fork_seconds += time.perf_counter() - started
    _children.add(pid)
    os.close(req_r)
    os.close(rep_w)
    return pid, req_w, rep_r


def _fork():
    """os.fork, after reaping what has exited: cells back to back leave no time for idle(), and exited children still
    count against the worker's process limit until reaped. At the limit (EAGAIN) it reaps and tries again for a while
    before giving up."""
    _reap()
    for attempt in range(40):
        try:
            return os.fork()
        except BlockingIOError:
            time.sleep(0.025)
            _reap()
    return os.fork()


def idle():
    """Called by the host after each reply, before it reads the next request: reap, and top up the warm spares."""
    _reap()
    while len(_spares) < _spares_wanted:
        _spares.append(_fork_spare())


def _take_spare():
    return _spares.pop(0) if _spares else _fork_spare()


def _retire(child, kill=True):
    """Closes a child's pipes and (unless it is leaving by itself) kills it; idle() reaps it."""
    pid, req_w, rep_r = child
    for fd in (req_w, rep_r):
        try:
            os.close(fd)
        except OSError:
            pass
    if kill:
        _kill(pid)


def _drain_cancel():
    while select.select([_cancel_r], [], [], 0)[0]:
        os.read(_cancel_r, 64)


def _await_reply(pid, fd, timeout_ms, grace_ms):
    """
    Waits for one reply line from a child: at the timeout it gets SIGINT (KeyboardInterrupt in the cell: a Jupyter
    namespace survives it), after the grace it is killed. A cancel from the host kills it at once.
    Returns (reply line or None, what happened: "ok" | "interrupted" | "killed" | "cancelled" | "crashed").
    """
    buf = b""
    started = time.monotonic()
    soft = started + timeout_ms / 1000.0 if timeout_ms else None
    hard = None
    interrupted = False
    while True:
        now = time.monotonic()
        if hard is not None and now >= hard:
            _kill(pid)
            return None, "killed"
        if soft is not None and hard is None and now >= soft:
            try:
                os.kill(pid, signal.SIGINT)
            except OSError:
                pass
            interrupted = True
            hard = now + grace_ms / 1000.0
        wait = None
        if hard is not None:
            wait = max(0.0, hard - now)
        elif soft is not None:
            wait = max(0.0, soft - now)
        ready, _, _ = select.select([fd, _cancel_r], [], [], wait)
        if _cancel_r in ready:
            _drain_cancel()
            _kill(pid)
            return None, "cancelled"
        if fd in ready:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return None, "crashed"
            buf += chunk
            if b"\n" in buf:
                return buf.split(b"\n", 1)[0].decode("utf-8", "replace"), "interrupted" if interrupted else "ok"


def _write_line(fd, text):
    data = (text + "\n").encode("utf-8")
    while data:
        data = data[os.write(fd, data):]


def _failure(reply, outcome, pid):
    """The reply of a cell whose process was killed, crashed or cancelled."""
    if outcome == "crashed":
        reply.update(ok=False, crashed=True, error_type="Crashed", traceback=_ended(pid), stdout="", stderr="")
    else:
        reply.update(ok=False, killed=outcome == "killed", cancelled=outcome == "cancelled", error_type="Timeout" if outcome == "killed" else "Cancelled",
                     traceback=None, stdout="", stderr="", interrupted=outcome == "killed")
    return reply


def _ask(child, req, once):
    """Sends a cell to a child and waits for its reply: (reply line or None, outcome)."""
    pid, req_w, rep_r = child
    try:
        _write_line(req_w, json.dumps({"code": req["code"], "name": req["name"], "trailing_expression": req.get("trailing_expression", False),
                                        "cap": req.get("cap", 65536), "once": once}))
    except OSError:
        return None, "crashed"
    return _await_reply(pid, rep_r, req.get("timeout_ms"), req.get("grace_ms", 2000))


def _run_fresh(req, reply):
    """A stateless block: a pristine fork of the zygote runs it in a new namespace, replies and exits."""
    child = _take_spare()
    line, outcome = _ask(child, req, once=True)
    if line is None:
        reply = _failure(reply, outcome, child[0])
        _retire(child)
        return reply
    _retire(child, kill=False)  # it has answered and is leaving by itself; idle() reaps it
    reply.update(json.loads(line))
    reply["interrupted"] = outcome == "interrupted"
    return reply


def _open_kernel(session):
    _close_kernel(session)
    _kernels[session] = _take_spare()


def _close_kernel(session):
    kernel = _kernels.pop(session, None)
    if kernel is not None:
        _retire(kernel)


def _run_in_kernel(req, reply):
    kernel = _kernels.get(req["session"])
    if kernel is None:
        reply.update(ok=False, session_lost=True, error="unknown session")
        return reply
    line, outcome = _ask(kernel, req, once=False)
    if line is None:
        # The kernel is gone (killed, crashed, cancelled): the session lost its namespace.
        _kernels.pop(req["session"], None)
        reply = _failure(reply, outcome, kernel[0])
        _retire(kernel)
        reply["session_lost"] = True
        return reply
    reply.update(json.loads(line))
    reply["interrupted"] = outcome == "interrupted"
    return reply


def host_handle(line):
    """One request of the worker protocol (a JSON line) → one reply (a JSON line), every cell in a forked child."""
    global _cells_run
    began = time.perf_counter()
    req = json.loads(line)
    op, reply = req.get("op"), {"id": req.get("id")}
    _drain_cancel()  # a cancel that came after its cell had already answered
    if op == "open":
        _open_kernel(req["session"])
        reply["ok"] = True
    elif op == "close":
        _close_kernel(req["session"])
        reply["ok"] = True
    elif op == "run":
        reply = _run_fresh(req, reply) if req.get("fresh", False) else _run_in_kernel(req, reply)
        reply["host_ms"] = (time.perf_counter() - began) * 1000  # the worker's own time for the request
        _cells_run += 1
    elif op == "stats":
        _reap()
        reply.update(ok=True, pid=os.getpid(), sessions=len(_kernels), spares=len(_spares), children=len(_children), cells=_cells_run,
                     forks=_forks, fork_ms=round(_fork_seconds * 1000 / max(1, _forks), 3), python=sys.version.split()[0], **_memory())
    else:
        reply.update(ok=False, error="unknown op %r" % (op,))
    return json.dumps(reply)
