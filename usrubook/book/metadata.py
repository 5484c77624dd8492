"""The book's metadata, read from ``CITATION.cff``, the only place it is typed.

``CITATION.cff`` (Citation File Format 1.2.0, checked against the format's JSON schema, vendored in
``usrubook/book/schemas/``) holds the title, authors, version, release date, licences, abstract, keywords
and the two publication addresses (``url``: the web book; ``repository-code``: its sources). Everything
else is derived from it at build time:

* Sphinx's ``project``, ``author``, ``copyright``, ``release`` and ``version`` (:func:`configure`, on
  ``config-inited``), and so the LaTeX title page ("Version ..." and the release date before the
  evidence date in ``today``) and the PDF's metadata (hyperref's ``pdftitle``, ``pdfauthor``,
  ``pdfsubject``, ``pdfkeywords``);
* the citations of :mod:`usrubook.book.cite` and the page metadata of :mod:`usrubook.book.pagemeta`.

Addresses. ``url`` in CITATION.cff is the web book's latest version; each release is also kept, unchanged,
under ``<url>v<version>/`` (the GitHub Pages workflow publishes both). Citations name the versioned address,
so that a citation still leads to the text it cites once a later version is out; :meth:`BookMetadata.address`
makes every address of the book (pages, anchors, PDFs), versioned unless asked for the latest.

Titles. Citations carry titles in sentence case, as APA prints them and as CSL and Zotero expect them
stored (a style that wants title case, such as Chicago, converts them): :func:`sentence_case` turns the book's
title "US–Russia Relations: an executable research book" into "US–Russia relations: An executable research
book".

:func:`book_metadata` reads and checks the file; a file that does not match the schema stops the build with
the schema's message.
"""
from __future__ import annotations

import datetime as _dt
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CFF = "CITATION.cff"
SCHEMA = Path(__file__).resolve().parent / "schemas" / "citation-file-format-1.2.0.json"
PDF_NAME = "us-russia-relations.pdf"      # the PDF's file name (latex_documents' target), also on the web site
# Pages printed to a PDF of their own, beside the page (chapters/<name>.pdf next to chapters/<name>.html):
# usrubook.book.chapterpdf prints every page of this folder; every other page's PDF is the whole book's.
OWN_PDF_FOLDER = "chapters/"
LICENCE_NAMES = {"CC-BY-4.0": "CC BY 4.0", "MIT": "MIT"}
LICENCE_URLS = {"CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
                "MIT": "https://spdx.org/licenses/MIT.html"}


@dataclass(frozen=True)
class Creator:
    """An author of CITATION.cff: an entity (``name``: an organisation or team) or a person."""
    name: str                         # as printed: the entity's name, or "given-names family-names"
    family: str | None = None         # a person's family name (with its particle), None for an entity
    given: str | None = None

    @property
    def is_entity(self) -> bool:
        return self.family is None

    @property
    def inverted(self) -> str:
        """'Family, Given' for a person; an entity's name as it is."""
        if self.is_entity:
            return self.name
        return f"{self.family}, {self.given}" if self.given else self.family


# words that keep their capital in sentence case although they are not the first: the proper nouns of the
# book's titles (a word with a capital after its first letter, "US" or "US–Russia", always keeps its case)
PROPER_WORDS = frozenset({"United", "States", "Russia", "Russian", "Soviet", "Union", "Europe", "European",
                          "Asia", "Asian", "China", "Ukraine", "America", "American", "NATO", "Jupyter"})


def sentence_case(title: str, *, keep: frozenset[str] = PROPER_WORDS, lower: bool = True) -> str:
    """A title in sentence case (APA 7, 6.17): the first word and the first word after a colon capitalised,
    other words lower case unless they are proper nouns (``keep``) or carry a capital after their first
    letter ("US", "US–Russia"). With ``lower=False`` only the capitals are added: for a title already in
    sentence case whose proper nouns no list can know (a chapter title, a figure's caption)."""
    out, first = [], True
    for token in re.split(r"(\s+)", title):
        if token and not token.isspace():
            i = next((k for k, c in enumerate(token) if c.isalpha()), None)
            if i is not None:
                word = re.match(r"[\w’'–-]+", token[i:]).group(0)
                if first:
                    token = token[:i] + token[i].upper() + token[i + 1:]
                elif lower and token[i].isupper() and not any(c.isupper() for c in word[1:]) and word not in keep:
                    token = token[:i] + token[i].lower() + token[i + 1:]
            first = token.endswith(":")
        out.append(token)
    return "".join(out)


@dataclass(frozen=True)
class BookMetadata:
    title: str
    authors: tuple[str, ...]          # names as CITATION.cff gives them ("name", or "given-names family-names")
    version: str
    released: _dt.date
    licences: tuple[str, ...]         # SPDX identifiers
    url: str                          # the web book's address, ending in "/"
    repository: str
    abstract: str
    keywords: tuple[str, ...]
    creators: tuple[Creator, ...] = ()    # the same authors, entity or person

    @property
    def year(self) -> int:
        return self.released.year

    @property
    def long_date(self) -> str:
        """The release date as the title page and footers print it: day, month name, year."""
        return f"{self.released.day} {self.released:%B %Y}"

    @property
    def citation_title(self) -> str:
        """The title as citations carry it, in sentence case."""
        return sentence_case(self.title)

    @property
    def version_url(self) -> str:
        """The address of this version of the web book, kept unchanged after later releases."""
        return f"{self.url}v{self.version}/"

    def address(self, path: str = "", anchor: str | None = None, *, latest: bool = False) -> str:
        """The address of ``path`` (relative to the web book's root: "chapters/trade.html", "" for the book) in
        this version of the web book, or with ``latest=True`` in the latest one. Every address of the book is
        made here."""
        return (self.url if latest else self.version_url) + path + (f"#{anchor}" if anchor else "")

    def page_url(self, docname: str, anchor: str | None = None, *, latest: bool = False) -> str:
        return self.address(docname + ".html", anchor, latest=latest)

    @property
    def pdf_url(self) -> str:
        """The whole book's PDF, in this version."""
        return self.address(PDF_NAME)

    def page_pdf_url(self, docname: str | None) -> str:
        """The PDF that holds a page: a chapter's own PDF (chapters/<name>.pdf beside the page), else the whole
        book's."""
        if docname and docname.startswith(OWN_PDF_FOLDER):
            return self.address(docname + ".pdf")
        return self.pdf_url

    @property
    def licence_text(self) -> str:
        """'Text, figures and data CC BY 4.0; code MIT' for the two licences of this book, else the list."""
        if self.licences == ("CC-BY-4.0", "MIT"):
            return "Text, figures and data CC BY 4.0; code MIT"
        return "; ".join(LICENCE_NAMES.get(x, x) for x in self.licences)



def _creator(author: dict) -> Creator:
    if "name" in author:
        return Creator(author["name"])
    family = " ".join(p for p in (author.get("name-particle"), author.get("family-names")) if p)
    given = author.get("given-names") or None
    name = " ".join(p for p in (given, family, author.get("name-suffix")) if p)
    return Creator(name, family=family, given=given)


def validate(data: dict) -> None:
    """Raise ``ValueError`` naming the first place where ``data`` breaks the Citation File Format 1.2.0 schema."""
    import jsonschema

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    errors = sorted(jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
                    .iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        where = "/".join(str(p) for p in e.absolute_path) or "(top level)"
        raise ValueError(f"{CFF}: {where}: {e.message}")


def read_cff(root: Path) -> dict:
    """CITATION.cff as data, with dates as ISO strings (as the schema expects them)."""
    import yaml

    data = yaml.safe_load((Path(root) / CFF).read_text(encoding="utf-8"))

    def plain(value):
        if isinstance(value, (_dt.date, _dt.datetime)):
            return value.isoformat()
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    return plain(data)


@lru_cache(maxsize=8)
def _load(path: str, mtime_ns: int) -> BookMetadata:
    data = read_cff(Path(path).parent)
    validate(data)
    licences = data.get("license", [])
    licences = (licences,) if isinstance(licences, str) else tuple(licences)
    url = data["url"] if data["url"].endswith("/") else data["url"] + "/"
    creators = tuple(_creator(a) for a in data["authors"])
    return BookMetadata(
        title=data["title"], authors=tuple(c.name for c in creators), creators=creators, version=str(data["version"]),
        released=_dt.date.fromisoformat(data["date-released"]), licences=licences, url=url,
        repository=data["repository-code"], abstract=" ".join(data.get("abstract", "").split()),
        keywords=tuple(data.get("keywords", [])))


def book_metadata(root) -> BookMetadata:
    """The book's metadata from ``<root>/CITATION.cff`` (checked against the schema; cached until it changes)."""
    path = Path(root) / CFF
    return _load(str(path.resolve()), path.stat().st_mtime_ns)


def _latex_text(text: str) -> str:
    from sphinx.util.texescape import escape

    return escape(text)


def configure(app, config):
    """Sphinx's title, author, copyright, release and version, the title page and the PDF's metadata, from
    CITATION.cff (``config-inited``)."""
    from sphinx.errors import ConfigError

    try:
        meta = book_metadata(app.srcdir)
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"usrubook: {exc}") from exc
    authors = ", ".join(meta.authors)
    config.project = meta.title
    config.author = authors
    config.html_title = meta.title
    config.copyright = str(meta.year)
    config.release = config.version = meta.version
    # The title page: "Version <version>" (Sphinx's release line, named as every citation names it) above
    # "<release date>. <evidence date>" (``today``); the running heads say "Version <version>" too.
    config.latex_elements = {**(config.latex_elements or {}), "releasename": "Version"}
    evidence = (config.today or "").strip()
    config.today = f"Released {meta.long_date}." + (f" {evidence}" if evidence else "")
    # latex_documents: see latex_title (jupyter-book sets its title after this event).
    pdfinfo = ", ".join(f"{key}={{{_latex_text(value)}}}" for key, value in (
        ("pdftitle", meta.title), ("pdfauthor", authors),
        ("pdfsubject", meta.abstract), ("pdfkeywords", ", ".join(meta.keywords))))
    config.latex_elements = {**config.latex_elements,
                             "preamble": config.latex_elements.get("preamble", "")
                             + "\n\\AtBeginDocument{\\hypersetup{" + pdfinfo + "}}\n"}


def latex_title(app, env):
    """The PDF's title and author from CITATION.cff. jupyter-book writes the title of _config.yml (by default
    "My Jupyter Book") into ``latex_documents`` after Sphinx has started, so it is replaced here, before the
    LaTeX builder reads it."""
    if app.builder.format != "latex":
        return
    meta = book_metadata(app.srcdir)
    title, authors = _latex_text(meta.title), _latex_text(", ".join(meta.authors))
    app.config.latex_documents = [(start, target, title, authors, *rest)
                                  for start, target, _title, _author, *rest in app.config.latex_documents]


def note_dependency(app, docname, source):
    """Every page depends on CITATION.cff: a change to it (say, of the URL, which is no Sphinx setting) makes
    Sphinx read and write every page again, with the new citations and meta tags."""
    app.env.note_dependency(str(Path(app.srcdir) / CFF))


def setup(app):
    app.connect("config-inited", configure, priority=400)
    app.connect("env-updated", latex_title)
    app.connect("source-read", note_dependency)
