"""The steps of ``make html`` that follow the Sphinx build (the chapter PDFs, the search index), started with it.

``make html`` starts the printer (:mod:`usrubook.book.chapterpdf`) and the indexer (:mod:`usrubook.book.search`)
beside ``jupyter-book build``, each told two files:

* ``--ready FILE``: the build writes it (:func:`mark_pages_ready`, at the end of the build, once the pages and
  the files under ``_static`` are in their final form, before the notebooks' kits are zipped) when it has had no
  warning so far. The step may then do its work, but keeps it aside: the build may still fail.
* ``--after FILE``: the Makefile writes the build's exit status there when the build is over. Only after status
  0 does a step put its work in place, and only if what it read is still what the build left (it compares the
  digests of its inputs, and does the work again if they changed); after another status it drops its work.

A step that sees no ready file starts when the status comes, as before. The Makefile names the ready file in
``$USRUBOOK_PAGES_READY``; without it (a build run by hand, or by the tests) none is written.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

ENV = "USRUBOOK_PAGES_READY"
POLL = 0.02     # seconds between two looks at the files

# the process that started this one (make's shell), taken first thing: if it ends, no status will come
_PARENT = os.getppid()


class BuildGone(RuntimeError):
    """The process that started this one ended without writing the build's status."""


class Build:
    """The build a step follows: its status file and its ready file (or None). ``parent`` is the process that
    writes the status (make's shell: by default the one that started this process); if it ends first, no status
    will come. None: do not watch it."""

    def __init__(self, status: Path, ready: Path | None = None, parent: int | None = _PARENT):
        self.status, self.ready, self.parent = Path(status), (Path(ready) if ready else None), parent

    def outcome(self) -> bool | None:
        """True if the build succeeded, False if it failed, None while it runs. Raises :class:`BuildGone` if the
        process that writes the status has ended without writing it."""
        if self.status.exists():
            return self.status.read_text(encoding="utf-8").strip() == "0"
        if self.parent is not None and (os.getppid() != self.parent or self.parent == 1):
            raise BuildGone(f"usrubook: the build ended without writing its status to {self.status}")
        return None

    def pages_ready(self) -> bool:
        return self.ready is not None and self.ready.exists()

    def _may_start(self) -> bool | None:
        outcome = self.outcome()
        if outcome is not None:
            return outcome
        return True if self.pages_ready() else None

    def started(self) -> bool:
        """Wait until the step may start: True once the pages are ready (the build may still fail) or the build
        has succeeded, False if it failed first."""
        return _wait(self._may_start)

    def finished(self) -> bool:
        """Wait for the build's outcome: whether it succeeded."""
        return _wait(self.outcome)

    async def started_async(self) -> bool:
        return await _wait_async(self._may_start)

    async def finished_async(self) -> bool:
        return await _wait_async(self.outcome)


def _wait(look):
    while (answer := look()) is None:
        time.sleep(POLL)
    return answer


async def _wait_async(look):
    import asyncio

    while (answer := look()) is None:
        await asyncio.sleep(POLL)
    return answer


def mark_pages_ready(app, exception) -> None:
    """``build-finished``: write the ready file named in ``$USRUBOOK_PAGES_READY`` if the HTML build has raised
    nothing and warned of nothing so far."""
    target = os.environ.get(ENV)
    if not target or exception is not None or app.builder.format != "html" or getattr(app, "_warncount", 0):
        return
    path = Path(target)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(f"{time.time():.3f}\n", encoding="utf-8")
    os.replace(tmp, path)
