"""The seeds in seeds/ are exactly those of seeds/sources.csv, byte for byte as its checksums pin them; a changed,
missing or unlisted seed is refused with a message that says which case it is; nothing states the number of
seeds by hand."""
import hashlib
import re

import pytest

from conftest import run
from usrubook.chapter import prose
from usrubook.errors import DataError
from usrubook.pipeline.csvio import read_table
from usrubook.pipeline.derive import build
from usrubook.pipeline.schema import SOURCES
from usrubook.pipeline.seeds import SEED_NAME, load_seeds


def test_every_seed_file_is_in_the_manifest_and_pinned(root):
    rows = read_table(root / "seeds/sources.csv", SOURCES)
    assert rows, "seeds/sources.csv lists no seed"
    files = sorted(p.name for p in (root / "seeds").glob("*.txt"))
    assert sorted(r["file"] for r in rows) == files
    assert [r["source_id"] for r in rows] == [f"seed{i:03d}" for i in range(len(rows))], "seed ids run 000, 001, …"
    for r in rows:
        data = (root / "seeds" / r["file"]).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        assert digest == r["sha256"], f"{r['file']} has changed"
        assert len(data.decode("utf-8").split()) == r["words"], r["file"]
        # NNN_<16 hex digits>.txt: the original seeds' digits are an identifier of their own, make add-seed's
        # the start of the SHA-256
        m = SEED_NAME.match(r["file"])
        assert m and m.group(1) == r["source_id"][4:], f"{r['file']}: a seed file is named NNN_<16 hex digits>.txt"
    load_seeds(root)   # and the loader agrees


def test_changed_seed_is_refused(book_copy):
    seed = book_copy / "seeds" / "003_fac465e6cb5f4842.txt"
    seed.write_bytes(seed.read_bytes().replace(b"$20.2 billion", b"$20.3 billion"))
    with pytest.raises(DataError) as err:
        build(book_copy)
    message = str(err.value)
    assert "seeds/sources.csv, line 5, column 'sha256'" in message
    assert "the seed file seeds/003_fac465e6cb5f4842.txt has changed" in message
    assert "seeds are never edited: restore the file (git checkout -- seeds/003_fac465e6cb5f4842.txt)" in message
    assert "make add-seed" in message    # a revised article is a new source


def test_seed_not_in_the_manifest_is_refused(book_copy):
    stray = book_copy / "seeds/005_0123456789abcdef.txt"
    stray.write_text("An article dropped into seeds/ by hand.\n", encoding="utf-8")
    result = run(["python", "-m", "usrubook.pipeline.derive"], cwd=book_copy)
    assert result.returncode == 1
    assert "seeds/005_0123456789abcdef.txt: the file is not in seeds/sources.csv." in result.stderr
    assert "run make add-seed FILE=seeds/005_0123456789abcdef.txt" in result.stderr
    assert not (book_copy / "data/sources.csv").read_text(encoding="utf-8").count("seed005")


def test_seed_dating_evidence_is_quoted(root):
    sources = (root / "data" / "sources.csv").read_text(encoding="utf-8")
    assert "Last Updated : 08 Mar, 2024" in sources
    result = run(["python", "-c", "import usrubook; s = usrubook.load('sources'); "
                  "print(s.set_index('source_id').loc['seed002', 'stated_date'])"], cwd=root / "chapters")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2024-03-08"


def _number_words():
    return "|".join(prose.number(n, words=True) for n in range(3, 11))   # "two seeds" is rarely the total


def test_readme_states_the_number_of_seeds(root):
    """README.md is not built, so its count of seeds is checked here: after make add-seed, update it."""
    n = len(read_table(root / "seeds/sources.csv", SOURCES))
    stated = re.findall(r"\b(" + _number_words() + r") (?:web|seed) articles\b", (root / "README.md").read_text(
        encoding="utf-8"))
    assert stated, "README.md no longer says how many seed articles there are"
    assert set(stated) == {prose.number(n, words=True)}, \
        f"README.md says {' and '.join(sorted(set(stated)))} seed articles; seeds/sources.csv lists {n}"


def test_no_page_types_the_number_of_seeds(root):
    """The book's pages glue the number of seeds (a new seed changes it); none types it in the prose."""
    from usrubook.book.nbcheck import pages

    files = set(pages(root)) | {"evidence/source-texts.md", "references.md"}
    typed = re.compile(r"\b(" + _number_words() + r"|[3-9]|\d\d+) (?:seeds|seed articles|web articles|articles)\b", re.I)
    problems = []
    for page in sorted(files):
        text = (root / page).read_text(encoding="utf-8")
        prose_only = re.sub(r"```\{code-cell\}.*?```", "", text, flags=re.S)
        problems += [f"{page}: '{m.group(0)}'" for m in typed.finditer(prose_only)]
    assert not problems, "glue the number of seeds instead: " + "; ".join(problems)


def test_every_finished_seed_is_described_by_hand(root):
    """The Sources page generates a paragraph for a seed still being worked on (not yet dated, or with candidate
    facts not accounted for); once a seed is dated and fully coded, its paragraph is written by hand."""
    from usrubook.pipeline.schema import DERIVED, NOT_YET_DATED

    rows = read_table(root / "seeds/sources.csv", SOURCES)
    coverage = read_table(root / DERIVED["coverage"].path, DERIVED["coverage"])
    gaps = {r["source_id"] for r in coverage if r["status"] == "gap"}
    page = (root / "evidence/sources.md").read_text(encoding="utf-8")
    missing = [r["source_id"] for r in rows if r["date_confidence"] != NOT_YET_DATED and r["source_id"] not in gaps
               and f"**Seed {r['source_id'][4:]}**" not in page]
    assert not missing, f"describe {', '.join(missing)} under 'Each seed' in evidence/sources.md"
