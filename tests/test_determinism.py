"""Two clean builds of the same sources give byte-identical HTML and PDF.

One of the two is the book's own build, the one `make test` makes first (`make book`; in CI, in a fresh
clone, a clean build). The other is made here, clean, in a fresh copy in another folder, executing every
notebook anew, as `make book` builds (`make html pdf`; conftest's ``clean_build``, which test_build.py's
data-change test then goes on from). Every file of ``_build/html`` and the PDF must be the same, byte for byte.
"""
import hashlib
from pathlib import Path

import pytest

from conftest import ROOT

PDF = Path("_build/latex/us-russia-relations.pdf")


def _digests(book: Path) -> dict[str, str]:
    html = book / "_build/html"
    files = {p.relative_to(book).as_posix(): p for p in sorted(html.rglob("*")) if p.is_file()}
    files[PDF.as_posix()] = book / PDF
    return {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in files.items()}


def _first_difference(a: Path, b: Path) -> str:
    x, y = a.read_bytes(), b.read_bytes()
    at = next((i for i, (p, q) in enumerate(zip(x, y)) if p != q), min(len(x), len(y)))
    return (f"{len(x)} and {len(y)} bytes, first difference at byte {at}: "
            f"{x[max(0, at - 40):at + 40]!r} / {y[max(0, at - 40):at + 40]!r}")


@pytest.mark.slow
def test_two_clean_builds_are_byte_identical(clean_build, html_dir, pdf_path):
    first, second = ROOT, clean_build.snapshot
    a, b = _digests(first), _digests(second)
    assert len(a) > 50 and (first / PDF).stat().st_size > 100_000
    only = sorted(set(a) ^ set(b))
    differ = sorted(name for name in set(a) & set(b) if a[name] != b[name])
    report = [f"only in {'the book' if name in a else 'the clean copy'}: {name}" for name in only]
    report += [f"differs: {name}: {_first_difference(first / name, second / name)}" for name in differ]
    assert not report, (
        f"{len(only) + len(differ)} of {len(a)} files differ between the book's build and a clean build of a copy "
        "(if the book's _build/ is older than its sources, or holds files of an earlier version, run "
        "`make clean book` first):\n" + "\n".join(report[:30]))
