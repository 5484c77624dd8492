"""Two clean builds of the same sources give byte-identical HTML and PDF.

The book is built (HTML, then PDF) in two fresh copies, in different folders, each executing its notebooks
anew; every file of ``_build/html`` and the PDF must be the same, byte for byte. This takes two full builds:
about 2 to 4 minutes on 2 cores.
"""
import hashlib
from pathlib import Path

from conftest import copy_book, run

JB = ["jupyter-book", "build", ".", "-W", "-n", "--keep-going"]
PDF = Path("_build/latex/us-russia-relations.pdf")


def _build(dest: Path) -> Path:
    book = copy_book(dest)
    for builder in ([], ["--builder", "pdflatex"]):
        result = run(JB + builder, cwd=book, timeout=1800)
        assert result.returncode == 0, (f"build {' '.join(builder) or 'html'} failed in {book}:\n"
                                        + (result.stdout + result.stderr)[-3000:])
    return book


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


def test_two_clean_builds_are_byte_identical(tmp_path):
    first, second = _build(tmp_path / "first"), _build(tmp_path / "second")
    a, b = _digests(first), _digests(second)
    assert len(a) > 50 and (first / PDF).stat().st_size > 100_000
    only = sorted(set(a) ^ set(b))
    differ = sorted(name for name in set(a) & set(b) if a[name] != b[name])
    report = [f"only in one build: {name}" for name in only]
    report += [f"differs: {name}: {_first_difference(first / name, second / name)}" for name in differ]
    assert not report, f"{len(only) + len(differ)} of {len(a)} files differ between two clean builds:\n" + \
        "\n".join(report[:30])
