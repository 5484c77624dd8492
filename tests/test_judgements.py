"""One judgement per seed statement, on references a historian would accept.

* the statements that used to be judged twice (issue "One judgement per statement") have one verdict each;
* make data refuses two judgements that disagree, and every reference rule, with a located error and a fix,
  writing nothing;
* the Verification page publishes every judgement as schema.org ClaimReview (read with extruct).
"""
import csv
import io
import re

import pytest

from conftest import assert_refused, run, set_cell


def _rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _judged(root, seed, words):
    """Every judgement of a passage of ``seed`` that overlaps the passage holding ``words``."""
    rows = [r for r in _rows(root / "data/judgements.csv") if r["source_id"] == seed]
    holding = [r for r in rows if words.lower() in " ".join(r["quote"].split()).lower()]
    assert holding, f"no judged passage of {seed} holds {words!r}"
    spans = [(int(r["start"]), int(r["end"])) for r in holding]
    return [r for r in rows if any(int(r["start"]) < e and s < int(r["end"]) for s, e in spans)]


# The statements a fact-check found judged twice, or judged wrongly, with the one verdict each now has.
ONE_VERDICT = [
    ("seed000", "Brazil, Russia, India, China, and South Africa", "outdated"),    # BRICS as five members
    ("seed002", "partnerships and alliances", "exaggerated"),                     # no alliance with China or India
    ("seed003", "extension of the New START treaty", "true-when-written"),
    ("seed004", "abruptly", "true-when-written"),                                 # Reuters: "called off at the last minute"
    ("seed002", "NATO members", "exaggerated"),                                   # Turkey is not on the list
    ("seed004", "high-level contacts", "outdated"),
    ("seed001", "trade Russian oil", "still-true"),                               # the India tariff of August 2025
    ("seed001", "Bella", "true-when-written"),                                    # EUCOM: "Russian-flagged oil tanker"
    ("seed001", "South Africa", "true-when-written"),                             # the three navies took part
    ("seed002", "Donbas", "wrong"),                                               # a full-scale war by March 2024
]


@pytest.mark.parametrize("seed, words, verdict", ONE_VERDICT, ids=[f"{s}: {w}" for s, w, _ in ONE_VERDICT])
def test_a_statement_once_judged_twice_has_one_verdict(root, seed, words, verdict):
    judged = _judged(root, seed, words)
    assert {r["verdict"] for r in judged} == {verdict}, [(r["judgement_id"], r["verdict"]) for r in judged]
    assert len({r["changed_on"] for r in judged}) == 1


def test_few_high_level_contacts_is_outdated_since_the_first_event_that_ended_it(root):
    judged = _judged(root, "seed004", "high-level contacts")
    assert {r["changed_on"] for r in judged} == {"2025-02-12"}     # the Trump–Putin call, before Riyadh


def test_claims_of_one_proposition_share_its_standing(root):
    claims = _rows(root / "data/claims.csv")
    ukraine = {c["verdict"] for c in claims if c["proposition_id"] == "us-supports-ukraine"}
    assert ukraine == {"still-true"}, ukraine       # 'instrumental in helping Ukraine', in every seed
    time = {"still-true", "true-when-written", "outdated"}
    by_prop = {}
    for c in claims:
        if c["verdict"] in time:
            by_prop.setdefault(c["proposition_id"], set()).add(c["verdict"])
    assert all(len(v) == 1 for v in by_prop.values()), {p: v for p, v in by_prop.items() if len(v) > 1}


def test_the_period_of_cooperation_is_contested(root):
    claims = [c for c in _rows(root / "data/claims.csv") if c["claim_id"].startswith("seed003-post-soviet-cooperation")]
    assert claims and {c["verdict"] for c in claims} == {"contested"}


def test_no_fact_rests_on_state_media_or_an_aggregator(root):
    from usrubook.pipeline.references import read_bib
    from usrubook.pipeline.schema import CURATED, FACT_KINDS

    bib = read_bib(root)
    for name, table in CURATED.items():
        if "reference" not in table.names or name == "source_dependencies":
            continue
        for r in _rows(root / table.path):
            keys = [k.strip() for k in (r["reference"] or "").split(";") if k.strip()]
            kinds = [bib[k].kind for k in keys if bib[k].kind]
            assert "aggregator" not in kinds, (table.path, r)
            if kinds:
                said = " ".join(v for k, v in r.items() if k not in ("reference", "reference_excerpt", "quote"))
                assert kinds[0] in FACT_KINDS or "according to" in said, (table.path, r)


def test_no_research_words_reach_the_reader(root):
    """Judgements and subject rows speak of what was consulted, not of how the book was made."""
    words = re.compile(r"\b(stored copy|search(es|ed)? tried|corpus|corpora|helper|the lead)\b", re.I)
    for rel in ("data/judgements.csv", "data/chronology.csv", "data/facts.csv", "data/trade_series.csv",
                "data/measures.csv", "data/treaties.csv", "data/scenarios.csv"):
        for r in _rows(root / rel):
            for k, v in r.items():
                if k not in ("reference_excerpt", "quote") and v:
                    assert not words.search(v), (rel, k, v)


# -- make data refuses, with a located error and a fix ------------------------------------------------------

def _line_of(path, column, value):
    for i, r in enumerate(_rows(path), start=2):
        if r[column] == value:
            return i
    raise KeyError(value)


def _append(rel, row):
    def mutate(book):
        path = book / rel
        text = path.read_text(encoding="utf-8")
        header = next(csv.reader(io.StringIO(text)))
        buf = io.StringIO(newline="")
        csv.writer(buf, lineterminator="\n").writerow([row.get(h, "") for h in header])
        path.write_text(text + buf.getvalue(), encoding="utf-8")
        return text.count("\n") + 1
    return mutate


def _cell(rel, column, key, field, value):
    def mutate(book):
        path = book / rel
        set_cell(path, key, field, value)
        return _line_of(path, column, key)
    return mutate


def _kind(key, kind, rel, column, row_key):
    """Give the bibliography entry ``key`` another kind; the error names the first row citing it."""
    def mutate(book):
        bib = book / "references.bib"
        text = bib.read_text(encoding="utf-8")
        start = text.index("@misc{" + key + ",")
        end = text.index("\n}", start)
        entry = re.sub(r"kind\s*=\s*\{[^}]*\}", "kind         = {" + kind + "}", text[start:end])
        bib.write_text(text[:start] + entry + text[end:], encoding="utf-8")
        return _line_of(book / rel, column, row_key)
    return mutate


def _no_kind(key):
    def mutate(book):
        bib = book / "references.bib"
        text = bib.read_text(encoding="utf-8")
        start = text.index("@misc{" + key + ",")
        end = text.index("\n}", start)
        bib.write_text(text[:start] + re.sub(r"\n\s*kind\s*=\s*\{[^}]*\},?", "", text[start:end]) + text[end:],
                       encoding="utf-8")
        return text[:start].count("\n") + 1
    return mutate


V = "data/curated/verifications.csv"
C = "data/curated/corrections.csv"
REFUSED = {
    "a claim with another standing in time than its proposition": (
        _append(V, {"verification_id": "seed004-us-supports-ukraine-1", "subject_table": "claims",
                    "subject_id": "seed004-us-supports-ukraine-1", "verdict": "true-when-written",
                    "reference": "reuters2023peskov", "reference_excerpt": "Russia said on Friday that relations with "
                    "the United States were at an all-time low", "accessed": "2026-11-22",
                    "note": "Judged a second time."}),
        V, "verdict", "one statement has one standing in time"),
    "outdated by a change before the seed was written": (
        _cell(V, "verification_id", "few-high-level-contacts", "changed_on", "2022-06-01"),
        V, "changed_on", "was written after that"),
    "overlapping passages judged apart": (
        _cell(C, "correction_id", "seed002-partnerships-alliances", "kind", "garbled"),
        None, "verdict", "two judgements of overlapping passages of seed002 disagree"),
    "an aggregator cited": (
        _kind("reuters2023peskov", "aggregator", C, "correction_id", "seed004-vice-president"),
        C, "reference", "is an aggregator, mirror or unknown site"),
    "state media for a fact": (
        _kind("reuters2023peskov", "state-media", C, "correction_id", "seed004-vice-president"),
        C, "reference", "which is state-affiliated media"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_make_data_refuses_disagreeing_judgements_and_weak_references(case, book_copy):
    mutate, file, column, message = REFUSED[case]
    assert_refused(book_copy, mutate, file, column, message)


def test_a_disagreement_names_both_rows(book_copy):
    _cell(C, "correction_id", "seed002-partnerships-alliances", "kind", "garbled")(book_copy)
    err = run(["python", "-m", "usrubook.pipeline.derive"], cwd=book_copy).stderr
    line = _line_of(book_copy / C, "correction_id", "seed002-partnerships-alliances")
    assert f"corrections 'seed002-partnerships-alliances', judged garbled ({C}, line {line})" in err, err
    assert re.search(r"relations '(china|india)-partner-seed002', judged exaggerated \(" + re.escape(V), err), err


@pytest.mark.parametrize("mutate, message", [
    (_no_kind("reuters2023peskov"), "the entry 'reuters2023peskov' has no kind."),
    (_kind("reuters2023peskov", "blog", C, "correction_id", "seed004-vice-president"), "which is not one of ours"),
], ids=["entry without a kind", "unknown kind"])
def test_every_reference_has_a_kind(mutate, message, book_copy):
    mutate(book_copy)
    result = run(["python", "-m", "usrubook.pipeline.derive"], cwd=book_copy)
    assert result.returncode == 1
    assert "references.bib, line " in result.stderr and message in result.stderr, result.stderr
    assert "column 'kind'" in result.stderr


# -- machine-readable verdicts -------------------------------------------------------------------------------

def test_verification_page_publishes_every_judgement_as_claimreview(root, html_dir):
    import extruct

    html = (html_dir / "evidence" / "verification.html").read_text(encoding="utf-8")
    data = extruct.extract(html, syntaxes=["json-ld"], uniform=True)["json-ld"]
    items = [i for d in data for i in d.get("@graph", [d])]
    reviews = [i for i in items if i.get("@type") == "ClaimReview"]
    judged = _rows(root / "data/judgements.csv")
    assert len(reviews) == len(judged)
    by_quote = {}
    for r in reviews:
        by_quote.setdefault(r["claimReviewed"], []).append(r)
    sources = {s["source_id"]: s for s in _rows(root / "data/sources.csv")}
    for j in judged:
        review = by_quote[j["quote"]][0]
        rating = review["reviewRating"]
        assert rating["name"] == j["verdict"] and rating["alternateName"]
        if "ratingValue" in rating:
            assert 1 <= rating["ratingValue"] <= rating["bestRating"]
        claim = review["itemReviewed"]
        assert claim["@type"] == "Claim"
        assert claim["appearance"]["identifier"] == j["source_id"]
        when = sources[j["source_id"]]["stated_date"] or sources[j["source_id"]]["estimated_date"]
        assert claim["appearance"].get("datePublished") == when
        if j["reference"]:
            assert review.get("citation"), review


def test_pages_cite_no_aggregator_and_attribute_state_media(root):
    """In the book's prose, an aggregator is never cited, and a state-affiliated outlet only in a sentence that
    attributes the words to a government through it ("according to TASS", "told TASS")."""
    from usrubook.pipeline.references import read_bib

    bib = read_bib(root)
    cite = re.compile(r"\{cite(?::\w+)?\}`([^`]+)`")
    pages = [root / "intro.md", *sorted((root / "chapters").glob("*.md")), *sorted((root / "evidence").glob("*.md"))]
    for page in pages:
        for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z(])", page.read_text(encoding="utf-8")):
            for m in cite.finditer(sentence):
                for key in (k.strip() for k in m.group(1).split(",")):
                    e = bib[key]
                    assert e.kind != "aggregator", (page.name, key, sentence[-200:])
                    if e.kind == "state-media":
                        said = re.search(r"(according to|told|reported by)\s+" + re.escape(e.outlet)
                                         + r"|" + re.escape(e.outlet) + r"\s+reported", sentence, re.I)
                        assert said, (page.name, key, sentence[-300:])
