"""Shared fixtures: the book root, the built outputs, and throw-away copies of the book."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(sys.prefix)
HTML = ROOT / "_build" / "html"
PDF = ROOT / "_build" / "latex" / "us-russia-relations.pdf"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} is missing: run `make book` first (`make test` does).")
    return path


@pytest.fixture(scope="session")
def html_dir() -> Path:
    return _require(HTML / "chapters" / "trade.html").parent.parent


@pytest.fixture(scope="session")
def pdf_path() -> Path:
    return _require(PDF)


def copy_book(dest: Path) -> Path:
    """A copy of the book's sources (no _build, no .venv), keeping file times."""
    ignore = shutil.ignore_patterns("_build", ".venv", ".git", "__pycache__", "*.egg-info", ".pytest_cache")
    shutil.copytree(ROOT, dest, ignore=ignore, symlinks=True)
    return dest


@pytest.fixture
def book_copy(tmp_path) -> Path:
    return copy_book(tmp_path / "book")


def data_snapshot(book: Path) -> dict:
    """Bytes and modification times of every file in a book's data/ folder."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in (book / "data").glob("*.*")}


def run(args, cwd: Path, timeout: int = 900, **env) -> subprocess.CompletedProcess:
    """Run a command in ``cwd`` with the book's environment on PATH; output is captured as text."""
    full_env = {**os.environ, "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ['PATH']}", **env}
    full_env.pop("USRUBOOK_ROOT", None)
    return subprocess.run(args, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)


def set_cell(csv_path: Path, figure_id: str, column: str, value: str) -> str:
    """Change one cell of a CSV file in place; returns the old value."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8"), newline="")))
    col = rows[0].index(column)
    for row in rows[1:]:
        if row[0] == figure_id:
            old, row[col] = row[col], value
            break
    else:
        raise KeyError(figure_id)
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\n").writerows(rows)
    csv_path.write_text(buf.getvalue(), encoding="utf-8")
    return old
