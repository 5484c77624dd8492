"""nbval runs every chapter and compares the checked cells with tests/reference/."""
import re

import pytest

from conftest import ROOT, VENV, copy_book, make_stale, run, set_cell

NBVAL_PASSED = "_build/.nbval-passed"
NBVAL = ["pytest", "-p", "no:cacheprovider", "--nbval-lax", "--nbval-current-env", "-q", "_build/nbval"]


def _nbval(book, notebooks="_build/nbval"):
    prepared = run(["python", "-m", "usrubook.book.nbcheck", "prepare"], cwd=book)
    assert prepared.returncode == 0, prepared.stderr
    return run(NBVAL[:-1] + [notebooks], cwd=book)


@pytest.mark.slow
@pytest.mark.copy
def test_nbval_passes_on_the_book(tmp_path):
    """nbval passes on every chapter of the book as it is now. `make nbval` (in `make book`, which `make test` runs
    first) marks a pass in _build/.nbval-passed, and make holds that mark up to date only while no file nbval
    reads has changed since the run began, nor the environment it ran in (.venv/.installed, which pip's
    installs renew): then that pass is this book's, and it is not run a second time. Otherwise (pytest run by
    hand after an edit, or on a book never checked) nbval runs here, on a copy."""
    if not make_stale(ROOT, NBVAL_PASSED, args=[f"VENV={VENV}"]):     # the environment's time counts too
        return
    result = _nbval(copy_book(tmp_path / "book"))
    assert result.returncode == 0, result.stdout[-3000:]
    assert re.search(r"\d+ passed", result.stdout)


@pytest.mark.slow
def test_changed_data_value_fails_with_readable_diff(book_copy):
    old = set_cell(book_copy / "data/trade.csv", "goods-imports-2022", "value", "15.4")
    assert old == "14.4"
    result = _nbval(book_copy, "_build/nbval/chapters/trade.ipynb")    # the chapter that reads the value
    assert result.returncode == 1
    out = result.stdout
    assert re.search(r"chapters/trade\.ipynb::Cell \d+", out)   # the glue cell of the Trade chapter
    assert "Cell outputs differ" in out
    # the report names the glued output and shows the reference and the new value
    assert "mismatch 'application/papermill.record/text/plain'" in out
    assert "'14.4' == '15.4'" in out


def test_changed_checked_cell_needs_a_refresh(book_copy):
    page = book_copy / "chapters/trade.md"
    page.write_text(page.read_text(encoding="utf-8").replace(
        'usrubook.glue_value("tr_imports_2015", series(2015, "goods_imports"), "{:.1f}")',
        'usrubook.glue_value("tr_imports_2015", series(2015, "goods_imports"), "{:.2f}")'), encoding="utf-8")
    result = run(["python", "-m", "usrubook.book.nbcheck", "prepare"], cwd=book_copy)
    assert result.returncode == 1
    assert "chapters/trade.md: the code of checked cell 1" in result.stderr
    assert "make refresh-references" in result.stderr
