"""Derived data: every quote verified, committed data equal to a fresh derive, bad input refused."""
import csv


from conftest import data_snapshot as _snapshot, run, set_cell
from usrubook.derive import build
from usrubook.provenance import SeedText, normalise
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


def test_value_must_be_printed_in_its_quote(book_copy):
    set_cell(book_copy / "data/curated/trade.csv", "goods-exports-2022", "value", "1.8")
    result = _derive(book_copy)
    assert result.returncode == 1
    assert "line 4, column 'value': the value 1.8 does not appear as $1.8 in the quote" in result.stderr


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


def test_coverage_is_complete(root):
    from usrubook.coverage import summary

    rows = _rows(root / "data/coverage.csv")
    s = summary(rows)
    assert s["gaps"] == 0 and s["share"] == 100.0, [r for r in rows if r["status"] == "gap"]
    assert s["total"] > 150
    kinds = {r["kind"] for r in rows}
    assert kinds == {"year", "date", "money", "percent", "entity"}


def test_removing_a_row_opens_a_coverage_gap(book_copy):
    path = book_copy / "data/curated/claims.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not line.startswith("seed003-arctic-competition-1,")),
                    encoding="utf-8")
    assert _derive(book_copy).returncode == 0
    report = run(["python", "-m", "usrubook.coverage"], cwd=book_copy)
    assert report.returncode == 1
    assert "seed003 paragraph 61: entity 'arctic'" in report.stdout
    assert "gaps (code a row that quotes the passage" in report.stdout


def test_an_exclusion_that_excludes_nothing_is_refused(book_copy):
    path = book_copy / "data/curated/exclusions.csv"
    path.write_text(path.read_text(encoding="utf-8")
                    + 'seed001-extra,Nothing to exclude.,seed001,"Cybersecurity Dialogue"\n', encoding="utf-8")
    result = _derive(book_copy)
    assert result.returncode == 1
    assert "column 'exclusion_id': the exclusion 'seed001-extra' accounts for no candidate fact" in result.stderr


def test_mentions_skip_noise_and_prefer_the_longest_name():
    from usrubook.evidence import find_mentions, gazetteer

    seed = SeedText("seedX", "Also Read: India-Russia\nThe Asia-Pacific and Asia; the U.S. and US. United States (US)")
    gaz = gazetteer([{"actor_id": "india", "aliases": "India"}, {"actor_id": "us", "aliases": "U.S.|US"}],
                    [{"place_id": "asia", "aliases": "Asia"}, {"place_id": "apac", "aliases": "Asia-Pacific"}])
    found = [(e, seed.text[s:t]) for e, _, s, t in find_mentions(seed, gaz, [(0, 23)])]
    gaz += gazetteer([{"actor_id": "us", "aliases": "United States"}], [])
    found = [(e, seed.text[s:t]) for e, _, s, t in find_mentions(seed, gaz, [(0, 23)])]
    assert found == [("apac", "Asia-Pacific"), ("asia", "Asia"), ("us", "U.S."), ("us", "US"), ("us", "United States")]


def test_claim_status_cross_checks_seeds(root):
    claims = {r["claim_id"]: r for r in _rows(root / "data/claims.csv")}
    props = {r["proposition_id"]: r for r in _rows(root / "data/propositions.csv")}
    assert props["post-soviet-cooperation"]["status"] == "contradicted"     # seed003 against seed002
    assert props["multipolar-world"]["status"] != "contradicted"          # a 2030 forecast is not a denial
    assert props["shared-interests"]["status"] == "corroborated"
    assert props["arctic-competition"]["status"] == "single-source"
    assert claims["seed004-all-time-low-1"]["status"] == "erroneous"      # overlaps an exaggeration
    assert claims["seed002-shared-interests-1"]["status"] == "corroborated"


def test_places_have_geonames_coordinates(root):
    places = {r["place_id"]: r for r in _rows(root / "data/places.csv")}
    assert abs(float(places["geneva"]["lat"]) - 46.2) < 0.1 and abs(float(places["geneva"]["lon"]) - 6.15) < 0.1
    assert places["arctic"]["lat"] == "" and places["arctic"]["coordinates_source"].startswith("none")
    assert all(places[p]["lat"] for p in ("washington", "ankara", "st-petersburg", "istanbul"))


def test_every_correction_cites_a_bibliography_entry(root):
    from usrubook.derive import bib_keys

    keys = bib_keys(root)
    assert all(k.strip() in keys for r in _rows(root / "data/corrections.csv") for k in r["reference"].split(";"))
