"""The web book's search: a Pagefind index of the book's prose, searched in the browser, offline.

Sphinx's own search ranked whole pages by title, took its snippets from hidden code and could not search
for a phrase. The book uses Pagefind (npm package ``pagefind``, pinned in package.json) instead:

* At build time (Sphinx, :func:`setup`): the search page (``_templates/search.html``) is a page of its own
  that loads ``_static/usrubook-search.js``; Sphinx writes no search index of its own any more
  (``searchindex.js`` and the scripts that read it are gone), and the header shows no second search
  field: the primary sidebar has the one search field (the theme's Ctrl+K opens it) and, on a phone, the
  article header has the search button.
* With the HTML build (``make html`` runs ``python -m usrubook.book.search _build/html --ready FILE --after
  FILE`` beside it; :mod:`usrubook.book.afterbuild`), once its pages are written: :func:`stage` writes a copy
  of the book's pages prepared for indexing, and Pagefind indexes that copy into ``_build/html/pagefind/``.
  The copy differs from the served pages only in what the index should see: the article alone
  (``data-pagefind-body``), no code, no hidden cells, no literal blocks, no rows of data tables or chart data
  (their captions stay), no citation and download controls (``data-pagefind-ignore``), no written-out web
  addresses, the bibliography and the source texts weighted down (``data-pagefind-weight``), and each
  section's id on its heading (Pagefind links a hit to the heading it follows, and only to a heading with an
  id; Sphinx puts the id on the ``<section>``). The pages served are untouched, so every link of a result
  (``page.html#section-id``) lands on the section.
* In the browser (``usrubook-search.js``): Pagefind ranks the pages by the words typed; a query of several
  words without quotes is also searched as a phrase, and the pages with the phrase come first, so that
  "New START" lists the sections about the treaty before pages that only say "new" and "start"; words in
  double quotes show only the pages with that phrase. Each page result lists its best sections (those with the
  phrase first), each linked to its heading.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from usrubook.book import afterbuild   # first thing: it notes the process that started this one

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = "pagefind"          # the folder of the index, under _build/html
# Files of Pagefind's bundle that the book does not load: its own search interfaces (the book has its own,
# usrubook-search.js), the highlighting script, and the index for pages without a language.
UNUSED_BUNDLE_FILES = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
                       "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js",
                       "wasm.unknown.pagefind")


class SearchIndexError(RuntimeError):
    pass


# ---------------------------------------------------------------- at build time (Sphinx)

def _no_header_search(app, config):
    """pydata-sphinx-theme puts a search field in the header unless ``navbar_persistent`` is set; with the
    sidebar's field that made two on every page."""
    options = dict(config.html_theme_options or {})
    options.setdefault("navbar_persistent", [])
    config.html_theme_options = options


def _search_page_only(app):
    """The search page, without Sphinx's search index (no page reads it)."""
    if app.builder.format != "html" or not hasattr(app.builder, "search"):
        return
    app.builder.search = False
    app.config.html_additional_pages = {**app.config.html_additional_pages, "search": "search.html"}


SPHINX_SEARCH_FILES = ("searchindex.js", "_static/searchtools.js", "_static/language_data.js")


def _remove_sphinx_search_files(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    for rel in SPHINX_SEARCH_FILES:
        (Path(app.outdir) / rel).unlink(missing_ok=True)


def _search_page_script(app, pagename, templatename, context, doctree):
    if pagename == "search":
        app.add_js_file("usrubook-search.js", type="module")


def setup(app):
    app.connect("config-inited", _no_header_search)
    # before usrubook.book.html's page hook, which replaces the page's list of scripts with a filtered copy
    app.connect("html-page-context", _search_page_script, priority=400)
    app.connect("builder-inited", _search_page_only)
    app.connect("build-finished", _remove_sphinx_search_files)


# ---------------------------------------------------------------- the pages indexed

def indexed_pages(root: Path = ROOT) -> list[str]:
    """Every page of the table of contents (_toc.yml), as paths under _build/html: the chapters, the
    evidence pages, the glossary, the references and the preface. The search page and the general index
    are not in it, and neither is index.html (a redirect to the preface)."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part.get("chapters", [])]
    return [f + ".html" for f in files]


def _has_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


# What the index leaves out (XPath under the article). Prose, headings, boxes (admonitions), figure and table
# captions, glossary entries and bibliography entries stay.
IGNORED = {
    # code, and anything a reader sees only after opening it ("Show code cell content")
    "code cells": f".//*[{_has_class('cell_input')}]",
    "hidden content": f".//details[{_has_class('hide')}]",
    "cells hidden whole": f".//*[{_has_class('cell')} and {_has_class('tag_hide-cell')}]",
    # code output other than figures, tables and Markdown: printed text, plain-text values
    "printed output": f".//*[{_has_class('cell_output')}]//*[{_has_class('output')} and "
                      f"({_has_class('stream')} or {_has_class('text_plain')})]",
    # the rows of the data tables cells print (their captions stay) and the data behind each chart
    "data table rows": f".//*[{_has_class('cell_output')}]//table/*[not(self::caption)]",
    "chart data": f".//*[{_has_class('usrubook-chart-data')} or {_has_class('usrubook-chart-card')}]",
    # controls: Cite (with BibTeX and RIS), Get the data, the chapter's re-run links
    "citation controls": f".//details[{_has_class('usrubook-cite')} or {_has_class('usrubook-getdata')}]",
    "re-run links": f".//p[{_has_class('usrubook-rerun')}]",
    # what only a printed page shows (usrubook.book.chapterpdf): the colophon, and the references the page cites
    # (the References page lists them all), whose heading would otherwise rank as a section of every chapter
    "printed only": f".//*[{_has_class('usrubook-print-colophon')} or {_has_class('usrubook-print-refs')}]",
    "PDF link": f".//p[{_has_class('usrubook-pdf-link')}]",
    # literal blocks (commands, BibTeX and RIS records): code, not prose; the text around them says what they do
    "literal blocks": ".//pre",
}
# Addresses written out (the bibliography's "URL: https://..."): the words of a web address make poor matches and
# passages; they are taken out of the indexed copy with their "URL:" label.
ADDRESSES = ".//a[starts-with(normalize-space(.), 'http://') or starts-with(normalize-space(.), 'https://')]"
# Pages whose words count for less in the ranking (Pagefind's data-pagefind-weight, 1 by default): the
# bibliography and the sources' verbatim texts hold many words that the chapters discuss, so that a
# chapter's section on a subject comes before the list of its references or the articles it judges.
PAGE_WEIGHTS = {"references.html": "0.3", "evidence/source-texts.html": "0.5"}
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def _heading_of(section):
    """The heading that opens ``section`` (after empty anchors such as <span id="label">), or None."""
    for child in section:
        if not isinstance(child.tag, str):
            continue
        if child.tag in HEADINGS:
            return child
        if child.tag == "span" and not (child.text or "").strip() and len(child) == 0:
            continue
        return None
    return None


def _drop_address(link) -> None:
    """Remove a written-out web address and the "URL:" before it (keeping the text after it, less the full stop
    that ended the address's sentence)."""
    previous = link.getprevious()
    before = previous.tail if previous is not None else link.getparent().text
    labelled = re.search(r"\bURL:\s*$", before or "")
    if labelled:
        before = before[:labelled.start()].rstrip() + " "
        if previous is not None:
            previous.tail = before
        else:
            link.getparent().text = before
        link.tail = re.sub(r"^\s*\.", "", link.tail or "")
    link.drop_tree()


def prepare(markup: bytes, page: str) -> bytes:
    """A page as the index should see it (see the module's docstring)."""
    import lxml.html

    tree = lxml.html.document_fromstring(markup)
    articles = tree.xpath(f"//article[{_has_class('bd-article')}]")
    if len(articles) != 1:
        raise SearchIndexError(f"{page}: expected one <article class=\"bd-article\">, found {len(articles)}; "
                               "the theme's page layout changed (usrubook/book/search.py, prepare).")
    article = articles[0]
    article.set("data-pagefind-body", "")
    if page in PAGE_WEIGHTS:
        article.set("data-pagefind-weight", PAGE_WEIGHTS[page])
    for xpath in IGNORED.values():
        for element in article.xpath(xpath):
            element.set("data-pagefind-ignore", "all")
    for link in article.xpath(f".//a[{_has_class('headerlink')}]"):
        link.drop_tree()
    for link in article.xpath(ADDRESSES):
        _drop_address(link)
    moved = 0
    for section in article.xpath(".//section[@id]"):
        heading = _heading_of(section)
        if heading is not None and heading.get("id") is None:
            heading.set("id", section.attrib.pop("id"))
            moved += 1
    if not moved:
        raise SearchIndexError(f"{page}: no <section id=...> opens with a heading; search results could not link "
                               "to sections (usrubook/book/search.py, prepare).")
    return lxml.html.tostring(tree, doctype="<!DOCTYPE html>", encoding="utf-8")


def stage(html_dir: Path, staging: Path, pages: list[str], memo: Path | None = None) -> None:
    """Write the pages to index, prepared, under ``staging`` (same relative paths).

    With ``memo`` (a file), each page prepared is kept there between builds, by the digest of the page's bytes
    and of this module's code: after an edit of one page, only that page is prepared again."""
    from usrubook.book.buildcache import Kept, code_digest

    kept = Kept(memo) if memo is not None else None
    code = code_digest("book/search.py")
    for page in pages:
        source = html_dir / page
        if not source.is_file():
            raise SearchIndexError(f"{source} is missing: build the HTML first (make html).")
        markup = source.read_bytes()
        make = lambda: prepare(markup, page)    # noqa: E731
        prepared = make() if kept is None else kept.get(
            page, hashlib.sha256(b"\0".join([code.encode(), page.encode(), markup])).hexdigest(), make)
        target = staging / page
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(prepared)
    if kept is not None:
        kept.save()


# ---------------------------------------------------------------- the index

def pagefind_command(root: Path = ROOT) -> list[str]:
    """The Pagefind command: $PAGEFIND if set, else the one npm installed (package.json pins it)."""
    if os.environ.get("PAGEFIND"):
        return [os.environ["PAGEFIND"]]
    local = root / "node_modules" / ".bin" / "pagefind"
    if local.exists():
        return [str(local)]
    raise SearchIndexError(f"{local} is missing: run `make npm` (package.json pins pagefind).")


def _pagefind_identity(command: list[str]) -> list:
    """The Pagefind that indexes: its command, and the size and time of the executable it runs."""
    out: list = [command]
    for part in command:
        path = Path(part)
        if path.exists():
            real = path.resolve()
            out.append([str(real), real.stat().st_size, real.stat().st_mtime_ns])
            # npm's launcher starts the binary of the platform's package, pinned in package-lock.json
            lock = next((p / "package-lock.json" for p in real.parents if (p / "package-lock.json").is_file()), None)
            if lock is not None:
                out.append(hashlib.sha256(lock.read_bytes()).hexdigest())
    return out


def build_index(html_dir: Path, output: Path | None = None, root: Path = ROOT, follow=None) -> dict | None:
    """Index the book's pages (built in ``html_dir``) into ``output`` (default ``html_dir/pagefind``).
    Returns the pages indexed, the index size in bytes, the seconds taken and whether the index was up to date.

    The index is kept as it is if the pages indexed, Pagefind and this module's code are those it was made from
    and its files hold the bytes made then (``_build/.usrubook-cache/search.json``, :mod:`usrubook.book.buildcache`).

    With ``follow`` (an :class:`usrubook.book.afterbuild.Build`; ``make html``), this waits for the build: the
    pages are indexed aside as soon as they are written, and the index put in place once the build has
    succeeded, made again if the pages changed meanwhile. After a failed build it returns None and changes
    nothing."""
    from usrubook.book.buildcache import Record, cache_dir

    html_dir = Path(html_dir).resolve()
    output = Path(output).resolve() if output else html_dir / BUNDLE
    pages = indexed_pages(root)
    command = pagefind_command(root)
    identity = _pagefind_identity(command)
    if follow is not None and not follow.started():
        return None
    start = time.monotonic()
    record = Record(cache_dir(html_dir.parent), "search", html_dir)
    aside = None           # (inputs, folder): the pages indexed while the build went on
    try:
        if follow is not None:
            if follow.outcome() is None:        # the pages are written; the build goes on
                inputs = _inputs(html_dir, pages, identity)
                if not _fresh(record, output, inputs):
                    aside = inputs, Path(tempfile.mkdtemp(prefix=".usrubook-search-", dir=html_dir.parent))
                    _index(html_dir, pages, command, aside[1] / BUNDLE)
            waited = time.monotonic()
            if not follow.finished():       # (also when it failed since it wrote its pages)
                return None
            start += time.monotonic() - waited      # the seconds taken count the work, not the wait
        inputs = _inputs(html_dir, pages, identity)
        existing = _fresh(record, output, inputs)
        if existing:
            return {"pages": pages, "bytes": sum(p.stat().st_size for p in existing),
                    "seconds": time.monotonic() - start, "output": output, "up_to_date": True}
        record.forget(output.as_posix())
        if output.exists():
            shutil.rmtree(output)
        if aside is not None and aside[0] == inputs:
            os.replace(aside[1] / BUNDLE, output)
        else:
            _index(html_dir, pages, command, output)
    finally:
        if aside is not None:
            shutil.rmtree(aside[1], ignore_errors=True)
    files = sorted(p for p in output.rglob("*") if p.is_file())
    record.update(output.as_posix(), inputs, files)
    record.save()
    size = sum(p.stat().st_size for p in files)
    return {"pages": pages, "bytes": size, "seconds": time.monotonic() - start, "output": output, "up_to_date": False}


def _inputs(html_dir: Path, pages: list[str], identity: list) -> str:
    """Digest of what the index is made from: the pages, Pagefind (its :func:`_pagefind_identity`) and this
    module's code."""
    from usrubook.book.buildcache import Digest, code_digest

    missing = [page for page in pages if not (html_dir / page).is_file()]
    if missing:
        raise SearchIndexError(f"{html_dir / missing[0]} is missing: build the HTML first (make html).")
    return Digest([code_digest("book/search.py"), identity, pages]).files(
        [html_dir / page for page in pages], html_dir).hexdigest()


def _fresh(record, output: Path, inputs: str) -> list[Path]:
    """The index's files, if it was made from ``inputs`` and holds the bytes made then; else []."""
    existing = sorted(p for p in output.rglob("*") if p.is_file()) if output.is_dir() else []
    return existing if existing and record.fresh(output.as_posix(), inputs, existing) else []


def _index(html_dir: Path, pages: list[str], command: list[str], output: Path) -> None:
    """Pagefind's index of the pages, as prepared for it (:func:`stage`), written to ``output``."""
    from usrubook.book.buildcache import cache_dir

    with tempfile.TemporaryDirectory(prefix="usrubook-search-") as tmp:
        staging = Path(tmp) / "site"
        stage(html_dir, staging, pages, cache_dir(html_dir.parent) / "search-stage.pickle")
        result = subprocess.run(command + ["--site", str(staging), "--output-path", str(output)],
                                capture_output=True, text=True)
    log = result.stdout + result.stderr
    if result.returncode != 0:
        raise SearchIndexError(f"pagefind failed (exit {result.returncode}):\n{log[-3000:]}")
    found = re.search(r"Indexed (\d+) pages?", log)
    if not found or int(found.group(1)) != len(pages):
        raise SearchIndexError(f"pagefind indexed {found.group(1) if found else 'no'} pages, expected {len(pages)} "
                               f"({', '.join(pages)}):\n{log[-3000:]}")
    for name in UNUSED_BUNDLE_FILES:
        (output / name).unlink(missing_ok=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m usrubook.book.search",
                                     description="Index the built web book for its search page (Pagefind).")
    parser.add_argument("html_dir", nargs="?", default=str(ROOT / "_build" / "html"))
    parser.add_argument("--output", help="where to write the index (default: HTML_DIR/pagefind)")
    parser.add_argument("--after", metavar="FILE",
                        help="wait for the build (make html): put the index in place once FILE holds its exit "
                             "status 0; after another status, change nothing")
    parser.add_argument("--ready", metavar="FILE",
                        help="with --after: index the pages aside as soon as the build has written FILE")
    args = parser.parse_args(argv)
    follow = afterbuild.Build(Path(args.after), Path(args.ready) if args.ready else None) if args.after else None
    try:
        info = build_index(Path(args.html_dir), Path(args.output) if args.output else None, follow=follow)
    except (SearchIndexError, afterbuild.BuildGone) as exc:
        print(f"usrubook: search index: {exc}", file=sys.stderr)
        return 1
    if info is None:        # the build failed
        return 0
    where = info["output"].relative_to(Path.cwd()) if info["output"].is_relative_to(Path.cwd()) else info["output"]
    took = "up to date" if info["up_to_date"] else f"{info['seconds']:.1f} s"
    print(f"Search index: {len(info['pages'])} pages, {info['bytes'] / 1024:.0f} KB in {where} ({took})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
