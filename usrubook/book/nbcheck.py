"""Prepare the book's pages for nbval, and refresh their reference outputs.

nbval compares only cells that carry stored outputs. A MyST Markdown page has
none, so the cells that matter (key tables and glued figures, tagged
``nbval-check-output``) get reference outputs from ``tests/reference/``:

* ``python -m usrubook.book.nbcheck prepare`` writes ``_build/nbval/<page>.ipynb`` for
  every executable page in ``_toc.yml``, with the reference outputs filled in;
  ``pytest --nbval-lax _build/nbval`` then runs every cell and compares the
  tagged ones. Each notebook records its page and the lines of its code cells, and
  ``_build/nbval/conftest.py`` loads :mod:`usrubook.book.nbvalplugin`, so that a failing
  cell is reported by its chapter and line.
* ``python -m usrubook.book.nbcheck refresh`` (``make refresh-references``) executes
  each page and stores the outputs of its tagged cells. Run it on purpose, when
  a change of value is intended, and review the diff of ``tests/reference/``.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import jupytext
import nbformat
import yaml

from usrubook.pipeline.csvio import write_if_changed
from usrubook.paths import book_root

TAG = "nbval-check-output"
REFERENCE_DIR = "tests/reference"
OUT_DIR = "_build/nbval"


class ReferenceMismatch(Exception):
    """The stored reference outputs no longer match the page."""

    pass


def pages(root: Path) -> list[str]:
    """Executable pages (with code cells) in ``_toc.yml`` order, as paths relative to the root."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
    walk({k: v for k, v in toc.items() if k != "root"})
    out = []
    for f in files:
        path = root / f"{f}.md"
        if path.is_file() and "{code-cell}" in path.read_text(encoding="utf-8"):
            out.append(f"{f}.md")
    return out


def _checked(nb) -> list[tuple[int, dict]]:
    return [(i, c) for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and TAG in c.get("metadata", {}).get("tags", [])]


def _reference_path(root: Path, page: str) -> Path:
    return root / REFERENCE_DIR / (page[:-3] + ".json")


CONFTEST = ("# Written by `python -m usrubook.book.nbcheck prepare`: failing cells are named by chapter and line.\n"
            "from usrubook.book.nbvalplugin import pytest_runtest_makereport, pytest_runtest_setup  # noqa: F401\n")


def _cell_lines(text: str, nb) -> list[list[int]] | None:
    """``[fence line, first code line]`` of each code cell of the page, if myst-nb and jupytext agree on them."""
    from usrubook.book.cells import code_cells

    cells = list(code_cells(text).values())
    code = [c for c in nb.cells if c.cell_type == "code"]
    if len(cells) != len(code):
        return None
    return [[c.fence_line, c.body_line] for c in cells]


def prepare(root: Path) -> list[Path]:
    written = []
    for page in pages(root):
        text = (root / page).read_text(encoding="utf-8")
        nb = jupytext.read(root / page)
        ref_path = _reference_path(root, page)
        checked = _checked(nb)
        if checked and not ref_path.is_file():
            raise ReferenceMismatch(f"{page}: {len(checked)} {'cell is' if len(checked) == 1 else 'cells are'} tagged {TAG} but {ref_path.relative_to(root)} "
                                 "is missing. Run `make refresh-references` and commit the file.")
        refs = json.loads(ref_path.read_text(encoding="utf-8"))["cells"] if checked else []
        if len(refs) != len(checked):
            raise ReferenceMismatch(f"{page}: {len(checked)} {'cell is' if len(checked) == 1 else 'cells are'} tagged {TAG}, the reference file has "
                                 f"{len(refs)}. Run `make refresh-references` and review the diff.")
        for n, ((index, cell), ref) in enumerate(zip(checked, refs, strict=True), 1):
            if cell.source != ref["source"]:
                raise ReferenceMismatch(f"{page}: the code of checked cell {n} (cell {index + 1} of the page) has changed "
                                     "since its reference outputs were stored. Run `make refresh-references` and "
                                     "review the diff of tests/reference/.")
            cell.outputs = [nbformat.from_dict(o) for o in ref["outputs"]]
            cell.execution_count = n
        lines = _cell_lines(text, nb)
        if lines is not None:
            nb.metadata["usrubook"] = {"page": page, "cells": lines}
        out = root / OUT_DIR / (page[:-3] + ".ipynb")
        write_if_changed(out, nbformat.writes(nb))
        written.append(out)
    write_if_changed(root / OUT_DIR / "conftest.py", CONFTEST)
    return written


def refresh(root: Path) -> list[Path]:
    from nbclient import NotebookClient

    written = []
    for page in pages(root):
        nb = jupytext.read(root / page)
        if not _checked(nb):
            stale = _reference_path(root, page)
            if stale.exists():          # the page no longer has checked cells: its old outputs would mislead
                stale.unlink()
                written.append(stale)
            continue
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str((root / page).parent)}}).execute()
        cells = []
        for _, cell in _checked(nb):
            outputs = []
            for o in cell.outputs:
                o = dict(o)
                o.pop("execution_count", None)
                outputs.append(o)
            cells.append({"source": cell.source, "outputs": outputs})
        path = _reference_path(root, page)
        text = json.dumps({"page": page, "cells": cells}, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        if write_if_changed(path, text):
            written.append(path)
    return written


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in ("prepare", "refresh"):
        print("usage: python -m usrubook.book.nbcheck prepare|refresh", file=sys.stderr)
        return 2
    root = book_root()
    try:
        done = prepare(root) if argv[0] == "prepare" else refresh(root)
    except ReferenceMismatch as exc:
        print(f"nbval references: {exc}", file=sys.stderr)
        return 1
    if argv[0] == "prepare":
        print(f"nbval: {len(done)} {'notebook' if len(done) == 1 else 'notebooks'} prepared in {OUT_DIR}/")
    else:
        print(f"nbval: {len(done)} reference {'file' if len(done) == 1 else 'files'} refreshed"
              + "".join(f"\n  {p.relative_to(root)}" for p in done))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
