"""A chapter's kernel as jupyter_client sees it, forked by the book's kernel server (usrubook/book/forkserver.py).

Run as ``python -I -S forkclient.py SOCKET -f CONNECTION [kernel options]``: the standard library only, so that it
starts in a few milliseconds. It passes the server its standard input, output and error, its folder, environment
and kernel arguments; forwards the signals it is sent to the kernel; and exits with the kernel's exit status (128
plus the signal's number for a kernel ended by a signal). If the server cannot be reached, it becomes the kernel
itself: ``python -m ipykernel_launcher`` with the same arguments; so it does if the server has not forked the kernel
within :data:`WAIT` seconds (the server then kills the kernel it forks later, its client being gone).
"""
import json
import os
import signal
import socket
import struct
import sys

WAIT = 20          # seconds for the server to fork the kernel (it imports first), else an ordinary kernel
                   # (within nbclient's 60 s for a kernel to answer)
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)


def _ordinary_kernel(argv):
    os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *argv])


def main():
    path, argv = sys.argv[1], sys.argv[2:]
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.connect(path)
        body = json.dumps({"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}).encode("utf-8")
        socket.send_fds(server, [struct.pack("!I", len(body)) + body], [0, 1, 2])
    except OSError:
        server.close()
        _ordinary_kernel(argv)

    def forward(signum, frame):
        try:
            server.sendall(b"S" + bytes([signum]))
        except OSError:
            pass

    for signum in FORWARDED:
        signal.signal(signum, forward)
    received, started = b"", False
    server.settimeout(WAIT)
    while True:
        try:
            chunk = server.recv(64)
        except OSError:         # a timeout among them: the server did not fork a kernel in time
            chunk = b""
        if not chunk:
            if not started:         # the server ended before it forked a kernel for this client
                _ordinary_kernel(argv)
            os._exit(1)
        received += chunk
        while received:
            if received[:1] == b"P" and len(received) >= 9:
                started, received = True, received[9:]
                server.settimeout(None)
            elif received[:1] == b"X" and len(received) >= 5:
                code = struct.unpack("!i", received[1:5])[0]
                os._exit(code if code >= 0 else 128 - code)
            else:
                break


if __name__ == "__main__":
    main()
