"""Generated text reads as written by hand: no "(s)" plurals, "1 events", "All 4 of the 4", "0 of them",
duplicated passage links or glued sentences that start mid-sentence with a capital; and the chapters use the
errata's own kind and wording for every correction."""
import re
import subprocess

import pytest
from bs4 import BeautifulSoup

from usrubook.chapter import prose

# Nouns the book counts; a number right before one of them must agree with it.
NOUNS = ("event", "seed", "claim", "correction", "proposition", "statement", "relation", "time", "passage", "row",
         "figure", "reference", "dependency", "verdict", "partner", "flow", "check", "span", "word", "article",
         "table", "quote", "place", "occurrence", "development", "mention", "year", "page", "member", "state",
         "organisation", "theme", "candidate fact", "fact", "country", "exclusion", "era")
_PLURALS = "|".join(re.escape(prose.plural(2, n)) for n in NOUNS)
_SINGULARS = "|".join(re.escape(n) for n in NOUNS)

ARTEFACTS = {
    "a '(s)' plural": re.compile(r"\w\(s\)"),
    "'1' with a plural noun": re.compile(r"(?<![\d.,$%])\b1 (?:[a-z-]+ )?(?:" + _PLURALS + r")\b"),
    # not years ("the 2022 figure") nor zero-padded identifiers ("seed 002")
    "a number above 1 with a singular noun": re.compile(r"(?<![\d.,$])\b(?!(?:1[6-9]|20)\d\d\b)(?:[2-9]|[1-9]\d+) (?:"
                                                         + _SINGULARS + r")\b(?![-’'])(?! [a-z]+s\b)"),
    "'All N of the N'": re.compile(r"\b[Aa]ll (\d+) of the \1\b"),
    "'0 of them' or '0 <noun>'": re.compile(r"(?<![\d.,$])\b0 (?:of|(?:" + _PLURALS + r"))\b"),
    "'named 1 time'": re.compile(r"\b1 times\b"),
    "a doubled passage link": re.compile(r"(¶ ?\d+)(?:, | and )\1\b"),
    "a doubled word": re.compile(r"\b(the|of|and|a|to|in|is)\s+\1\b", re.I),
    "a doubled noun ('3 events of their events')": re.compile(r"\b(\w+s) of (?:its|their|the) \1\b"),
    "'N of the N'": re.compile(r"\b(\d+) of the \1 "),
}


def scan(text: str) -> list[str]:
    found = []
    for what, pattern in ARTEFACTS.items():
        for m in pattern.finditer(text):
            found.append(f"{what}: …{text[max(0, m.start() - 60):m.end() + 40]}…")
    return found


@pytest.mark.parametrize("text, expected", [
    ("The seeds report 1 events.", "'1' with a plural noun"),
    ("coded as proposition(s)", "a '(s)' plural"),
    ("All 4 of the 4 flows fell", "'All N of the N'"),
    ("0 of them", "'0 of them' or '0 <noun>'"),
    ("the passages ¶12, ¶12", "a doubled passage link"),
    ("2 seed report", "a number above 1 with a singular noun"),
    ("23 events of their events carry", "a doubled noun"),
    ("7 of the 7 near-term statements", "'N of the N'"),
])
def test_scan_finds_each_artefact(text, expected):
    assert any(f.startswith(expected) for f in scan(text)), scan(text)


def test_scan_leaves_good_text_alone():
    good = ("1 event and 31 events; one seed; US$ 1.7 billion; 2022 events; 1.3 billion; in 2 ways; "
            "all four flows fell; 14 November 2022; the 1 January 2024 enlargement; 24 February 2022; "
            "19 seed events above")
    assert scan(good) == []


def test_count_plural_and_listing():
    assert prose.count(1, "event") == "1 event"
    assert prose.count(2, "dependency") == "2 dependencies"
    assert prose.count(0, "seed", words=True) == "no seeds"
    assert prose.count(3, "time") == "3 times"
    assert prose.share(4, 4, "flow", words=True) == "all four flows"
    assert prose.share(2, 2, "seed") == "both seeds"
    assert prose.share(0, 3, "seed") == "none of the 3 seeds"
    assert prose.share(1, 1, "seed") == "the only seed"
    assert prose.listing(["a"]) == "a" and prose.listing(["a", "b", "c"]) == "a, b and c"
    with pytest.raises(ValueError):
        prose.listing([])
    assert prose.lower_first("The talks") == "the talks" and prose.lower_first("Russia said") == "Russia said"


def _html_text(html_dir):
    pages = sorted(p for p in html_dir.rglob("*.html") if "_static" not in p.parts and p.name != "genindex.html")
    out = {}
    for page in pages:
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        main = soup.find("main") or soup
        # a chart's description is read aloud by screen readers: it is prose too
        labels = " ".join(tag["aria-label"] for tag in main.find_all(attrs={"aria-label": True}))
        for tag in main.find_all(["script", "style"]):
            tag.decompose()
        # seed texts are verbatim and may hold anything; they are not the book's prose
        for tag in main.select(".seedtext"):
            tag.decompose()
        out[str(page.relative_to(html_dir))] = re.sub(r"\s+", " ", main.get_text(" ") + " " + labels)
    return out


def test_built_html_has_no_generated_text_artefacts(html_dir):
    problems = [f"{page}: {f}" for page, text in _html_text(html_dir).items()
                if page != "evidence/source-texts.html" for f in scan(text)]
    assert not problems, "\n".join(problems)


def test_pdf_text_has_no_generated_text_artefacts(pdf_path):
    text = subprocess.run(["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True, text=True,
                          check=True).stdout
    # the Source texts chapter reproduces the seeds verbatim; scan the book's own text only
    own = re.split(r"\n\s*Source texts\s*\n", text)
    body = own[0] + (own[2] if len(own) > 2 else "")
    # Prose only: the rows of tables (cells set apart by wide gaps, read across columns, and the wrapped lines of
    # cells, indented), running heads and page numbers are not sentences.
    lines = [line.strip() for line in body.splitlines()
             if not re.search(r"\S\s{3,}\S", line.strip()) and not re.fullmatch(r"\s*\d*\s*", line)
             and not line.startswith(" " * 12)
             and not line.startswith("Version ") and "continued" not in line]
    problems = scan(re.sub(r"-\n(?=[a-z])", "", "\n".join(lines)).replace("\n", " "))
    assert not problems, "\n".join(problems)


def _glue_sites(root):
    """(page, text before, glue name) for every inline glue ({eval} role) in the book's pages; names as glued
    (identifiers: correction_<id> with the id's hyphens as underscores)."""
    from usrubook.book.nbcheck import pages

    for page in pages(root):
        text = (root / page).read_text(encoding="utf-8")
        for m in re.finditer(r"\{(?:glue(?::text)?|eval)\}`([^`]+)`", text):
            yield page, text[max(0, m.start() - 300):m.start()], m.group(1)


def test_glued_corrections_follow_a_sentence_end(root):
    """A correction's text is a sentence of its own: glued after a full stop, a colon or at the start of a line,
    never inside a sentence, where its capital would read as a stray."""
    problems = []
    for page, before, name in _glue_sites(root):
        if name.startswith("correction_") and not name.endswith(("_kind", "_quote")):
            tail = before.rstrip()
            if tail and not re.search(r"([.:;!?)]|\n|^-|`)$", tail):
                problems.append(f"{page}: {{eval}}`{name}` follows '…{tail[-50:]}' in mid-sentence")
    assert not problems, "\n".join(problems)


KIND_WORDS = {
    "wrong": ("wrong", "incorrect", "false", "an error", "a mistake", "a slip", "rounding slip", "typo"),
    "outdated": ("outdated", "out of date", "no longer", "overtaken"),
    "garbled": ("garbled", "corrupt", "makes no sense"),
    "exaggerated": ("exaggerat", "overstate", "inflat"),
    "unsupported": ("unsupported",),
}


def test_chapters_use_the_errata_kind_for_each_correction(root):
    """Where a chapter glues a correction, the sentence around it uses no kind word that contradicts the errata:
    no 'rounding slip' for what the errata call wrong, no 'outdated' for what they call garbled."""
    from usrubook.chapter.data import load

    kinds = {cid.replace("-", "_"): kind
             for cid, kind in zip(load("corrections")["correction_id"], load("corrections")["kind"], strict=True)}
    problems = []
    for page, before, name in _glue_sites(root):
        if not name.startswith("correction_") or name.endswith(("_kind", "_quote")):
            continue
        cid = name[len("correction_"):]
        assert cid in kinds, f"{page}: {{eval}}`{name}` names no correction"
        # the sentence that holds the glue: back to a full stop, or to a glued or cited text that ended one
        sentence = re.split(r"(?<=[.!?])\s|\}`[^`]*`\s+(?=[A-Z])", before)[-1].lower()
        for kind, words in KIND_WORDS.items():
            if kind == kinds[cid]:
                continue
            hits = [w for w in words if w in sentence]
            if hits:
                problems.append(f"{page}: {cid} is '{kinds[cid]}' in the errata, but the sentence says '{hits[0]}'")
        if "rounding" in sentence and kinds[cid] != "garbled":
            problems.append(f"{page}: {cid} is '{kinds[cid]}' in the errata, but the sentence speaks of rounding")
    assert not problems, "\n".join(problems)


def test_chapters_type_no_correction_text(root):
    """Correction wording reaches the chapters only through glue from corrections.csv: no chapter repeats a
    sentence of a correction by hand."""
    from usrubook.chapter.data import load
    from usrubook.book.nbcheck import pages

    texts = {p: (root / p).read_text(encoding="utf-8") for p in pages(root)}
    problems = []
    for cid, correction in zip(load("corrections")["correction_id"], load("corrections")["correction"], strict=True):
        for sentence in re.split(r"(?<=[.;])\s", correction):
            words = sentence.split()
            if len(words) < 8:
                continue
            probe = " ".join(words[:8])
            problems += [f"{p}: types the wording of correction {cid}: '{probe}…'" for p, t in texts.items()
                         if probe in t]
    assert not problems, "\n".join(problems)


def test_chapters_are_mostly_about_the_relationship(root):
    """At least 60 % of each chapter's running prose is about US–Russia relations, not about the seeds or the
    method (usrubook.book.prose, make prose); the seeds' words sit in the chapters' boxes."""
    from usrubook.book.prose import MIN_SHARE, measure

    for row in measure(root):
        assert row["share_relationship"] >= MIN_SHARE, row
        assert row["words"] >= 1500, row
