"""pytest hooks for nbval on the book's pages: a failing cell is named by its chapter and line.

``python -m usrubook.book.nbcheck prepare`` writes ``_build/nbval/conftest.py``, which imports these hooks,
and stores in each prepared notebook's metadata (key ``usrubook``) the page it was made from and the lines
of its code cells. Then:

* a failed cell's report starts with one line such as
  ``chapters/trade.md:32: code cell 1 of 7 (starts at line 16) raised NameError: name 'x' is not defined``
  (nbval's own report, with the cell's code and traceback, follows);
* after a cell of a page raised, the page's later cells are skipped, not run into a cascade of
  NameErrors that all have the same cause.
"""
from __future__ import annotations

import pytest

from usrubook.book.cells import Cell, exception, line_in_cell, located

_FAILED = "usrubook_failed"


def _page(item) -> tuple[str, list[Cell]] | None:
    nb = getattr(getattr(item, "parent", None), "nb", None)
    meta = nb.metadata.get("usrubook") if nb is not None else None
    if not meta:
        return None
    cells = [Cell(n, fence, body) for n, (fence, body) in enumerate(meta["cells"], 1)]
    return meta["page"], cells


def describe(item, error) -> tuple[str, bool] | None:
    """The report line for nbval's error ``error`` on ``item``, and whether the cell raised (as opposed to
    its outputs differing from the reference)."""
    page = _page(item)
    num = getattr(error, "cell_num", None)
    if page is None or num is None:
        return None
    name, cells = page
    cell = cells[num] if num < len(cells) else None
    message = str(error)
    tb = getattr(error, "inner_traceback", None) or ""
    if message == "Cell execution caused an exception" or message.startswith("Timeout"):
        raised = exception(tb) or message
        inner = line_in_cell(tb)
        line = cell.body_line + inner - 1 if cell and inner else None
        return located(name, cell, len(cells), line, f"raised {raised}"), True
    if message == "Cell outputs differ":
        return located(name, cell, len(cells), None,
                       f"gives outputs that differ from tests/reference/{name[:-3]}.json (shown below).\n"
                       "If the change is intended, run `make refresh-references` and review the diff."), False
    return located(name, cell, len(cells), None, message), False


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed or call.excinfo is None:
        return
    found = describe(item, call.excinfo.value)
    if found is None:
        return
    line, raised = found
    report.longrepr = f"{line}\n\n{report.longrepr}"
    if raised:
        setattr(item.parent, _FAILED, line.split(":", 2)[0] + f", code cell {item.cell_num + 1}")


def pytest_runtest_setup(item):
    failed = getattr(getattr(item, "parent", None), _FAILED, None)
    if failed:
        pytest.skip(f"not run: {failed} raised before it")
