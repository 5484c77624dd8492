"""Adding a source is a documented, tested path: `make add-seed FILE=…` copies the article into seeds/ and
appends its manifest row; a bad file is refused without writing anything; and a sixth seed, titled but not yet
dated or coded, goes through make data and a strict HTML build, showing on the Source texts and Sources pages."""
import hashlib
import re

import pytest
from bs4 import BeautifulSoup

from conftest import VENV, copy_book, data_snapshot, run, set_cell
from test_prose import _html_text, scan

MAKE = ["make", "-o", f"{VENV}/.installed", "-o", "node_modules/.installed", f"VENV={VENV}"]

# A synthetic article, written for this test: a title line, page furniture, and candidate facts of every kind
# (a year, an amount, a percentage, and actors and places the gazetteer knows).
ARTICLE = """Share this page

Washington and Moscow Keep Talking

Officials in Washington and Moscow met again this spring, the third such meeting since 2022. The talks covered \
prisoner exchanges and the future of arms control after New START.

Trade between the United States and Russia fell to $3.5 billion, down 12% from the year before.

Analysts expect NATO and China to weigh on any agreement.
"""
DIGEST = hashlib.sha256(ARTICLE.encode("utf-8")).hexdigest()
NAME = f"005_{DIGEST[:16]}.txt"


def _add(book, *args):
    return run(MAKE + ["add-seed", *args], cwd=book)


def _state(book):
    """Everything make add-seed may write."""
    return ({p.name: p.read_bytes() for p in (book / "seeds").iterdir()}, (book / "_build/coding").exists())


@pytest.mark.parametrize("case", ["missing", "not UTF-8", "already a seed", "empty"])
def test_a_bad_file_is_refused_and_nothing_is_written(case, book_copy, tmp_path):
    article = tmp_path / "article.txt"
    if case == "not UTF-8":
        article.write_bytes(ARTICLE.replace("Moscow", "Moskv\u00e1").encode("cp1252"))
    elif case == "already a seed":
        article.write_bytes((book_copy / "seeds/003_fac465e6cb5f4842.txt").read_bytes())
    elif case == "empty":
        article.write_text(" \n\n", encoding="utf-8")
    before = _state(book_copy)
    result = _add(book_copy, f"FILE={article}")
    assert result.returncode != 0
    err = result.stderr
    assert "make add-seed: the seed was not added, nothing was written." in err
    assert f"{article}" in err and err.count("How to fix:") == 1 and "Traceback" not in err
    assert {
        "missing": "the file is missing.",
        "not UTF-8": "line 3: the file is not UTF-8 (byte ",
        "already a seed": "the article is already in the book: it is seed003 (seeds/003_fac465e6cb5f4842.txt), "
                          "line 5 of seeds/sources.csv.",
        "empty": "the file holds no text.",
    }[case] in err, err
    assert _state(book_copy) == before


def test_a_seed_dropped_into_seeds_is_refused_then_added(book_copy):
    (book_copy / "seeds/new-article.txt").write_text(ARTICLE, encoding="utf-8")
    before = data_snapshot(book_copy)
    derive = run(["python", "-m", "usrubook.pipeline.derive"], cwd=book_copy)
    assert derive.returncode == 1
    assert "seeds/new-article.txt: the file is not in seeds/sources.csv." in derive.stderr
    assert "How to fix: to add it as a new source, run make add-seed FILE=seeds/new-article.txt" in derive.stderr
    assert data_snapshot(book_copy) == before

    added = _add(book_copy, "FILE=seeds/new-article.txt", "TITLE=Washington and Moscow Keep Talking",
                 "GENRE=news report")
    assert added.returncode == 0, added.stderr
    assert not (book_copy / "seeds/new-article.txt").exists()
    assert (book_copy / "seeds" / NAME).read_text(encoding="utf-8") == ARTICLE
    row = (book_copy / "seeds/sources.csv").read_text(encoding="utf-8").splitlines()[-1]
    assert row == (f"seed005,{NAME},Washington and Moscow Keep Talking,news report,,,not yet dated,,,{DIGEST},"
                   f"{len(ARTICLE.split())}")

    derive = run(["python", "-m", "usrubook.pipeline.derive"], cwd=book_copy)
    assert derive.returncode == 0, derive.stderr
    # once added, the manifest's checksum is told apart from the file's: the name carries the file's
    set_cell(book_copy / "seeds/sources.csv", "seed005", "sha256", "0" * 64)
    derive = run(["python", "-m", "usrubook.pipeline.derive"], cwd=book_copy)
    assert (f"seeds/sources.csv, line 7, column 'sha256': the sha256 of seed005 is not the checksum of seeds/{NAME}"
            in derive.stderr), derive.stderr
    assert f"How to fix: write {DIGEST}." in derive.stderr


def test_dating_a_seed_fills_all_its_fields(book_copy):
    """A seed is dated (estimated date, confidence, evidence and reasoning) or 'not yet dated' (none of them)."""
    manifest = book_copy / "seeds/sources.csv"
    set_cell(manifest, "seed003", "date_confidence", "not yet dated")
    derive = run(["python", "-m", "usrubook.pipeline.derive"], cwd=book_copy)
    assert ("seeds/sources.csv, line 5, column 'estimated_date': estimated_date is filled in, but date_confidence says "
            "that seed003 is 'not yet dated'.") in derive.stderr, derive.stderr
    set_cell(manifest, "seed003", "date_confidence", "medium")
    set_cell(manifest, "seed003", "date_evidence", "")
    set_cell(manifest, "seed003", "date_reasoning", "")
    derive = run(["python", "-m", "usrubook.pipeline.derive"], cwd=book_copy)
    assert ("seeds/sources.csv, line 5, column 'date_evidence': date_evidence and date_reasoning are empty, but "
            "date_confidence is 'medium'.") in derive.stderr, derive.stderr
    assert "set date_confidence to 'not yet dated'" in derive.stderr


@pytest.mark.parametrize("dated, rows, facts, gaps, expected", [
    (False, 0, 8, 8, "It has not yet been dated, so it takes no part in the comparisons of dates and is not placed on "
                     "any timeline. No rows have been coded from it yet, so it contributes no claims, events, figures "
                     "or corrections; none of the eight candidate facts in its text (years, dates, amounts and named "
                     "actors or places) is accounted for yet."),
    (True, 0, 0, 0, "It dates from 2025-03 (estimated, low). No rows have been coded from it yet, so it contributes "
                    "no claims, events, figures or corrections."),
    (False, 1, 12, 11, "Its coding is not complete: one row of data quotes it, and one of the 12 candidate facts in "
                       "its text is accounted for."),
    (True, 5, 12, 3, "It dates from 2025-03 (estimated, low). Its coding is not complete: five rows of data quote it, "
                     "and nine of the 12 candidate facts in its text are accounted for."),
])
def test_the_generated_paragraph_on_a_seed_in_progress_reads_as_written(dated, rows, facts, gaps, expected):
    from usrubook.chapter.seeds import status_paragraph
    from usrubook.pipeline.schema import NOT_YET_DATED

    row = {"source_id": "seed005", "title": "A *starred* [title]", "genre": "educational explainer", "words": 1234,
           "stated_date": None, "estimated_date": "2025-03" if dated else None,
           "date_confidence": "low" if dated else NOT_YET_DATED}
    text = status_paragraph(row, rows, facts, gaps)
    assert text.startswith("**Seed 005**, \"A \\*starred\\* \\[title\\]\", is an educational explainer of "
                           "1,234 words; its text is on the {ref}`Source texts <seed005-p1>` page. ")
    assert text.endswith(expected), text
    assert scan(text) == []


def test_the_data_package_counts_the_seeds():
    from usrubook.pipeline.datapackage import _seeds_phrase

    five = [{"estimated_date": d} for d in ("2023", "2026-01", "2024-03-08", "2023", "2023-01")]
    assert _seeds_phrase(five) == "five web articles on US–Russia relations (2023–2026)"
    assert _seeds_phrase(five + [{"estimated_date": None}]) == \
        "six web articles on US–Russia relations (2023–2026; one not yet dated)"
    assert _seeds_phrase([{"estimated_date": None}]) == "one web article on US–Russia relations (one not yet dated)"


@pytest.mark.slow
def test_a_sixth_seed_goes_from_make_add_seed_to_a_strict_html_build(tmp_path):
    """The path README.md describes, with one full build: add, fill in title and genre, derive, build. The copy
    has the book's executed notebooks (the build executes again the pages whose data the new seed changes)."""
    book_copy = copy_book(tmp_path / "book", cache=True)
    article = tmp_path / "article.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    added = _add(book_copy, f"FILE={article}")
    assert added.returncode == 0, added.stderr
    out = added.stdout
    assert f"added seed005: seeds/{NAME}" in out and "line 7 of seeds/sources.csv" in out
    assert "fill in title (as the page prints it) and genre" in out
    # the coding checklist: every candidate fact, by paragraph, also written to _build/coding/
    checklist = (book_copy / "_build/coding/seed005.md").read_text(encoding="utf-8")
    assert checklist in out
    assert "- [ ] ¶3 “Officials in Washington and Moscow" in checklist and "year 2022" in checklist
    assert "- [ ] ¶4 " in checklist and "amount $3.5 billion" in checklist and "percentage 12%" in checklist

    data = run(MAKE + ["data"], cwd=book_copy)
    assert data.returncode != 0
    assert "seeds/sources.csv, line 7, column 'title': the seed on this line has no title yet." in data.stderr
    manifest = book_copy / "seeds/sources.csv"
    set_cell(manifest, "seed005", "title", "Washington and Moscow Keep Talking")
    set_cell(manifest, "seed005", "genre", "news report")

    html = run(MAKE + ["html"], cwd=book_copy, timeout=1800)
    assert html.returncode == 0, (html.stdout + html.stderr)[-3000:]
    assert "WARNING" not in html.stdout + html.stderr.replace("[IPKernelApp] WARNING", "")
    package = (book_copy / "data/datapackage.json").read_text(encoding="utf-8")
    assert "coded from six web articles on US–Russia relations (2023–2026; one not yet dated)" in package

    built = book_copy / "_build/html"
    texts = BeautifulSoup((built / "evidence/source-texts.html").read_text(encoding="utf-8"), "html.parser")
    section = texts.find(id="seed-005-washington-and-moscow-keep-talking")
    assert section is not None and "Seed 005: “Washington and Moscow Keep Talking”" in section.h2.get_text()
    lines = [line.strip() for line in ARTICLE.splitlines() if line.strip()]
    for number, line in enumerate(lines, 1):
        assert section.find(id=f"seed005-p{number}").get_text() == f"¶{number} {line}"

    pages = _html_text(built)
    sources = pages["evidence/sources.html"]
    assert re.search(r"seed005 \| Washington and Moscow Keep Talking \| news report \| not yet dated \| 64 \| 0 \| 0",
                     " | ".join(tr.get_text(" | ", strip=True) for tr in BeautifulSoup(
                         (built / "evidence/sources.html").read_text(encoding="utf-8"), "html.parser").find_all("tr")))
    assert ("Seed 005 , “Washington and Moscow Keep Talking”, is a news report of 64 words; its text is on the "
            "Source texts page. It has not yet been dated") in sources
    assert "No rows have been coded from it yet" in sources and "none of the eight candidate facts" in sources
    assert "The book rests on six web articles" in sources and "the six seeds are five independent sources" in sources
    assert "It also reads, as evidence, six web articles" in pages["intro.html"]
    assert "seed005 is not yet dated, and the others are dated from internal evidence" in pages["intro.html"]
    assert "The six seed articles are stored byte for byte" in pages["evidence/methods.html"]
    # the chapters tell the relationship: they quote seeds in boxes but never count them
    assert "seed005" not in pages["chapters/history.html"]
    problems = [f"{page}: {f}" for page, text in pages.items() if page != "evidence/source-texts.html"
                for f in scan(text)]
    assert not problems, "\n".join(problems)
