"""Derived data: every quote verified, committed data equal to a fresh derive, bad input refused."""
import re
import csv


from conftest import data_snapshot as _snapshot, run, set_cell
from usrubook.pipeline.derive import build
from usrubook.pipeline.provenance import SeedText, normalise
from usrubook.pipeline.seeds import load_seeds


def _rows(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_committed_data_equals_fresh_derive(root):
    for rel, text in build(root).items():
        assert (root / rel).read_text(encoding="utf-8") == text, f"{rel} is stale: run `make data` and commit"


def test_committed_checksums_record_what_derive_wrote(root):
    from usrubook.pipeline import guard

    assert guard.read_sums(root) == {rel: guard._sha(text.encode("utf-8")) for rel, text in build(root).items()}


def _row_counts(book):
    """Rows per curated table and per derived table that mirrors it (trade: stated figures only)."""
    from usrubook.pipeline.schema import CURATED, DERIVED, SOURCES

    out = {}
    for name, table in {**CURATED, "sources": SOURCES}.items():
        if name not in DERIVED:
            continue
        derived = _rows(book / DERIVED[name].path)
        if name == "trade":
            derived = [r for r in derived if r["derived"] == "false"]
        out[name] = (len(_rows(book / table.path)), len(derived))
    return out


def test_derived_tables_keep_every_curated_row(root):
    counts = _row_counts(root)
    assert {"sources", "trade", "claims", "events", "verifications"} <= set(counts)
    assert {name: c for name, c in counts.items() if c[0] != c[1]} == {}


def test_rows_are_lost_only_when_removed_on_purpose(book_copy):
    """Editing values keeps every table's row count; removing rows needs ALLOW_REMOVAL and then removes exactly
    those rows, and the checksums follow."""
    before = _row_counts(book_copy)
    set_cell(book_copy / "data/curated/outlook.csv", "seed004-no-improvement", "horizon", "medium")
    assert _derive(book_copy).returncode == 0
    assert _row_counts(book_copy) == before
    path = book_copy / "data/curated/outlook.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(l for l in lines if not l.startswith(("seed004-no-improvement,", "seed003-post-putin,"))),
                    encoding="utf-8")
    refused = _derive(book_copy)
    assert refused.returncode == 1
    assert "2 rows of data/outlook.csv would be lost" in refused.stderr
    assert "seed004-no-improvement" in refused.stderr and "seed003-post-putin" in refused.stderr
    assert {n: c[1] for n, c in _row_counts(book_copy).items()} == {n: c[1] for n, c in before.items()}
    assert _derive(book_copy, "--allow-removal").returncode == 0
    after = _row_counts(book_copy)
    assert after["outlook"] == (before["outlook"][0] - 2, before["outlook"][1] - 2)
    assert {n: c for n, c in after.items() if n != "outlook"} == {n: c for n, c in before.items() if n != "outlook"}
    check = run(["sha256sum", "--check", "--quiet", "checksums.sha256"], cwd=book_copy / "data")
    assert check.returncode == 0, check.stdout + check.stderr


def test_discarded_hand_edit_is_reported(book_copy):
    path = book_copy / "data/outlook.csv"
    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace("seed004-no-improvement,near,", "seed004-no-improvement,long,", 1),
                    encoding="utf-8")
    result = _derive(book_copy, "--discard-hand-edits")
    assert result.returncode == 0, result.stderr
    assert "data/outlook.csv: discarded a hand edit of 1 line;" in result.stdout
    assert '"seed004-no-improvement,long,' in result.stdout
    assert path.read_text(encoding="utf-8") == original


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


def _derive(book, *options):
    return run(["python", "-m", "usrubook.pipeline.derive", *options], cwd=book)


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
    from usrubook.pipeline.validate import errors

    assert errors(root) == []


def test_datapackage_finds_a_dangling_foreign_key(book_copy):
    from usrubook.pipeline.validate import errors

    set_cell(book_copy / "data/trade_reconciliation.csv", "goods-deficit", "stated_figure_id", "goods-deficit-2099")
    found = errors(book_copy)
    assert any(e.startswith("data/trade_reconciliation.csv, line 3") and "goods-deficit-2099" in e for e in found), found


def test_coverage_is_complete(root):
    from usrubook.pipeline.coverage import summary

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
    refused = _derive(book_copy)
    assert refused.returncode == 1
    assert "1 row of data/claims.csv would be lost" in refused.stderr
    assert _derive(book_copy, "--allow-removal").returncode == 0
    report = run(["python", "-m", "usrubook.pipeline.coverage"], cwd=book_copy)
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
    from usrubook.pipeline.evidence import find_mentions, gazetteer

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
    # seeds 002 and 003 are one source (a link and a shared publisher): their agreement does not corroborate
    shared = props["shared-interests"]
    assert (shared["seeds_affirming"], shared["independent_affirming"], shared["status"]) == ("2", "1", "single-source")
    assert props["us-sanctions"]["status"] == "corroborated" and int(props["us-sanctions"]["independent_affirming"]) >= 2
    assert props["arctic-competition"]["status"] == "single-source"
    assert claims["seed004-all-time-low-1"]["status"] == "erroneous"      # overlaps an exaggeration
    assert claims["seed002-shared-interests-1"]["status"] == "single-source"


def test_places_have_geonames_coordinates(root):
    places = {r["place_id"]: r for r in _rows(root / "data/places.csv")}
    assert abs(float(places["geneva"]["lat"]) - 46.2) < 0.1 and abs(float(places["geneva"]["lon"]) - 6.15) < 0.1
    assert places["arctic"]["lat"] == "" and places["arctic"]["coordinates_source"].startswith("none")
    assert all(places[p]["lat"] for p in ("washington", "ankara", "st-petersburg", "istanbul"))


def test_every_correction_cites_a_bibliography_entry(root):
    from usrubook.pipeline.derive import bib_keys

    keys = bib_keys(root)
    assert all(k.strip() in keys for r in _rows(root / "data/corrections.csv") for k in r["reference"].split(";"))


def test_independence_groups_join_linked_seeds_and_shared_upstreams():
    from usrubook.pipeline.verification import independence_groups

    deps = [{"source_id": "seed002", "depends_on": "seed003"},
            {"source_id": "seed004", "depends_on": "wire2023"}, {"source_id": "seed000", "depends_on": "wire2023"}]
    groups = independence_groups(["seed000", "seed001", "seed002", "seed003", "seed004"], deps)
    assert groups["seed002"] == groups["seed003"] == "seed002+seed003"
    assert groups["seed000"] == groups["seed004"] == "seed000+seed004"
    assert groups["seed001"] == "seed001"


def test_corroboration_counts_independent_seeds_only():
    from usrubook.pipeline.evidence import claim_status

    claims = [{"claim_id": f"c{i}", "proposition_id": "p", "polarity": "affirms", "source_id": s, "start": 0, "end": 1}
              for i, s in enumerate(["seed002", "seed003"])]
    linked = {"seed002": "seed002+seed003", "seed003": "seed002+seed003"}
    _, props = claim_status(claims, [], [{"proposition_id": "p"}], linked)
    assert props[0]["seeds_affirming"] == 2 and props[0]["independent_affirming"] == 1
    assert props[0]["status"] == "single-source"
    _, props = claim_status(claims, [], [{"proposition_id": "p"}], {"seed002": "seed002", "seed003": "seed003"})
    assert props[0]["status"] == "corroborated"


def test_every_statement_has_a_verdict_with_its_reference(root):
    from usrubook.pipeline.derive import bib_keys

    keys = bib_keys(root)
    verdicts = {(r["subject_table"], r["subject_id"]): r for r in _rows(root / "data/verifications.csv")}
    subjects = ([("propositions", r["proposition_id"]) for r in _rows(root / "data/propositions.csv")]
                + [("relations", r["relation_id"]) for r in _rows(root / "data/relations.csv")]
                + [("trade", r["figure_id"]) for r in _rows(root / "data/trade.csv") if r["derived"] == "false"])
    assert [s for s in subjects if s not in verdicts] == []
    for v in verdicts.values():
        if v["verdict"] in ("opinion", "unverifiable"):
            assert len(v["note"].split()) >= 6, f"{v['verification_id']}: give the reason or the searches tried"
            continue
        assert v["reference"] and v["reference_excerpt"] and v["accessed"], v["verification_id"]
        assert all(k.strip() in keys for k in v["reference"].split(";")), v["verification_id"]
        if v["verdict"] == "outdated":
            assert v["changed_on"] and v["what_changed"], v["verification_id"]
    claims = _rows(root / "data/claims.csv")
    assert all(c["verdict"] for c in claims)


def test_outdated_corroborated_propositions_say_so(root):
    """Corroboration and verdict are separate columns: a corroborated proposition can be outdated, and then the
    verdict, not the status, says whether it holds."""
    props = _rows(root / "data/propositions.csv")
    assert {p["status"] for p in props} <= {"corroborated", "single-source", "contradicted"}
    from usrubook.pipeline.schema import VERDICTS

    assert {p["verdict"] for p in props} <= set(VERDICTS)
    assert any(p["verdict"] == "outdated" for p in props)


def test_events_dated_from_reports_carry_the_report(root):
    events = _rows(root / "data/events.csv")
    for e in events:
        if e["date_basis"] == "reference":
            assert e["date_reference"] and e["date_excerpt"], e["event_id"]
        else:
            assert not e["date_reference"], e["event_id"]
    assert not any(e["date_basis"] == "inferred" for e in events)


def test_subject_tables_are_dated_referenced_and_large_enough(root):
    """The facts the chapters teach: a chronology of at least 150 events since 1991, treaty milestones, measures,
    official trade figures and scenarios, every row up to the as-of date, with its reference, excerpt and date read."""
    from usrubook.pipeline.schema import AS_OF

    chronology = _rows(root / "data/chronology.csv")
    assert sum(1 for c in chronology if c["date"] >= "1991") >= 150
    for name, minimum in (("chronology", 150), ("treaties", 30), ("measures", 25), ("trade_series", 8),
                          ("facts", 50), ("scenarios", 3)):
        rows = _rows(root / f"data/{name}.csv")
        assert len(rows) >= minimum, name
        for r in rows:
            assert r["reference"] and r["reference_excerpt"] and r["accessed"], (name, r)
            assert r.get("date", "") <= AS_OF, (name, r)


def _bib_entries(root):
    text = (root / "references.bib").read_text(encoding="utf-8")
    return {m.group(1): m.group(2) for m in re.finditer(r"^@\w+\{([^,\s]+),(.*?)^\}", text, re.M | re.S)}


def test_bibliography_entries_are_stable_dated_and_titled(root):
    """Every external reference gives a stable address, the date it was read and its page's title."""
    # live blogs, paged views and slots that show whatever is newest; article addresses under /latest/ are fine
    rotating = re.compile(r"[?&]page=\d|/live/|/NEWS/news_\w\.shtml$|/(?:latest|topics?|tags?)(?:/[a-z-]+)?/?$", re.I)
    # a live blog or a news slot under a dated path is an archived page of that day, not a rotating one
    dated = re.compile(r"/(?:19|20)\d\d/[a-z]{3}/\d\d?/", re.I)
    problems = []
    for key, body in _bib_entries(root).items():
        if key.startswith("seed"):
            continue
        url = re.search(r"url\s*=\s*\{([^}]*)\}", body)
        title = re.search(r"title\s*=\s*\{\{?(.*?)\}?\},\n", body)
        if not url or (rotating.search(url.group(1)) and not dated.search(url.group(1))):
            problems.append(f"{key}: no stable URL")
        if "Accessed" not in body:
            problems.append(f"{key}: no accessed date")
        # a title in brackets is supplied (a description of an untitled or unseen headline), and says so
        if not title or title.group(1).startswith("(") or (title.group(1).startswith("[")
                                                           and "title supplied" not in body):
            problems.append(f"{key}: the title is not the page's headline")
        if "\\$" in body:
            problems.append(f"{key}: write $ without a backslash (it shows in the web book)")
    assert not problems, "\n".join(problems)


def test_every_bibliography_entry_is_cited(root, html_dir):
    """The References page lists only cited entries (no :all:), so it must list every entry of references.bib."""
    page = (html_dir / "references.html").read_text(encoding="utf-8")
    shown = len(re.findall(r'<div class="citation"', page))
    assert shown == len(_bib_entries(root)), f"{len(_bib_entries(root)) - shown} entries of references.bib are never cited"


def test_loader_reads_a_table_once_until_its_file_changes(book_copy):
    """A chapter loads the same tables many times; a file with the bytes it had is read once per kernel. Each load
    is a copy (what a cell does to its table no later load sees), and a changed file is read, and checked, again."""
    script = """
import usrubook
from pathlib import Path
from usrubook.chapter import data
first = usrubook.load('trade')
first.loc[first.index[0], 'value'] = -1.0
again = usrubook.load('trade')
print('copy', again.loc[again.index[0], 'value'] != -1.0, again.equals(data._LOADED['trade'][1]))
csv = Path('../data/trade.csv')
lines = csv.read_text(encoding='utf-8').splitlines(keepends=True)
csv.write_text(''.join(lines[:-1]), encoding='utf-8')
print('rows', len(again) - len(usrubook.load('trade')))
"""
    result = run(["python", "-c", script], cwd=book_copy / "chapters")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["copy", "True", "True", "rows", "1"], result.stdout
    set_cell(book_copy / "data/trade.csv", "goods-imports-2022", "value", "n/a")
    twice = "import usrubook\nfor _ in range(2):\n    try:\n        usrubook.load('trade')\n    except Exception as e:\n        print(e)\n"
    result = run(["python", "-c", twice], cwd=book_copy / "chapters")
    assert result.stdout.count("column 'value': 'n/a' is not a number.") == 2, result.stdout
