"""Derived data: every quote verified, committed data equal to a fresh derive, bad input refused."""
import csv


from conftest import run, set_cell
from usrubook.derive import build
from usrubook.provenance import normalise, SeedText
from usrubook.seeds import load_seeds


def _rows(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_committed_data_equals_fresh_derive(root):
    for rel, text in build(root).items():
        assert (root / rel).read_text(encoding="utf-8") == text, f"{rel} is stale: run `make data` and commit"


def test_derive_is_deterministic(root):
    assert build(root) == build(root)


def test_every_trade_quote_is_in_seed_003_at_its_offsets(root):
    _, texts = load_seeds(root)
    seed = texts["seed003"]
    rows = _rows(root / "data" / "trade.csv")
    assert len([r for r in rows if r["derived"] == "false"]) == 10
    for r in rows:
        assert r["source_id"] == "seed003"
        passage = seed.text[int(r["start"]):int(r["end"])]
        assert normalise(passage)[0] == normalise(r["quote"])[0], r["figure_id"]
        assert r["anchor"] == f"seed003-p{r['paragraph']}"


def test_trade_section_figures_all_coded(root):
    """Every dollar amount and percentage in seed 003's trade section is a row of data/trade.csv."""
    import re

    _, texts = load_seeds(root)
    text = texts["seed003"].text
    start = text.index("In 2022, the U.S. and Russia traded")
    section = text[start:text.index("Latest News about America and Russia", start)]
    assert "Russia’s foreign direct investment" in section
    amounts = set(re.findall(r"\$(\d+(?:\.\d+)?) billion", section))
    percents = set(re.findall(r"(\d+(?:\.\d+)?)%", section))
    rows = [r for r in _rows(root / "data" / "trade.csv") if r["derived"] == "false"]
    assert amounts == {r["value"] for r in rows}
    assert percents == {r["change_pct"].lstrip("-") for r in rows if r["change_pct"]}


def test_normalisation_forgives_only_spacing_quotes_and_dashes():
    seed = SeedText("seedX", "Russia\u2019s  \u201cunfriendly\u201d\u00a0list \u2013 2023.\n\nNext")
    assert seed.find("Russia's \"unfriendly\" list - 2023.") is not None
    assert seed.find("Russias \"unfriendly\" list") is None
    assert seed.find("russia's") is None
    assert seed.find("Next").paragraph == 2


def _derive(book):
    return run(["python", "-m", "usrubook.derive"], cwd=book)


def _snapshot(book):
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in (book / "data").glob("*.*")}


def test_quote_not_in_seed_names_file_line_column_and_closest_passage(book_copy):
    before = _snapshot(book_copy)
    set_cell(book_copy / "data/curated/trade.csv", "goods-imports-2022", "quote",
             "while imports decreased by 51.3% to $14.5 billion")
    result = _derive(book_copy)
    assert result.returncode == 1
    assert "data/curated/trade.csv, line 5, column 'quote': the quote is not in seed003" in result.stderr
    assert 'Closest passage in the seed: "while imports decreased by 51.3% to $14.4 billion' in result.stderr
    assert "nothing was written" in result.stderr
    assert _snapshot(book_copy) == before


def test_non_numeric_value_names_file_line_column(book_copy):
    before = _snapshot(book_copy)
    set_cell(book_copy / "data/curated/trade.csv", "services-exports-2022", "value", "2.8bn")
    result = _derive(book_copy)
    assert result.returncode == 1
    assert "data/curated/trade.csv, line 7, column 'value': '2.8bn' is not a number." in result.stderr
    assert "How to fix: write a plain decimal number" in result.stderr
    assert _snapshot(book_copy) == before


def test_value_must_be_printed_in_its_quote(book_copy):
    set_cell(book_copy / "data/curated/trade.csv", "goods-exports-2022", "value", "1.8")
    result = _derive(book_copy)
    assert result.returncode == 1
    assert "line 4, column 'value': the value 1.8 does not appear as $1.8 in the quote" in result.stderr


def test_unknown_seed_and_vocabulary_are_refused(book_copy):
    curated = book_copy / "data/curated/trade.csv"
    set_cell(curated, "total-trade-2022", "source_id", "seed009")
    result = _derive(book_copy)
    assert "line 2, column 'source_id': unknown seed id 'seed009'" in result.stderr
    set_cell(curated, "total-trade-2022", "source_id", "seed003")
    set_cell(curated, "total-trade-2022", "flow", "turnover")
    result = _derive(book_copy)
    assert "line 2, column 'flow': 'turnover' is not an allowed value." in result.stderr


def test_missing_column_is_refused(book_copy):
    curated = book_copy / "data/curated/trade.csv"
    lines = curated.read_text(encoding="utf-8").splitlines()
    lines = [",".join(line.split(",")[:6] + line.split(",")[7:]) if i == 0 else line for i, line in enumerate(lines)]
    curated.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _derive(book_copy)
    assert "data/curated/trade.csv, line 1, column 'unit': the header lacks the column(s) unit." in result.stderr


def test_loader_rejects_hand_edited_derived_value(book_copy):
    set_cell(book_copy / "data/trade.csv", "goods-imports-2022", "value", "n/a")
    result = run(["python", "-c", "import usrubook; usrubook.load('trade')"], cwd=book_copy / "chapters")
    assert result.returncode != 0
    assert "data/trade.csv, line 5, column 'value': 'n/a' is not a number." in result.stderr


def test_unchanged_derive_keeps_file_times(book_copy):
    before = _snapshot(book_copy)
    result = _derive(book_copy)
    assert result.returncode == 0, result.stderr
    assert "0 changed" in result.stdout
    assert _snapshot(book_copy) == before


def test_datapackage_is_valid(root):
    from usrubook.validate import errors

    assert errors(root) == []


def test_datapackage_finds_a_dangling_foreign_key(book_copy):
    from usrubook.validate import errors

    set_cell(book_copy / "data/trade_reconciliation.csv", "goods-deficit", "stated_figure_id", "goods-deficit-2099")
    found = errors(book_copy)
    assert any(e.startswith("data/trade_reconciliation.csv, line 3") and "goods-deficit-2099" in e for e in found), found
