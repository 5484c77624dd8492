"""CITATION.cff is the one source of the book's metadata: it is valid Citation File Format 1.2.0, the version
and release date are typed nowhere else (but CHANGELOG.md, whose newest entry matches), the build takes them
from it, and `make release` writes a deterministic archive that is never replaced by different content."""
import hashlib
import json
import re
import subprocess
import zipfile

import pytest
import yaml

from usrubook.book import release
from usrubook.book.metadata import SCHEMA, book_metadata, read_cff, sentence_case, validate

# Files that may name the version or release date: the metadata itself, its history, and pins of other packages.
# (latex/bbm.sty carries its own package date, which happens to be the same day.)
ALLOWED = {"CITATION.cff", "CHANGELOG.md", "requirements.txt", "requirements-lab.txt", "package-lock.json",
           "latex/bbm.sty"}


def test_citation_cff_is_valid_cff_1_2_0(root):
    import jsonschema

    data = read_cff(root)
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["$id"] == "https://citation-file-format.github.io/1.2.0/schema.json"
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(data)
    for key in ("title", "authors", "version", "date-released", "license", "repository-code", "url"):
        assert data.get(key), key
    assert data["cff-version"] == "1.2.0"


def test_addresses_are_those_of_the_version_unless_the_latest_is_asked(root):
    meta = book_metadata(root)
    assert meta.url.endswith("/") and meta.version_url == f"{meta.url}v{meta.version}/"
    assert meta.address() == meta.version_url and meta.address(latest=True) == meta.url
    assert meta.page_url("chapters/trade", "fig-x") == f"{meta.version_url}chapters/trade.html#fig-x"
    assert meta.page_url("chapters/trade", latest=True) == f"{meta.url}chapters/trade.html"
    assert meta.pdf_url == f"{meta.version_url}us-russia-relations.pdf"
    assert meta.page_pdf_url("chapters/trade") == f"{meta.version_url}chapters/trade.pdf"
    assert meta.page_pdf_url("evidence/sources") == meta.pdf_url == meta.page_pdf_url(None)


def test_authors_keep_entities_and_persons_apart(root):
    from usrubook.book.metadata import _creator

    meta = book_metadata(root)
    assert [c.name for c in meta.creators] == list(meta.authors)
    assert all(c.is_entity for c in meta.creators)       # CITATION.cff names a team, with ``name``
    person = _creator({"given-names": "Ada", "name-particle": "de", "family-names": "Vries"})
    assert (person.name, person.inverted, person.is_entity) == ("Ada de Vries", "de Vries, Ada", False)


@pytest.mark.parametrize("title, expected", [
    ("US–Russia Relations: an executable research book", "US–Russia relations: An executable research book"),
    ("Relations Between the United States and Russia", "Relations between the United States and Russia"),
    ("NATO and Europe: The Record", "NATO and Europe: The record"),
    ("trade", "Trade"),
])
def test_sentence_case(title, expected):
    assert sentence_case(title) == expected


def test_sentence_case_without_lowering_only_adds_capitals():
    assert sentence_case("Figure 4.1: goods trade with Kazakhstan", lower=False) == \
        "Figure 4.1: Goods trade with Kazakhstan"


def test_invalid_citation_cff_is_refused(root):
    data = read_cff(root)
    with pytest.raises(ValueError, match="date-released"):
        validate({**data, "date-released": "November, the 21st"})
    with pytest.raises(ValueError, match="licence|license"):
        validate({**data, "license": "Not-A-Licence"})


def _tracked_text_files(root):
    names = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True).stdout.split()
    for name in names:
        path = root / name
        if name in ALLOWED or not path.is_file() or path.stat().st_size > 5_000_000:
            continue
        try:
            yield name, path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue


def test_version_and_date_are_typed_only_in_citation_cff(root):
    meta = book_metadata(root)
    patterns = [re.escape(meta.version), re.escape(meta.released.isoformat()),
                re.escape(meta.released.strftime("%Y/%m/%d")), re.escape(meta.long_date)]
    found = []
    for name, text in _tracked_text_files(root):
        # the data record the day each reference was read, which may be the release day: not a typed release date
        if name.startswith(("data/", "tests/reference/")):
            continue
        for pattern in patterns:
            for m in re.finditer(rf"(?<![\w.]){pattern}(?![\w.])", text):
                line = text[text.rfind("\n", 0, m.start()) + 1:text.find("\n", m.start())]
                if name == "references.bib" and "Accessed" in line:
                    continue
                found.append(f"{name}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)}")
    assert not found, "the version or release date is typed outside CITATION.cff:\n" + "\n".join(found)


def test_changelog_newest_entry_matches_citation_cff(root):
    meta = book_metadata(root)
    text = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "Keep a Changelog" in text and "## [Unreleased]" in text
    assert release.changelog_newest(root) == (meta.version, meta.released.isoformat())


def test_built_book_takes_its_metadata_from_citation_cff(root, html_dir, pdf_path):
    meta = book_metadata(root)
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    assert "release" not in config["sphinx"]["config"] and "version" not in config["sphinx"]["config"]
    assert "title" not in config
    page = (html_dir / "chapters/trade.html").read_text(encoding="utf-8")
    assert f"Version {meta.version}, released" in page and meta.long_date in page
    title = subprocess.run(["pdftotext", "-l", "1", str(pdf_path), "-"], capture_output=True, text=True,
                           check=True).stdout
    assert f"Version {meta.version}" in title and f"Released {meta.long_date}." in title
    info = subprocess.run(["pdfinfo", str(pdf_path)], capture_output=True, text=True, check=True).stdout
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    assert fields["Title"].strip() == meta.title
    assert fields["Author"].strip() == ", ".join(meta.authors)
    assert fields["Subject"].strip().startswith(meta.abstract[:40])
    assert "Russia" in fields["Keywords"]


def test_preface_how_to_cite_is_generated(root, html_dir):
    from bs4 import BeautifulSoup

    meta = book_metadata(root)
    intro = (root / "intro.md").read_text(encoding="utf-8")
    assert "```{how-to-cite}" in intro and "@book{" not in intro
    soup = BeautifulSoup((html_dir / "intro.html").read_text(encoding="utf-8"), "html.parser")
    section = soup.find(id="how-to-cite")
    text = " ".join(section.get_text(" ").split())
    assert f"(Version {meta.version})" in text and f"version = {{{meta.version}}}" in text
    assert "@incollection {" in text and "chapter = {4}" in text


# ---------------------------------------------------------------- make release


def _fake_book(tmp_path, root):
    """A small book folder: the real metadata and licences, a tiny site, PDF and data package."""
    import shutil

    book = tmp_path / "book"
    (book / "_build/html/chapters").mkdir(parents=True)
    (book / "_build/latex").mkdir(parents=True)
    (book / "data").mkdir()
    for name in release.TOP_FILES:
        shutil.copy(root / name, book / name)
    (book / "_build/html/index.html").write_text("<p>book</p>", encoding="utf-8")
    (book / "_build/html/chapters/trade.html").write_text("<p>trade</p>", encoding="utf-8")
    (book / "_build/html/reports").mkdir()
    (book / "_build/html/reports/x.err.log").write_text("not released", encoding="utf-8")
    (book / "_build/latex/us-russia-relations.pdf").write_bytes(b"%PDF-1.7 tiny")
    (book / "data/datapackage.json").write_text('{"name": "x"}', encoding="utf-8")
    (book / "data/trade.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    return book


def test_release_archive_is_complete_and_deterministic(tmp_path, root):
    book = _fake_book(tmp_path, root)
    meta = book_metadata(root)
    path, state = release.build(book)
    assert state == "written" and path.name == f"us-russia-relations-{meta.version}.zip"
    first = path.read_bytes()
    top = f"us-russia-relations-{meta.version}/"
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        assert names == sorted(names) and all(n.startswith(top) for n in names)
        rel = {n[len(top):] for n in names}
        assert {"site/index.html", "site/chapters/trade.html", "site/us-russia-relations.pdf",
                "us-russia-relations.pdf", "data/datapackage.json", "data/trade.csv", "CITATION.cff",
                "CHANGELOG.md", "LICENSE", "LICENSE-TEXT", "LICENSE-CODE", "SHA256SUMS"} <= rel
        assert not any("reports" in n for n in rel)
        assert {i.date_time for i in zf.infolist()} == {(meta.released.year, meta.released.month,
                                                        meta.released.day, 0, 0, 0)}
        sums = zf.read(top + "SHA256SUMS").decode()
        listed = dict(reversed(line.split("  ", 1)) for line in sums.splitlines())
        assert set(listed) == rel - {"SHA256SUMS"}
        for name, digest in listed.items():
            assert hashlib.sha256(zf.read(top + name)).hexdigest() == digest, name
    # the same sources give the same archive, which is left as it is
    path.unlink()
    again, state = release.build(book)
    assert again.read_bytes() == first
    assert release.build(book)[1] == "unchanged"


def test_release_refuses_to_replace_a_different_archive(tmp_path, root):
    book = _fake_book(tmp_path, root)
    path, _ = release.build(book)
    before = path.read_bytes()
    (book / "data/trade.csv").write_text("a,b\n1,3\n", encoding="utf-8")
    with pytest.raises(release.ReleaseError, match="already released"):
        release.build(book)
    assert path.read_bytes() == before


def test_release_needs_a_changelog_entry(tmp_path, root):
    book = _fake_book(tmp_path, root)
    text = (book / "CHANGELOG.md").read_text(encoding="utf-8")
    (book / "CHANGELOG.md").write_text(re.sub(r"^## \[\d[^\n]*\n", "", text, count=1, flags=re.M),
                                       encoding="utf-8")
    with pytest.raises(release.ReleaseError, match="CHANGELOG.md"):
        release.build(book)
    assert not (book / "_build/release").exists()

