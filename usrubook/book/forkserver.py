"""Chapter kernels forked from one process that has already imported what every chapter imports.

A clean build executes every page with code in a kernel of its own (:mod:`usrubook.book.execution`). Each
kernel used to start a Python process and import ipykernel, IPython, pandas, Altair and the book's chapter
code: about 1.4 s of CPU before the page's first line ran, ten times over, most of the build's execution on a
2-core machine. When the build executes more than one page, it now starts this server (:func:`running`):
``python -m usrubook.book.forkserver SOCKET`` imports all that once (:data:`PRELOAD`), and each page's kernel
is a fork of it. A fork is a process of its own, with memory of its own (copied when written); it starts from
the state the imports left, as a freshly started kernel does, and no page sees another's variables or state,
for no page's code ever runs in the server. The server runs no chapter code and converts no chart: vl-convert
starts threads, and a fork keeps only the thread that forked.

jupyter_client still starts and manages one process per kernel, :data:`CLIENT` (``python -I -S``, the standard
library only): it hands the server its standard input, output and error (so the build captures the kernel's
standard error as before), its folder, environment and arguments; it then stands for the kernel, forwarding the
signals it is sent (interrupt, terminate) and exiting with the kernel's exit status. If the client is killed,
the server kills its kernel; if the server is gone, or cannot be reached, the client becomes an ordinary kernel
itself (``python -m ipykernel_launcher``), so that a page never fails for want of the server. The server and
every kernel forked from it end when the process that started them ends (Linux's parent-death signal).
"""
from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLIENT = Path(__file__).resolve().with_name("forkclient.py")
# What a chapter's kernel imports before its first cell, and what the chapters import; never vl_convert (threads).
PRELOAD = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "IPython", "IPython.display",
           "pandas", "altair", "usrubook", "usrubook.chapter")
LAUNCHER = ["-m", "ipykernel_launcher"]


def client_command(socket_path: str, cmd: list[str]) -> list[str]:
    """The kernel command ``cmd`` (``python -m ipykernel_launcher -f CONNECTION ...``) as a fork of the server at
    ``socket_path``; any other command as it is."""
    if len(cmd) < 3 or cmd[1:3] != LAUNCHER:
        return cmd
    return [cmd[0], "-I", "-S", str(CLIENT), socket_path, *cmd[3:]]


class Server:
    """A server process, ``python -m <module> SOCKET`` (this module's kernel server, or the charts' converter,
    :mod:`usrubook.book.vlserver`), started at once (:meth:`path` waits until it listens); :meth:`close` ends it.
    What the server wrote to its standard error goes to ``report`` (a function of the text) if it ended by
    itself: then the kernels started meanwhile did without it (ordinary kernels, :data:`CLIENT`; or charts
    converted in each kernel)."""

    def __init__(self, cwd: Path, report=None, module: str = "usrubook.book.forkserver"):
        self.report = report
        self.folder = Path(tempfile.mkdtemp(prefix="usrubook-forks-"))
        self.socket = self.folder / "server"
        with open(self.folder / "server.log", "wb") as log:
            self.process = subprocess.Popen([sys.executable, "-m", module, str(self.socket)],
                                            cwd=cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                            start_new_session=True)

    def path(self) -> str:
        """The server's socket, once it listens (or it has ended, or 30 s have passed: then clients fall back)."""
        deadline = time.monotonic() + 30
        while not self.socket.exists() and self.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        return str(self.socket)

    def close(self) -> None:
        if self.folder is None:
            return
        ended = self.process.poll() is not None
        if not ended:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        text = (self.folder / "server.log").read_text(encoding="utf-8", errors="replace").strip()
        if ended and self.report is not None:
            self.report(text or f"it ended with status {self.process.returncode}")
        for leftover in self.folder.iterdir():
            leftover.unlink()
        self.folder.rmdir()
        self.folder = None


CONVERTER = "usrubook.book.vlserver"


@contextlib.contextmanager
def running(cwd: Path, report=None, module: str = "usrubook.book.forkserver"):
    """A server for the time of the ``with`` block: its socket's path (see :class:`Server`)."""
    server = Server(cwd, report, module)
    try:
        yield server.path()
    finally:
        server.close()


# The servers started before the build knows what it will execute (start_early), until the build takes them.
_early: dict[str, Server] = {}


def start_early(cwd: Path) -> None:
    """Start the kernel server and the charts' converter now, for the build about to start in this process: a
    clean build executes every page, and they import (and start vl-convert's engine) on the second core while
    jupyter-book and Sphinx start on the first. Ended at exit if the build never takes them (:func:`take_early`)."""
    import atexit

    if not _early:
        for module in ("usrubook.book.forkserver", CONVERTER):
            _early[module] = Server(cwd, module=module)
        atexit.register(lambda: [_early.pop(m).close() for m in list(_early)])


def take_early(stack: contextlib.ExitStack, report=None, module: str = "usrubook.book.forkserver") -> str | None:
    """The socket of the server of ``module`` that :func:`start_early` started, if any, now ended with
    ``stack``; else None."""
    server = _early.pop(module, None)
    if server is None:
        return None
    server.report = report
    stack.callback(server.close)
    return server.path()


def _die_with_parent() -> None:
    """Have Linux send SIGKILL to this process when the process that started it ends (prctl PR_SET_PDEATHSIG)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _recv_request(conn: socket.socket) -> tuple[dict, list[int], bytes]:
    """A client's request (its arguments, folder and environment), the descriptors it passed, and what it sent
    after the request (signals it was sent while it waited)."""
    data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 3)
    while len(data) < 4 or len(data) < 4 + struct.unpack("!I", data[:4])[0]:
        more = conn.recv(1 << 16)
        if not more:
            raise ConnectionError("the client left before its request was complete")
        data += more
    size = struct.unpack("!I", data[:4])[0]
    return json.loads(data[4:4 + size].decode("utf-8")), list(fds), data[4 + size:]


def _signal_kernel(pid: int, data: bytes) -> None:
    """Pass the signals a client forwarded (``S`` and the signal's number, each) to its kernel's process group."""
    for i in range(0, len(data) - 1, 2):
        if data[i:i + 1] == b"S":
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, data[i + 1])


def _kernel(request: dict, fds: list[int]) -> None:
    """In the forked child: become the kernel the client asked for. Never returns."""
    status = 1
    try:
        os.setsid()             # a process group of its own, as an ordinary kernel has: a signal reaches what it starts
        _die_with_parent()
        for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)
        signal.set_wakeup_fd(-1)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        # as `python -m ipykernel_launcher` has it: the launcher removes the folder `-m` put first (here the
        # server's); the kernel then adds '' after the standard library
        del sys.path[0]
        sys.argv = ["ipykernel_launcher", *request["argv"]]
        # ipykernel read $JPY_PARENT_PID (set by jupyter_client for the client) when the server imported it
        if os.environ.get("JPY_PARENT_PID"):
            sys.argv.append(f"--IPKernelApp.parent_handle={int(os.environ['JPY_PARENT_PID'])}")
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
        status = 0
    except SystemExit as done:
        status = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        try:
            import atexit

            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(status)


def listen(path: str) -> socket.socket:
    """A server's start (this one's, and the charts' converter's): it dies with the process that started it, and
    listens at ``path``, which appears only once clients can connect (they then wait in the queue until served)."""
    _die_with_parent()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path + ".tmp")
    listener.listen(64)
    os.rename(path + ".tmp", path)
    return listener


def serve(path: str) -> None:
    """Listen at ``path``, import :data:`PRELOAD`, then fork a kernel for each client until terminated."""
    listener = listen(path)          # clients may connect now; they wait until the imports are done
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    # What the imports made lives as long as a kernel does: out of the collector's sight (gc.freeze), a kernel's
    # collections, and the full one IPython makes as it ends (its reset at exit), walk only what its page made.
    import gc

    gc.collect()
    gc.freeze()
    wake_r, wake_w = socket.socketpair()
    wake_r.setblocking(False)
    wake_w.setblocking(False)
    signal.set_wakeup_fd(wake_w.fileno(), warn_on_full_buffer=False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    kernels: dict[int, socket.socket] = {}         # pid -> the client's connection
    clients: dict[socket.socket, int] = {}
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    selector.register(wake_r, selectors.EVENT_READ, "signal")
    try:
        while not stop:
            for key, _ in selector.select():
                if key.data == "accept":
                    conn, _ = listener.accept()
                    try:
                        request, fds, early = _recv_request(conn)
                    except (OSError, ValueError, ConnectionError):
                        conn.close()
                        continue
                    pid = os.fork()
                    if pid == 0:
                        selector.close()
                        for sock in (listener, wake_r, wake_w, conn, *clients):
                            sock.close()
                        _kernel(request, fds)
                    for fd in fds:
                        os.close(fd)
                    kernels[pid], clients[conn] = conn, pid
                    selector.register(conn, selectors.EVENT_READ, "client")
                    with contextlib.suppress(OSError):
                        conn.sendall(b"P" + struct.pack("!q", pid))
                    _signal_kernel(pid, early)
                elif key.data == "signal":
                    with contextlib.suppress(OSError):
                        while wake_r.recv(4096):
                            pass
                    _reap(kernels, clients, selector)
                else:
                    conn = key.fileobj
                    if conn not in clients:     # its kernel ended and was reaped earlier in this round
                        continue
                    try:
                        data = conn.recv(64)
                    except OSError:
                        data = b""
                    pid = clients[conn]
                    if not data:        # the client is gone: so is its kernel
                        with contextlib.suppress(ProcessLookupError, PermissionError):
                            os.killpg(pid, signal.SIGKILL)
                        selector.unregister(conn)
                        clients.pop(conn)
                        conn.close()
                        continue
                    _signal_kernel(pid, data)
            _reap(kernels, clients, selector)
    finally:
        for pid in kernels:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)


def _reap(kernels: dict, clients: dict, selector) -> None:
    """Collect the kernels that have ended, and tell each one's client its exit status."""
    while kernels:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = kernels.pop(pid, None)
        if conn is None:
            continue
        code = os.waitstatus_to_exitcode(status)
        with contextlib.suppress(OSError):
            conn.sendall(b"X" + struct.pack("!i", code))
        if conn in clients:
            clients.pop(conn)
            selector.unregister(conn)
            conn.close()


if __name__ == "__main__":
    serve(sys.argv[1])
