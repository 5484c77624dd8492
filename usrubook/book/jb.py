"""``python -m usrubook.book.jb build . -W -n --keep-going``: jupyter-book's own command line (the Makefile's
``$(JB)``), ending the process as soon as the command is done instead of tearing the interpreter down.

A build leaves hundreds of megabytes of Python objects behind (the environment, doctrees, citations). At exit
Python frees them one by one, which took 0.7 to 0.8 s after every build had written its last file: a sixth of
a rebuild after a prose edit. Here, once jupyter-book's command has exited, the exit handlers run (``atexit``:
kernel and logging clean-up), the standard streams are flushed, and :func:`os._exit` ends the process with
jupyter-book's exit status. An exception that jupyter-book does not turn into an exit (a failed build raises
one) takes Python's usual path: its report, the usual teardown, status 1.

A clean build of the web book (no page's execution recorded yet) also starts, before anything else, the kernel
server and the charts' converter its pages will use (:func:`usrubook.book.forkserver.start_early`).
"""
from __future__ import annotations

import atexit
import os
import sys
from pathlib import Path


def status_of(code) -> int:
    """The process's exit status for ``SystemExit(code)``, as Python gives it (a message is printed, status 1)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def executes_everything(argv: list[str]) -> Path | None:
    """The book's folder, if ``argv`` builds its web book (``build PATH``, no other builder) and no page's execution
    is recorded yet (no jupyter-cache: a clean build, which executes every page); else None."""
    other = ("--builder", "--config", "--toc", "--path-output")       # another build, or the cache elsewhere
    if len(argv) < 2 or argv[0] != "build" or any(a.startswith(other) for a in argv):
        return None
    book = Path(argv[1])
    if not (book / "_config.yml").is_file() or (book / "_build" / ".jupyter_cache").exists():
        return None
    return book


def main(argv: list[str] | None = None) -> int:
    """Run jupyter-book's command line with ``argv`` (default: this process's arguments); its exit status.

    A clean build of the web book starts the kernel server first (usrubook.book.forkserver.start_early): it
    imports what the chapters import while jupyter-book and Sphinx start (about 1.3 s of a clean build)."""
    argv = sys.argv[1:] if argv is None else argv
    book = executes_everything(argv)
    if book is not None:
        from usrubook.book import forkserver

        forkserver.start_early(book.resolve())
    from jupyter_book.cli.main import main as command

    try:
        command.main(args=argv, prog_name="jupyter-book")
    except SystemExit as done:
        return status_of(done.code)
    return 0


if __name__ == "__main__":
    status = main()
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
