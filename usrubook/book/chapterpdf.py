"""A chapter on paper: what a printed chapter page carries, and each chapter as a PDF of its own.

In the web book (Sphinx, ``html-page-context``), every page under ``chapters/`` and ``evidence/`` gets two
blocks that only print (``usrubook.css``, the "print: a chapter on paper" section, shows them in print
media and hides them on screen):

* under the title, a colophon: the book's title, version and release date, the page's address on the web
  book, the licence, and the page's citation (the APA text of its Cite box, :func:`usrubook.book.cite.
  citation_for`);
* at the end, "References cited in this chapter": the entries of the book's References that the page cites,
  in the References' order, with the labels the text gives them ([Nelson 2014], [Seed 003]), so that a
  printed citation can be looked up on paper.

A chapter page also links its PDF (a line after the re-run line under its title, HTML only).

After the HTML build, ``python -m usrubook.book.chapterpdf`` (a step of ``make html``) prints each chapter page
with Chromium's headless shell (:func:`chromium_path`) in print media to ``_build/html/chapters/<chapter>.pdf``,
beside its page (several pages at once in one browser; a PDF is printed again only if its page, the book's styles
and scripts, the metadata or the browser changed, :func:`build`):
charts are Vega's SVG, so they stay vector graphics; links to other pages of the book point to the web book's
address (``url`` in CITATION.cff), a citation leads to its entry in the chapter's own reference list; each
page has a header (chapter and address) and a footer (book, version, page n of m). The PDF is tagged; it has
no outline, for Chromium (156) writes the title of a heading near a page break twice into the outline. Chromium stamps the time of printing as the PDF's creation and
modification dates; they are replaced by the book's release date, and the names Chromium gives tagged elements
after its internal node numbers are renumbered in order (:func:`canonical_node_ids`), so that two builds give
the same bytes.
"""
from __future__ import annotations

import argparse
import html as _html
import os
import re
import sys
import time
from pathlib import Path

from usrubook.book import afterbuild   # first thing: it notes the process that started this one

PRINTED_PREFIXES = ("chapters/", "evidence/")
COLOPHON_CLASS = "usrubook-print-colophon"
REFS_CLASS = "usrubook-print-refs"
PDF_LINK_CLASS = "usrubook-pdf-link"
REF_ID = "usrubook-ref-"            # id prefix of an entry of a page's printed reference list
PAPER = "Letter"                    # as the whole book's PDF (LaTeX, letterpaper)
MARGIN = {"top": "17mm", "bottom": "17mm", "left": "18mm", "right": "18mm"}
PRINTED_WIDTH = 816 - 2 * 68        # CSS pixels: Letter's 8.5 in less the two 18 mm margins


# -- the printed page (Sphinx) -------------------------------------------------------------------------


def cited_entries(app, docname: str) -> list:
    """The bibliography entries (sphinxcontrib-bibtex ``Citation`` tuples) that ``docname`` cites, in the order
    of the book's References (its style sorts by label)."""
    domain = app.env.get_domain("cite")
    keys = {target.key for ref in domain.citation_refs if ref.docname == docname for target in ref.targets}
    seen, out = set(), []
    for citation in domain.citations:
        if citation.key in keys and citation.key not in seen:
            seen.add(citation.key)
            out.append(citation)
    missing = keys - seen
    if missing:
        raise RuntimeError(f"usrubook: {docname}: cited keys without an entry in the References: {sorted(missing)}")
    return out


def _entry_html(app, citation) -> str:
    """An entry's text as the References page prints it (the same pybtex formatting, rendered by Sphinx); each
    entry is rendered once per build (kept on the application, for the chapters that cite it too)."""
    import pybtex_docutils
    from docutils import nodes

    done = app.__dict__.setdefault("_usrubook_entry_html", {})
    key = (citation.key, citation.formatted_entry.label)
    if key not in done:
        para = nodes.paragraph("", "", *citation.formatted_entry.text.render(pybtex_docutils.Backend()))
        done[key] = app.builder.render_partial(para)["fragment"].strip()
    return done[key]


def references_html(app, docname: str, meta) -> str:
    entries = cited_entries(app, docname)
    if not entries:
        return ""
    items = "\n".join(
        f'<div class="usrubook-print-ref" id="{REF_ID}{_html.escape(c.key)}" role="listitem">'
        f'<span class="label">[{_html.escape(c.formatted_entry.label)}]</span>{_entry_html(app, c)}</div>'
        for c in entries)
    where = _html.escape(meta.address("references.html"))
    return (f'<section class="{REFS_CLASS}" aria-labelledby="usrubook-print-refs-title">\n'
            f'<h2 id="usrubook-print-refs-title">References cited in this chapter</h2>\n'
            f'<p>The {len(entries)} works this chapter cites, labelled as in the text. The book\'s full list is '
            f'the References chapter, <a href="{where}">{where}</a>.</p>\n'
            f'<div role="list">\n{items}\n</div>\n</section>\n')


def _linked(markup: str) -> str:
    return re.sub(r'(https?://[^\s<>"]+?)([.,;]?)(?=\s|<|$)', r'<a href="\1">\1</a>\2', markup)


def colophon(app, docname: str, meta) -> str:
    from usrubook.book.cite import citation_for

    url = _html.escape(meta.page_url(docname))
    apa = citation_for(app, docname, "page")["apa_html"]
    return (f'<div class="{COLOPHON_CLASS}">\n'
            f'<p><span class="usrubook-print-book">{_html.escape(meta.title)}</span>, version '
            f'{_html.escape(meta.version)}, released {_html.escape(meta.long_date)}. '
            f'This page on the web: <a href="{url}">{url}</a>. {_html.escape(meta.licence_text)}.</p>\n'
            f'<p><span class="usrubook-print-label">Cite as:</span> {_linked(apa)}</p>\n'
            f'</div>\n')


def pdf_link(pagename: str) -> str:
    name = pagename.split("/", 1)[1]
    return (f'<p class="{PDF_LINK_CLASS}">Print or read offline: <a href="{name}.pdf" download>this chapter as a PDF '
            f'(its charts, its references, and how to cite it)</a></p>\n')


def printed(pagename: str) -> bool:
    return pagename.startswith(PRINTED_PREFIXES)


def _page_context(app, pagename, templatename, context, doctree):
    if app.builder.format != "html" or not printed(pagename) or "body" not in context or doctree is None:
        return
    from usrubook.book.metadata import book_metadata

    meta = book_metadata(app.srcdir)
    body = context["body"]
    end = body.find("</h1>")
    if end < 0:
        return
    end += len("</h1>")
    # after the re-run line (usrubook.book.rerun), which stays right under the title
    rerun = re.compile(r'\s*<p class="usrubook-rerun">.*?</p>\n?', re.S).match(body, end)
    if rerun:
        end = rerun.end()
    head = (pdf_link(pagename) if pagename.startswith("chapters/") else "") + colophon(app, pagename, meta)
    refs = references_html(app, pagename, meta)
    rest = body[end:]
    if refs:
        # Each citation link carried its full reference as a title (sphinxcontrib-bibtex): 100 KB of repeats on
        # the History page. The page's own reference list holds each entry once; the script gives a link its
        # title from there when a reader points at it or reaches it with the keyboard.
        rest = CITE_TITLE.sub(r"\1", rest)
        refs += TITLE_FROM_LIST
    context["body"] = body[:end] + "\n" + head + rest + refs


# a citation link's title attribute (the full reference), as sphinxcontrib-bibtex writes it
CITE_TITLE = re.compile(r'(<a class="reference internal" href="[^"]*#cite-[^"]*")\s+title="[^"]*"')
TITLE_FROM_LIST = ("<script>(function () {\n"
                   "  function title(e) {\n"
                   "    var a = e.target.closest && e.target.closest('a[href*=\"#cite-\"]');\n"
                   "    if (!a || a.title) return;\n"
                   "    var entry = document.getElementById('%s' + decodeURIComponent(a.hash.slice(6)));\n"
                   "    if (entry) a.title = entry.textContent.replace(/\\s+/g, ' ').trim();\n"
                   "  }\n"
                   "  document.addEventListener('pointerover', title);\n"
                   "  document.addEventListener('focusin', title);\n"
                   "})();</script>\n") % REF_ID


def setup(app):
    app.connect("html-page-context", _page_context, priority=600)


# -- the chapter PDFs (after the HTML build) ------------------------------------------------------------


CHARTS_DRAWN = ("() => [...document.querySelectorAll('div.usrubook-chart')]"
                ".every(c => c.querySelector('svg'))")

# Links for paper: a citation leads to the chapter's own reference list; a link to another page of the book
# leads to that page on the web book (not to a file on the machine that printed it); links within the page
# stay as they are (Chromium makes them links inside the PDF).
REWRITE_LINKS = """([local, web]) => {
  const here = location.href.split('#')[0];
  for (const a of document.querySelectorAll('a[href]')) {
    const url = new URL(a.getAttribute('href'), location.href);
    const target = url.href.split('#')[0];
    if (target === here) continue;
    const cite = url.hash.startsWith('#cite-') ? document.getElementById('%s' + decodeURIComponent(url.hash.slice(6))) : null;
    if (cite) { a.setAttribute('href', '#' + cite.id); continue; }
    if (url.href.startsWith(local)) a.setAttribute('href', web + url.href.slice(local.length));
  }
}""" % REF_ID

_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}(?:[+-]\d\d'\d\d'|Z)?\)")


def fix_dates(data: bytes, epoch: int) -> bytes:
    """The PDF with its creation and modification dates set to ``epoch`` (UTC). The new value is as long as
    the old one (Chromium writes ``D:YYYYMMDDHHmmSS+HH'mm'``), so the cross-reference offsets stay right."""
    import datetime as _dt

    stamp = _dt.datetime.fromtimestamp(epoch, _dt.timezone.utc).strftime("%Y%m%d%H%M%S").encode()

    def sub(m):
        old = m.group(0)
        new = b"/" + m.group(1) + b" (D:" + stamp + b"+00'00')"
        if len(new) != len(old):
            raise ValueError(f"unexpected PDF date {old!r}")
        return new

    out, n = _DATE.subn(sub, data)
    if n == 0:
        raise ValueError("the PDF has no creation date to fix")
    return out


_NODE_ID = re.compile(rb"\(node(\d+)\)")


def canonical_node_ids(data: bytes) -> bytes:
    """The PDF with the names of its tagged elements numbered from 1, in their order.

    Chromium names a structure element that carries an ``/ID`` (and its entry in the ``/IDTree``) after the
    browser's internal number of the page's DOM node, ``(node00001889)``. That number depends on how many nodes
    the browser happened to create before it, which can differ by one between two prints of the same page, so
    two builds gave different bytes. Each name becomes its rank among the page's names (``node00000001`` …):
    as long as the old one, so the cross-reference offsets stay right, and in the same order, so the name
    tree stays sorted."""
    names = sorted(set(_NODE_ID.findall(data)), key=int)
    rank = {old: b"%0*d" % (len(old), i) for i, old in enumerate(names, start=1)}
    if any(len(new) != len(old) for old, new in rank.items()):
        raise ValueError("usrubook: a chapter PDF has more tagged names than their digits can number")
    return _NODE_ID.sub(lambda m: b"(node" + rank[m.group(1)] + b")", data)


def _templates(meta, number_title: str, url: str) -> tuple[str, str]:
    style = ("font-family: 'DejaVu Sans', sans-serif; font-size: 7.5pt; color: #333; width: 100%; "
             f"margin: 0 {MARGIN['right']} 0 {MARGIN['left']}; display: flex; justify-content: space-between; gap: 2em;")
    esc = _html.escape
    header = (f'<div style="{style}"><span>{esc(number_title)}</span>'
              f'<span>{esc(url)}</span></div>')
    footer = (f'<div style="{style}"><span>{esc(meta.title)}, version {esc(meta.version)}</span>'
              f'<span style="white-space: nowrap">page <span class="pageNumber"></span> of '
              f'<span class="totalPages"></span></span></div>')
    return header, footer


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--font-render-hinting=none"]


HEADLESS_SHELL = "chromium-headless-shell"


def chromium_path() -> str:
    """Debian's ``chromium-headless-shell``: Chromium's engine (Blink, Skia) without the browser around it. It
    prints a chapter to the same text and the same pixels as the full browser, in under half the time, and
    the browser tests use it too (tests/conftest.py). Debian's wrapper in /usr/bin starts
    /usr/lib/chromium/chromium-headless-shell."""
    import shutil

    path = shutil.which(HEADLESS_SHELL)
    if path is None:
        raise FileNotFoundError(f"{HEADLESS_SHELL} is not installed. It is a Debian package: `make system` installs "
                                f"it with the book's other system packages, or: sudo apt-get install {HEADLESS_SHELL}")
    return path


def chapter_names(root: Path) -> list[str]:
    return sorted(p.stem for p in (root / "chapters").glob("*.md"))


async def print_chapter(browser, html_dir: Path, name: str, meta, epoch: int) -> bytes:
    """The chapter page ``chapters/<name>.html`` printed by ``browser`` (Playwright's asynchronous API)."""
    page_path = html_dir / "chapters" / f"{name}.html"
    if not page_path.is_file():
        raise FileNotFoundError(f"usrubook: {page_path}: no such page; build the HTML first (make html)")
    # The page is laid out for print, as wide as the printed text, from the start: Vega fits each chart to its
    # container once, at the width it is printed at (no redraw while printing).
    page = await browser.new_page(viewport={"width": PRINTED_WIDTH, "height": 1000})
    try:
        await page.emulate_media(media="print")
        await page.goto(page_path.resolve().as_uri(), wait_until="load")
        await page.wait_for_function(CHARTS_DRAWN, timeout=60000)
        await page.evaluate("document.fonts.ready")
        await page.evaluate(REWRITE_LINKS, [html_dir.resolve().as_uri() + "/", meta.version_url])
        title = (await page.locator("article h1").first.inner_text()).replace("#", "").strip()
        header, footer = _templates(meta, title, meta.page_url(f"chapters/{name}"))
        data = await page.pdf(format=PAPER, margin=MARGIN, print_background=True, display_header_footer=True,
                              header_template=header, footer_template=footer, tagged=True)
    finally:
        await page.close()
    return canonical_node_ids(fix_dates(data, epoch))


# Pages printed at once by the one browser: Chromium lays out and prints each in processes of its own, so two
# pages keep both cores of a small machine busy; more only wait for each other.
PARALLEL = max(2, min(4, os.cpu_count() or 2))


def _browser_identity() -> list:
    """What identifies the browser that prints: its path and the size and time of its executable files, and
    Playwright's version (a new Chromium or Playwright prints anew)."""
    from importlib.metadata import version

    out = [version("playwright")]
    for path in sorted({Path(chromium_path()).resolve(), Path("/usr/lib/chromium") / HEADLESS_SHELL}):
        if path.is_file():
            st = path.stat()
            out.append([str(path), st.st_size, st.st_mtime_ns])
    return out


def shared_inputs(html_dir: Path, meta, epoch: int) -> str:
    """Digest of what every chapter's PDF is printed from: every file under ``_static`` (its scripts, styles and
    fonts, and whatever they load), the book's metadata in the header and footer, the release date, the paper,
    the browser, and this module's code."""
    from usrubook.book.buildcache import Digest, code_digest

    static = [p.resolve() for p in (html_dir / "_static").rglob("*") if p.is_file()]
    return Digest([code_digest("book/chapterpdf.py"), _browser_identity(), meta.title, meta.version,
                   meta.version_url, epoch, PAPER, MARGIN]).files(static, html_dir.resolve()).hexdigest()


def page_inputs(html_dir: Path, name: str, meta, shared: str) -> str:
    """Digest of what a chapter's PDF is printed from: the page, the local images it shows, its address, and what
    every chapter's PDF is printed from (``shared``, :func:`shared_inputs`)."""
    from usrubook.book.buildcache import Digest

    page = html_dir / "chapters" / f"{name}.html"
    markup = page.read_bytes()
    images = {(page.parent / m.decode()).resolve() for m in re.findall(rb'<img[^>]*?\ssrc="([^":?#]+)', markup)}
    digest = Digest([shared, meta.page_url(f"chapters/{name}")], markup)
    return digest.files([p for p in images if p.is_file()], html_dir.resolve()).hexdigest()


def build(root: Path, html_dir: Path, names: list[str] | None = None, out_dir: Path | None = None,
          quiet: bool = False, follow: afterbuild.Build | None = None) -> dict[str, Path] | None:
    """Print the chapters (``names``, default all) to ``<out_dir or html_dir/chapters>/<name>.pdf``.

    A PDF whose page, styles, scripts, metadata and browser are those it was printed from, and whose bytes are
    those printed, is kept (``_build/.usrubook-cache/chapterpdf.json``, :mod:`usrubook.book.buildcache`); the
    others are printed, several pages at once (:data:`PARALLEL`) by one browser.

    With ``follow`` (``make html``: the build it follows, :mod:`usrubook.book.afterbuild`), the browser starts at
    once, while Sphinx is still building. The pages are printed once the build has written them or its exit
    status, and the PDFs written only after status 0, printed again if their page or styles changed meanwhile. A
    failed build (a status other than 0) writes nothing and returns None."""
    return _run(_build(root, Path(html_dir), names, out_dir, quiet, follow))


def _to_print(root: Path, html_dir: Path, names, out_dir, quiet: bool, meta, epoch: int, record) -> tuple[dict, list]:
    """Each chapter's PDF path (``{name: path}``), and the chapters whose PDF is not up to date:
    ``(name, path, inputs)`` each."""
    out, todo, shared = {}, [], shared_inputs(html_dir, meta, epoch)
    for name in names or chapter_names(root):
        page = html_dir / "chapters" / f"{name}.html"
        if not page.is_file():
            raise FileNotFoundError(f"usrubook: {page}: no such page; build the HTML first (make html)")
        path = out[name] = ((out_dir or html_dir / "chapters") / f"{name}.pdf").resolve()
        inputs = page_inputs(html_dir, name, meta, shared)
        if not record.fresh(path.as_posix(), inputs, [path]):
            todo.append((name, path, inputs))
        elif not quiet:
            print(f"PDF: {path} (up to date)")
    return out, todo


async def _build(root: Path, html_dir: Path, names, out_dir, quiet: bool, follow: afterbuild.Build | None):
    import asyncio

    from playwright.async_api import async_playwright

    from usrubook.book.buildcache import Record, cache_dir
    from usrubook.book.latex import release_epoch
    from usrubook.book.metadata import book_metadata
    from usrubook.pipeline.csvio import write_if_changed

    meta = book_metadata(root)
    epoch = release_epoch(root)
    async with async_playwright() as p:
        launch = lambda: asyncio.ensure_future(p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS))
        browser = launch() if follow is not None else None      # with the build: up by the time the pages are
        try:
            if follow is not None and not await follow.started_async():
                return None
            record = Record(cache_dir(html_dir.resolve().parent), "chapterpdf", html_dir.resolve())
            printed = []
            if follow is not None:
                if follow.outcome() is None:       # the pages are written; the build goes on
                    _, todo = _to_print(root, html_dir, names, out_dir, True, meta, epoch, record)
                    if todo:
                        browser = browser or launch()
                        printed = await _print_all(await browser, html_dir, todo, meta, epoch)
                if not await follow.finished_async():       # (also when it failed since it wrote its pages)
                    return None
            out, todo = _to_print(root, html_dir, names, out_dir, quiet, meta, epoch, record)
            # what was printed while the build went on counts if its page and styles are still those it was
            # printed from; the rest is printed now
            kept = {(item[0], item[2]): item for item in printed}
            printed = [kept[name, inputs] for name, _, inputs in todo if (name, inputs) in kept]
            again = [item for item in todo if (item[0], item[2]) not in kept]
            if again:
                browser = browser or launch()
                printed += await _print_all(await browser, html_dir, again, meta, epoch)
            for name, path, inputs, data, seconds in printed:
                write_if_changed(path, data)
                record.update(path.as_posix(), inputs, [path])
                if not quiet:
                    pages = len(re.findall(rb"/Type\s*/Page\b", data))
                    print(f"PDF: {path} ({pages} pages, {len(data) / 1024:.0f} KB, {seconds:.1f} s)")
            if printed:
                record.save()
            return out
        finally:
            if browser is not None and not browser.done():
                browser.cancel()
            elif browser is not None and browser.exception() is None:
                await browser.result().close()


def _run(coroutine):
    """``asyncio.run(coroutine)``, also when this thread already runs an event loop (a caller that drives a
    browser with Playwright's synchronous API, as the tests do): then in a thread of its own."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _print_all(browser, html_dir: Path, todo: list, meta, epoch: int) -> list:
    import asyncio

    slots = asyncio.Semaphore(PARALLEL)

    async def one(name, path, inputs):
        async with slots:
            start = time.monotonic()
            data = await print_chapter(browser, html_dir, name, meta, epoch)
            return name, path, inputs, data, time.monotonic() - start

    return await asyncio.gather(*(one(*item) for item in todo))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Print each chapter page of the built web book to a PDF.")
    parser.add_argument("--root", default=".", help="the book's folder (default: .)")
    parser.add_argument("--html", default="_build/html", help="the built web book (default: _build/html)")
    parser.add_argument("--output-dir", help="write the PDFs there (default: beside the chapter pages)")
    parser.add_argument("--after", metavar="FILE",
                        help="start the browser now, write the PDFs once FILE holds the build's exit status 0 "
                             "(make html)")
    parser.add_argument("--ready", metavar="FILE",
                        help="with --after: print as soon as the build has written FILE (its pages are ready)")
    parser.add_argument("chapters", nargs="*", help="chapter names (default: every chapter)")
    args = parser.parse_args(argv)
    root = Path(args.root)
    html_dir = Path(args.html) if Path(args.html).is_absolute() else root / args.html
    follow = afterbuild.Build(Path(args.after), Path(args.ready) if args.ready else None) if args.after else None
    try:
        build(root, html_dir, args.chapters or None, Path(args.output_dir) if args.output_dir else None, follow=follow)
    except (FileNotFoundError, ValueError, RuntimeError) as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
