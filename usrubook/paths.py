"""Find the book's root folder, whatever the working directory.

Jupyter Book and nbval start kernels in the notebook's own folder, so data is
never looked up relative to the working directory.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

ROOT_ENV = "USRUBOOK_ROOT"


def _is_root(path: Path) -> bool:
    return (path / "_config.yml").is_file() and (path / "seeds").is_dir()


@lru_cache(maxsize=None)
def _find(start: str, env: str | None) -> Path:
    if env:
        root = Path(env).resolve()
        if not _is_root(root):
            raise FileNotFoundError(
                f"{ROOT_ENV}={env} is not a book root (no _config.yml and seeds/ there)."
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
        f"and seeds/. Run from inside the book or set {ROOT_ENV}."
    )


def book_root() -> Path:
    """The book root: ``$USRUBOOK_ROOT`` or the nearest folder above the cwd with ``_config.yml`` and ``seeds/``."""
    return _find(os.getcwd(), os.environ.get(ROOT_ENV))
