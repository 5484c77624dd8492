"""Load the derived tables for the chapters: the one way chapters read data."""
from __future__ import annotations

import difflib
import hashlib
import inspect
import linecache
import os
from pathlib import Path

import pandas as pd

from usrubook.book.protocol import CHAPTER_ENV
from usrubook.errors import DataError
from usrubook.pipeline.csvio import read_table
from usrubook.paths import book_root
from usrubook.pipeline.schema import DERIVED

_DTYPES = {"string": "string", "date": "string", "integer": "Int64", "number": "Float64", "boolean": "boolean"}

class UnknownTableError(DataError, KeyError):
    """``load()`` was asked for a table that ``data/`` does not have; names where it was called."""

    def __str__(self) -> str:     # KeyError would quote the message
        return DataError.__str__(self)


def load(name: str) -> pd.DataFrame:
    """The derived table ``name`` (e.g. ``"trade"``) as a typed DataFrame.

    The file is validated against its schema first, so a hand-edited value that
    is not a number fails here with the file, line and column; a file with the bytes it had when last loaded
    is not read again (a copy of that table is returned). An unknown name
    fails with the chapter and line of the call, the closest table name and the list of tables.
    """
    if name not in DERIVED:
        file, line = call_site()
        problem, fix = unknown_table(name)
        raise UnknownTableError(file, problem, line=line, fix=fix)
    table = DERIVED[name]
    path = book_root() / table.path
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:         # read_table says what is wrong with the file
        digest = None
    kept = _LOADED.get(name)
    if digest is not None and kept is not None and kept[0] == digest:
        return kept[1].copy()
    rows = read_table(path, table, table.path)
    frame = pd.DataFrame([{k: v for k, v in r.items() if not k.startswith("_")} for r in rows],
                         columns=table.names)
    frame = frame.astype({f.name: _DTYPES[f.type] for f in table.fields})
    if digest is not None:
        _LOADED[name] = (digest, frame.copy())
    return frame


# name -> (SHA-256 of the file, the table as loaded): a chapter asks for the same tables many times (each sources
# box reads the claims and the sources); a file with the same bytes is validated and converted once per kernel.
# load() returns a copy, so that what one cell does to its table no other cell sees.
_LOADED: dict[str, tuple[str, pd.DataFrame]] = {}


def unknown_table(name: str) -> tuple[str, str]:
    """The problem and the fix for ``load(name)`` of a table that does not exist (also the build's check)."""
    close = difflib.get_close_matches(str(name), DERIVED, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return (f"load({name!r}): there is no table {name!r} in data/.",
            f"{hint}The tables are: {', '.join(sorted(DERIVED))}.")


def call_site(depth: int = 2) -> tuple[str, int | None]:
    """``(file, line)`` of the frame ``depth`` calls up (2: the caller of the function that calls this).

    In a notebook cell the file is the chapter's Markdown file and the line the line of the chapter, when
    the cell's code can be found in it: in the chapter named by ``$USRUBOOK_CHAPTER`` (the build sets it),
    else in the book's pages. If it cannot, the line is the line within the cell.
    """
    frame = inspect.currentframe()
    for _ in range(depth):
        frame = frame.f_back if frame is not None else None
    if frame is None:
        return "<unknown>", None
    filename, lineno = frame.f_code.co_filename, frame.f_lineno
    cell = [line.rstrip("\n") for line in linecache.getlines(filename)]
    path = Path(filename)
    if path.is_file() and path.suffix == ".py" and "ipykernel_" not in filename:
        root = _root()
        return (str(path.relative_to(root)) if root and path.is_relative_to(root) else str(path)), lineno
    found = _in_chapters(cell, lineno)
    if found:
        return found
    chapter = os.environ.get(CHAPTER_ENV)
    return f"line {lineno} of a code cell" + (f" of {chapter}" if chapter else ""), None


def _root() -> Path | None:
    try:
        return book_root()
    except FileNotFoundError:
        return None


def _in_chapters(cell: list[str], lineno: int) -> tuple[str, int] | None:
    """``(chapter, line)`` of line ``lineno`` of the cell whose code is ``cell``, if a page holds that code."""
    root = _root()
    if not cell or root is None:
        return None
    chapter = os.environ.get(CHAPTER_ENV)
    candidates = [chapter] if chapter else sorted(
        str(p.relative_to(root)) for pattern in ("*.md", "*/*.md") for p in root.glob(pattern)
        if not p.relative_to(root).parts[0].startswith(("_", ".")) and p.relative_to(root).parts[0] != "node_modules")
    for rel in candidates:
        try:
            lines = (root / rel).read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for start in range(len(lines) - len(cell) + 1):
            if lines[start:start + len(cell)] == cell:
                return rel, start + lineno
    return None


def datapackage_descriptor() -> dict:
    """The data package descriptor (``data/datapackage.json``): tables, fields, licence and sources."""
    import json

    return json.loads((book_root() / "data" / "datapackage.json").read_text(encoding="utf-8"))
