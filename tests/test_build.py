"""The build is strict, stops on bad input without touching earlier output, and re-executes on data change."""
import re

import pytest

from conftest import VENV, copy_book, run, set_cell

JB = ["jupyter-book", "build", ".", "-W", "-n", "--keep-going"]


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
    # -o: treat the environment as up to date, so make never re-installs the copy into it
    result = run(["make", "-o", f"{VENV}/.installed", "book", f"VENV={VENV}"], cwd=book_copy)
    assert result.returncode != 0
    assert "data/curated/trade.csv, line 11, column 'quote': the quote is not in seed003" in result.stderr
    assert earlier.read_text(encoding="utf-8") == "built earlier"


def _executed(log: str, docname: str) -> bool:
    """Whether a build log shows ``docname`` executed, by myst-nb or by the parallel pre-execution."""
    parallel = re.search(r"usrubook: executing in parallel: (.*)", log)
    return f"{docname}.md: Executing notebook" in log or bool(parallel and docname in parallel.group(1).split(", "))


@pytest.mark.slow
def test_data_change_re_executes_the_chapters_that_read_it(clean_build):
    """Goes on from the clean build (HTML, then PDF) that the determinism test compares."""
    book_copy = clean_build.book
    assert _executed(clean_build.log, "chapters/trade") and _executed(clean_build.log, "intro")

    # The PDF build after the HTML build changed the shared configuration, so the next HTML build
    # re-reads every page as "added": stale cache entries must still be dropped.
    set_cell(book_copy / "data/trade.csv", "goods-imports-2022", "value", "9.9")
    changed = run(JB, cwd=book_copy)
    assert changed.returncode == 0, changed.stdout[-3000:]
    assert "usrubook: data changed, chapters/trade will re-execute" in changed.stdout
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


@pytest.mark.slow
def test_broken_cross_reference_fails_the_build_and_names_the_line(clean_build):
    """In the folder of the clean build (after the data-change test, which leaves it built)."""
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
