"""Find the book's root folder, whatever the working directory.

Jupyter Book and nbval start kernels in the notebook's own folder, so data is
never looked up relative to the working directory.

A chapter's self-contained kit (the ``.zip`` each chapter page offers, made by
:mod:`usrubook.book.rerun`) is a root too: a folder with ``usrubook-kit.json``
and ``data/``, holding the chapter's notebook, the tables it loads and this package.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

ROOT_ENV = "USRUBOOK_ROOT"
KIT_MARKER = "usrubook-kit.json"


def is_kit(path: Path) -> bool:
    """``path`` is the folder of a chapter's kit (unzipped)."""
    return (path / KIT_MARKER).is_file() and (path / "data").is_dir()


def _is_root(path: Path) -> bool:
    return ((path / "_config.yml").is_file() and (path / "seeds").is_dir()) or is_kit(path)


@lru_cache(maxsize=None)
def _find(start: str, env: str | None) -> Path:
    if env:
        root = Path(env).resolve()
        if not _is_root(root):
            raise FileNotFoundError(
                f"{ROOT_ENV}={env} is not a book root (no _config.yml and seeds/ there) "
                f"nor a chapter's kit (no {KIT_MARKER} and data/ there)."
            )
        return root
    for candidate in [Path(start).resolve(), *Path(start).resolve().parents]:
        if _is_root(candidate):
            return candidate
    here = Path(__file__).resolve().parent.parent
    if _is_root(here):
        return here
    raise FileNotFoundError(
        f"Cannot find the book root from {start}: no folder above it holds _config.yml "
        f"and seeds/ (the book) or {KIT_MARKER} and data/ (a chapter's kit). Run from inside the book "
        f"or the kit, or set {ROOT_ENV}."
    )


def book_root() -> Path:
    """The book root: ``$USRUBOOK_ROOT`` or the nearest folder above the cwd with ``_config.yml`` and ``seeds/``."""
    return _find(os.getcwd(), os.environ.get(ROOT_ENV))


def in_kit() -> bool:
    """The code runs from a chapter's kit rather than the book's repository (asked at every glued value: the
    answer is kept per root)."""
    try:
        return _root_is_kit(book_root())
    except FileNotFoundError:
        return False


@lru_cache(maxsize=None)
def _root_is_kit(root: Path) -> bool:
    return is_kit(root)
