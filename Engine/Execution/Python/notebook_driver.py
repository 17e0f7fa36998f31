# A notebook-style Python session for one candidate: one live namespace, one cell per request.
# Protocol: one JSON object per line on the original stdin/stdout (fds duplicated at start, so code that writes to
# fd 1 or reads fd 0 cannot corrupt it). The parent sends SIGINT to stop a cell that overruns its timeout.
import ast, io, json, linecache, os, signal, sys, time, traceback

DRIVER = __file__
CAP = int(os.environ.get("NUMINA_CELL_OUTPUT_CAP", "65536"))


class CappedWriter(io.TextIOBase):
    """Keeps the first and the last CAP characters of what is written, and whether anything was dropped."""

    def __init__(self):
        self.head, self.tail, self.dropped = [], "", False
        self.head_len = 0

    def writable(self):
        return True

    def write(self, s):
        s = str(s)
        n = len(s)
        room = CAP - self.head_len
        if room > 0:
            self.head.append(s[:room])
            self.head_len += min(room, len(s))
            s = s[room:]
        if s:
            self.dropped = self.dropped or len(self.tail) + len(s) > CAP
            self.tail = (self.tail + s)[-CAP:]
        return n

    def value(self):
        return "".join(self.head) + ("\n...\n" if self.dropped else "") + self.tail, self.dropped


def format_error(e):
    tb = e.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == DRIVER:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(e), e, tb))


in_cell = False


def on_sigint(signum, frame):
    if in_cell:  # a SIGINT that arrives between cells is dropped, not raised into the protocol loop
        raise KeyboardInterrupt


def run_cell(ns, source, name, trailing_expression):
    out, err = CappedWriter(), CappedWriter()
    reply = {"ok": True, "value": None, "error_type": None, "traceback": None}
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    sys.stdout, sys.stderr = out, err
    started = time.perf_counter()
    global in_cell
    in_cell = True
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
        reply.update(ok=False, error_type=type(e).__name__, traceback=format_error(e))
    finally:
        in_cell = False
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    reply["elapsed_ms"] = (time.perf_counter() - started) * 1000
    reply["stdout"], reply["stdout_truncated"] = out.value()
    reply["stderr"], reply["stderr_truncated"] = err.value()
    return reply


def main():
    proto_in = os.fdopen(os.dup(0), "r", encoding="utf-8")
    proto_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    sys.stdin = io.StringIO("")  # input() raises EOFError
    signal.signal(signal.SIGINT, on_sigint)
    ns = {"__name__": "__main__", "__builtins__": __builtins__}
    proto_out.write(json.dumps({"ready": True, "pid": os.getpid()}) + "\n")
    proto_out.flush()
    while True:
        try:
            line = proto_in.readline()
            if not line:
                return
            req = json.loads(line)
            reply = run_cell(ns, req["code"], req["name"], req.get("trailing_expression", False))
            proto_out.write(json.dumps(reply) + "\n")
            proto_out.flush()
        except KeyboardInterrupt:
            continue  # a late SIGINT after the cell already finished


main()
