"""Where a page's code cells are in its MyST Markdown file, and what a failed cell's traceback says.

Used to report a failing chapter by the chapter's own lines, by the book build
(:mod:`usrubook.book.execution`) and by nbval (:mod:`usrubook.book.nbvalplugin`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# IPython names the cell's own frame "Cell In[3], line 14" (older versions: "Input In [3], in <cell line: 14>()")
_CELL_LINE = re.compile(r"^(?:Cell In ?\[[^\]]*\], line (\d+)|Input In ?\[[^\]]*\],? in <cell line: (\d+)>)",
                        re.MULTILINE)
# The last line of a traceback that starts at the margin with "SomeError: ..." (the exception and its message)
_EXCEPTION = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning|Iteration)\b.*)$", re.MULTILINE)


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


@dataclass
class Cell:
    number: int        # 1-based, among the page's code cells
    fence_line: int    # line of the ``{code-cell}`` fence
    body_line: int     # line of the cell's first line of code


def code_cells(text: str, nb=None) -> dict[int, Cell]:
    """The page's code cells by notebook cell index, with their lines in ``text``.

    ``nb`` is the notebook myst-nb reads from ``text`` with ``add_source_map=True`` (read here if not given).
    """
    if nb is None:
        from myst_nb.core.read import read_myst_markdown_notebook

        nb = read_myst_markdown_notebook(text, add_source_map=True)
    lines = text.splitlines()
    cells, number = {}, 0
    for index, (cell, start) in enumerate(zip(nb.cells, nb.metadata.get("source_map", []), strict=False)):
        if cell.cell_type != "code":
            continue
        number += 1
        body = cell.source.splitlines()
        body_line = start + 1
        for k in range(start, len(lines)):        # past the options (":tags: ..." or a YAML block)
            if lines[k:k + len(body)] == body:
                body_line = k + 1
                break
        cells[index] = Cell(number, start, body_line)
    return cells


def line_in_cell(traceback: str) -> int | None:
    """The line, within the cell, of the cell's statement that raised (from an IPython traceback)."""
    m = _CELL_LINE.search(strip_ansi(traceback))
    return int(m.group(1) or m.group(2)) if m else None


def exception(traceback: str) -> str | None:
    """``"Type: message"`` (with the message's further lines) from the end of an IPython traceback."""
    text = strip_ansi(traceback).rstrip()
    found = list(_EXCEPTION.finditer(text))
    return text[found[-1].start():] if found else None


def located(page: str, cell: Cell | None, count: int, line: int | None, what: str) -> str:
    """One report line: ``page:line: code cell N of M (starts at line L) <what>``, ``what``'s further lines
    indented under it."""
    where = f"{page}:{line or (cell.fence_line if cell else 1)}"
    name = f"code cell {cell.number} of {count} (starts at line {cell.fence_line})" if cell else "a code cell"
    what = "\n    ".join(part.strip() for part in what.strip().splitlines())
    return f"{where}: {name} {what}"
