# One python3 process per candidate session (the process executor's Jupyter mode), speaking numina_cell's protocol.
# Protocol lines travel on duplicates of the original stdin/stdout, so code that writes to fd 1 or reads fd 0 cannot
# corrupt them. The parent sends SIGINT to stop a cell that overruns its timeout.
import io, os, sys

import numina_cell


def main():
    proto_in = os.fdopen(os.dup(0), "r", encoding="utf-8")
    proto_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    sys.stdin = io.StringIO("")  # input() raises EOFError
    numina_cell.install_sigint_handler()
    proto_out.write('{"ready": true}\n')
    proto_out.flush()
    while True:
        try:
            line = proto_in.readline()
            if not line:
                return
            proto_out.write(numina_cell.handle(line) + "\n")
            proto_out.flush()
        except KeyboardInterrupt:
            continue


main()
