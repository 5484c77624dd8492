"""The build is strict, stops on bad input without touching earlier output, re-executes on data change, and two
clean builds of the same sources give byte-identical HTML and PDF.

The tests of the clean build (conftest's ``clean_build``) are in this one module, so that `make test`, which
hands each module to one worker (pytest-xdist, --dist loadfile), makes that build once."""
import hashlib
import json
import re
from pathlib import Path

import pytest

from conftest import (MAKE_ARGS, ROOT, build_clean, copy_book, pages_read, pages_reading, recorded_builds, run,
                      set_cell)

JB = ["python", "-m", "usrubook.book.jb", "build", ".", "-W", "-n", "--keep-going"]   # as make runs it


@pytest.fixture
def cached_copy(tmp_path):
    """A copy of the book with the book's executed notebooks: a build executes only what these tests change."""
    return copy_book(tmp_path / "book", cache=True)


@pytest.mark.slow
def test_failing_cell_fails_the_build_and_names_the_page(cached_copy):
    book_copy = cached_copy
    page = book_copy / "chapters/trade.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n```{code-cell} ipython3\n1 / 0\n```\n", encoding="utf-8")
    result = run(JB, cwd=book_copy)
    assert result.returncode != 0
    out = result.stdout + result.stderr
    assert "chapters/trade.md" in out
    assert "ZeroDivisionError" in out


def test_bad_input_stops_make_book_and_keeps_earlier_output(book_copy):
    earlier = book_copy / "_build" / "html" / "index.html"
    earlier.parent.mkdir(parents=True)
    earlier.write_text("built earlier", encoding="utf-8")
    set_cell(book_copy / "data/curated/trade.csv", "fdi-russia-in-us-2022", "quote",
             "Russia’s foreign direct investment in the U.S. increased by 3.5% to $4.1 billion")
    # the environment and node_modules (linked) taken as up to date: make never installs into them
    result = run(["make", *MAKE_ARGS, "book"], cwd=book_copy)
    assert result.returncode != 0
    assert "data/curated/trade.csv, line 11, column 'quote': the quote is not in seed003" in result.stderr
    assert earlier.read_text(encoding="utf-8") == "built earlier"


def _executed(log: str, docname: str) -> bool:
    """Whether a build log shows ``docname`` executed, by myst-nb or by the parallel pre-execution."""
    parallel = re.search(r"usrubook: executing in parallel: (.*)", log)
    return f"{docname}.md: Executing notebook" in log or bool(parallel and docname in parallel.group(1).split(", "))


@pytest.mark.slow
def test_prose_edit_rebuilds_one_page_and_its_outputs_and_a_second_make_starts_nothing(clean_build):
    """Goes on from the clean build (`make html pdf`): a prose edit, then a caption edit, each followed by
    `make html`, then a `make html` with nothing changed. (The PDF build kept its own environment, so the HTML
    build after it reads only the edited page.) It runs first in this module; a first `make html` brings the
    folder up to date should another test of the clean build have run before it."""
    book = clean_build.book
    make_html = ["make", *MAKE_ARGS, "html"]
    caught_up = run(make_html, cwd=book)        # starts nothing right after the clean build; else brings it up to date
    assert caught_up.returncode == 0, (caught_up.stdout + caught_up.stderr)[-3000:]
    notebooks = book / "_build" / "html" / "notebooks"
    kits = {p.name: p.stat().st_mtime_ns for p in notebooks.iterdir()}

    page = book / "chapters" / "trade.md"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "The relationship was therefore asymmetric in two senses.", "The relationship was thus asymmetric in two senses."),
        encoding="utf-8")
    prose = run(make_html, cwd=book)
    assert prose.returncode == 0, (prose.stdout + prose.stderr)[-3000:]
    log = (book / "_build" / "html.log").read_text(encoding="utf-8")
    read = pages_read(log)
    assert read == ["chapters/trade"], read
    assert "usrubook: executing" not in log
    assert re.search(r"trade\.pdf \(\d+ pages", prose.stdout), prose.stdout
    for name in ("history", "current-state", "europe-asia", "outlook"):
        assert f"{name}.pdf (up to date)" in prose.stdout, prose.stdout
    assert "thus asymmetric in two senses" in (book / "_build/html/chapters/trade.html").read_text(encoding="utf-8")
    changed = sorted(p.name for p in notebooks.iterdir() if p.stat().st_mtime_ns != kits[p.name])
    assert changed == ["trade.ipynb", "usrubook-trade.zip"], changed

    page.write_text(page.read_text(encoding="utf-8").replace(
        "caption: 'Sanctions, export controls, bans", "caption: 'Measures: sanctions, export controls, bans"),
        encoding="utf-8")
    again = run(make_html, cwd=book)
    assert again.returncode == 0, (again.stdout + again.stderr)[-3000:]
    cited = json.loads((book / "_build/html/_cite/chapters-trade-fig-trade-measures.json").read_text(encoding="utf-8"))
    assert "Measures: sanctions" in cited[0]["title"], cited[0]["title"]

    nothing = run(make_html, cwd=book)
    assert nothing.returncode == 0
    assert "usrubook.book.jb build" not in nothing.stdout and "chapterpdf" not in nothing.stdout, nothing.stdout


@pytest.mark.slow
def test_broken_cross_reference_fails_the_build_and_names_the_line(clean_build):
    """In the folder of the clean build, after the prose-edit test (which leaves it built) and before the
    data-change test (whose changed data would make this build execute chapters first)."""
    page = clean_build.book / "chapters/trade.md"
    old = page.read_text(encoding="utf-8")
    page.write_text(old.replace("{numref}`fig-trade-measures`", "{numref}`fig-trade-missing`"), encoding="utf-8")
    try:
        result = run(JB, cwd=clean_build.book)
    finally:
        page.write_text(old, encoding="utf-8")
    assert result.returncode != 0
    out = result.stdout + result.stderr
    assert re.search(r"chapters/trade\.md:\d+: WARNING: undefined label: 'fig-trade-missing'", out), out[-3000:]


@pytest.mark.slow
def test_data_change_re_executes_the_chapters_that_read_it(clean_build):
    """Goes on from the clean build (HTML, then PDF) that the determinism test compares, after the prose-edit
    and broken-cross-reference tests."""
    book_copy = clean_build.book
    assert _executed(clean_build.log, "chapters/trade") and _executed(clean_build.log, "intro")

    # The PDF build after the HTML build keeps its own environment (.doctrees-latex): the next HTML build reads
    # only the page whose data changed.
    data = book_copy / "data/trade.csv"
    original = data.read_bytes()
    try:
        _data_change_and_after(book_copy, data)
    finally:        # the derived file as make data writes it, so that a later `make html` in this folder runs
        data.write_bytes(original)


def _data_change_and_after(book_copy, data):
    set_cell(data, "goods-imports-2022", "value", "9.9")
    changed = run(JB, cwd=book_copy)
    assert changed.returncode == 0, changed.stdout[-3000:]
    assert "usrubook: data changed, chapters/trade will re-execute" in changed.stdout
    read = pages_read(changed.stdout)
    readers = {page.removesuffix(".md") for page in pages_reading(book_copy, "data/trade.csv")}
    assert "chapters/trade" in readers and "intro" not in readers
    assert set(read) == readers, read
    assert _executed(changed.stdout, "chapters/trade")
    html = (book_copy / "_build/html/chapters/trade.html").read_text(encoding="utf-8")
    assert re.search(r'seed.s US\$ <span class="output text_plain">9\.9</span> billion for 2022', html)

    again = run(JB, cwd=book_copy)                  # no change: nothing executes
    assert again.returncode == 0
    assert not _executed(again.stdout, "chapters/trade") and not _executed(again.stdout, "intro")

    page = book_copy / "chapters/trade.md"          # a prose edit re-reads the page but reuses the cache
    page.write_text(page.read_text(encoding="utf-8").replace("has never been a major trading partner.",
                                                             "has never been a large trading partner."),
                    encoding="utf-8")
    prose = run(JB, cwd=book_copy)
    assert prose.returncode == 0
    assert "chapters/trade.md: Using cached notebook" in prose.stdout
    assert not _executed(prose.stdout, "chapters/trade")


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


# ---------------------------------------------------------------------------- determinism
#
# Two clean builds of the same sources give byte-identical HTML and PDF. One of the two is the book's own build,
# the one `make test` makes first (`make book`; in CI, in a fresh clone, a clean build). The other is the clean
# build of a copy in another folder (clean_build), executing every notebook anew, as `make book` builds
# (`make html pdf`). Every file of _build/html and the PDF must be the same, byte for byte.

@pytest.mark.slow
def test_two_clean_builds_are_byte_identical(clean_build, html_dir, pdf_path, tmp_path):
    """The book's own build is used when it was built clean (in CI, always); after an incremental build
    (a working copy), a second copy is built clean here instead."""
    assert clean_build.recorded_clean == {"html": "clean", "latex": "clean"}     # the build tells it was clean
    first = ROOT if set(recorded_builds(ROOT).values()) == {"clean"} else build_clean(tmp_path).snapshot
    second = clean_build.snapshot
    a, b = _digests(first), _digests(second)
    assert len(a) > 50 and (first / PDF).stat().st_size > 100_000
    only = sorted(set(a) ^ set(b))
    differ = sorted(name for name in set(a) & set(b) if a[name] != b[name])
    report = [f"only in {first if name in a else second}: {name}" for name in only]
    report += [f"differs: {name}: {_first_difference(first / name, second / name)}" for name in differ]
    assert not report, (f"{len(only) + len(differ)} of {len(a)} files differ between two clean builds, "
                        f"{first} and {second}:\n" + "\n".join(report[:30]))
