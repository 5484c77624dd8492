"""A chapter on paper: a chapter page printed from the browser, and each chapter's PDF (_build/html/chapters/
<name>.pdf), carry the book's title, version and address, the chapter's citation and the references it cites
(every label its text gives, and no other), charts as vector graphics, and none of the web page's controls."""
import re
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import ROOT, open_page, run

CHAPTERS = sorted(p.stem for p in (ROOT / "chapters").glob("*.md"))
CONTROLS = ("Cite this page", "Re-run this chapter", "Show code cell", "Hide code cell", "Get the data",
            "Print or read offline", "Data: the", "Search", "Contents")


def _meta():
    from usrubook.book.metadata import book_metadata

    return book_metadata(ROOT)


def _squash(text: str) -> str:
    """Text without white space, hyphens and typographic quotes: the PDF wraps lines anywhere, an address at a
    hyphen too, and pdftotext joins a word broken at a hyphen."""
    text = text.translate(str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "\u00ad": ""}))
    return re.sub(r"[\s\-‐]+", "", text)


def _cited(soup) -> dict[str, str]:
    """key -> label of every citation in the page's text (links into the References page), outside the
    printed reference list."""
    out = {}
    for a in soup.select("article a[href*='references.html#cite-']"):
        if a.find_parent(class_="usrubook-print-refs") is None and a.find_parent(class_="bibtex-citation"):
            out[a["href"].split("#cite-", 1)[1]] = a.get_text(" ", strip=True)
    return out


def _soup(html_dir, name):
    return BeautifulSoup((html_dir / "chapters" / f"{name}.html").read_text(encoding="utf-8"), "html.parser")


def _pdf(html_dir, name) -> Path:
    path = html_dir / "chapters" / f"{name}.pdf"
    assert path.is_file(), f"{path} is missing: `make html` prints the chapters (usrubook.book.chapterpdf)"
    return path


def _pdftotext(path, *options) -> str:
    return subprocess.run(["pdftotext", *options, str(path), "-"], capture_output=True, text=True, check=True).stdout


def _info(path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return dict(re.findall(r"^([\w ]+):\s+(.*)$", out, re.M))


# -- the page in the browser --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CHAPTERS)
def test_printed_page_carries_book_citation_and_its_references(name, browser, server, html_dir):
    meta = _meta()
    cited = _cited(_soup(html_dir, name))
    assert cited, f"{name}: no citation found in the page"
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = open_page(context, f"{server}/chapters/{name}.html")
        # on screen: neither the colophon nor the reference list shows
        assert not page.locator(".usrubook-print-colophon").is_visible()
        assert not page.locator(".usrubook-print-refs").is_visible()
        page.emulate_media(media="print")
        text = page.locator("body").inner_text()
        flat = " ".join(text.split())
        assert meta.title in flat and f"version {meta.version}" in flat
        assert meta.page_url(f"chapters/{name}") in flat
        cite = " ".join(page.locator(".usrubook-print-colophon").inner_text().split())
        apa = BeautifulSoup(page.locator("details.usrubook-cite .usrubook-cite-body p").first.inner_html(),
                            "html.parser").get_text(" ", strip=True).replace("APA ", "", 1)
        assert " ".join(apa.split()) in cite, f"{name}: the printed citation is not the Cite box's APA text"
        refs = page.locator(".usrubook-print-refs")
        assert refs.is_visible() and refs.locator("h2").inner_text().startswith("References")
        ids = refs.locator("[id^='usrubook-ref-']").evaluate_all("els => els.map(e => e.id)")
        labels = refs.locator(".usrubook-print-ref > .label").all_inner_texts()
        assert sorted(i.removeprefix("usrubook-ref-") for i in ids) == sorted(cited), \
            f"{name}: the printed references are not the works the page cites"
        assert {i.removeprefix("usrubook-ref-"): lab.strip("[]") for i, lab in zip(ids, labels)} == cited
        # the web page's controls do not print
        for selector in ("details.usrubook-cite", "p.usrubook-rerun", "p.usrubook-pdf-link", ".bd-sidebar-primary",
                         ".bd-sidebar-secondary", ".bd-header", ".search-button", "#jb-print-docs-body",
                         ".cell_input", "details.usrubook-chart-data", "details.usrubook-getdata"):
            shown = page.locator(selector).evaluate_all("els => els.filter(e => e.checkVisibility()).length")
            assert shown == 0, f"{name}: {selector} is printed"
    finally:
        context.close()


def test_chapter_page_links_its_pdf(html_dir):
    for name in CHAPTERS:
        link = _soup(html_dir, name).select_one("article p.usrubook-pdf-link a")
        assert link is not None and link["href"] == f"{name}.pdf", name
        assert (html_dir / "chapters" / link["href"]).is_file(), name
    for page in ("intro.html", "evidence/sources.html", "references.html"):
        assert "usrubook-pdf-link" not in (html_dir / page).read_text(encoding="utf-8"), page


# -- the chapter PDFs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_pdf_carries_book_citation_and_references(name, html_dir):
    meta = _meta()
    soup = _soup(html_dir, name)
    path = _pdf(html_dir, name)
    text = _pdftotext(path)
    flat = _squash(text)
    for needed in (meta.title, f"version {meta.version}", meta.page_url(f"chapters/{name}")):
        assert _squash(needed) in flat, f"{path.name}: '{needed}' is not printed"
    apa = soup.select_one("details.usrubook-cite .usrubook-cite-body p")
    apa.select_one(".usrubook-cite-style").decompose()
    assert _squash(apa.get_text()) in flat, f"{path.name}: the chapter's APA citation is not printed"
    # the reference list: every cited label, in the order of the book's References, and nothing else
    refs = text[text.index("References cited in this chapter"):]
    labels = re.findall(r"^\[([^\]]+)\]", refs, re.M)
    printed = [lab.get_text().strip("[]") for lab in soup.select(".usrubook-print-ref > .label")]
    assert [_squash(x) for x in labels] == [_squash(x) for x in printed], f"{path.name}: reference list differs"
    assert sorted(map(_squash, printed)) == sorted(map(_squash, _cited(soup).values()))
    # every page: header with the address, footer with book, version and page n of m
    pages = int(_info(path)["Pages"])
    footers = re.findall(r"page (\d+) of (\d+)", text)
    assert footers == [(str(i), str(pages)) for i in range(1, pages + 1)], f"{path.name}: page footers"
    assert text.count(meta.page_url(f"chapters/{name}")) >= pages
    for control in CONTROLS:
        assert control not in text, f"{path.name}: '{control}' (a web control) is printed"


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_pdf_charts_are_vector_and_numbered(name, html_dir):
    path = _pdf(html_dir, name)
    listing = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True,
                             check=True).stdout.splitlines()
    assert [line for line in listing[2:] if line.strip()] == [], f"{path.name}: raster images:\n" + "\n".join(listing)
    soup = _soup(html_dir, name)
    figures = [f.select_one(".caption-number").get_text(strip=True) for f in soup.select("article figure")
               if f.select_one("div.usrubook-chart") and f.select_one(".caption-number")]
    assert figures, f"{name}: no chart"
    text = _pdftotext(path, "-raw")
    for number in figures:
        assert number.rstrip() in text, f"{path.name}: {number} is not printed"
    # the charts are drawn: a chart's axis and legend text is in the PDF as text (vector), e.g. its labels
    content = path.read_bytes()
    assert b"file://" not in content, f"{path.name}: a link points to a file on the building machine"


def test_chapter_pdf_links_lead_to_its_references_and_the_web_book(html_dir):
    meta = _meta()
    content = _pdf(html_dir, "trade").read_bytes()
    uris = set(re.findall(rb"/URI \(([^)]*)\)", content))
    assert uris and all(u.decode().startswith(("https://", "http://", "mailto:")) for u in uris)
    assert any(u.decode().startswith(meta.url) for u in uris)
    dests = set(re.findall(rb"/Dest /usrubook-ref-([\w-]+)", content))
    assert {d.decode() for d in dests} == set(_cited(_soup(html_dir, "trade"))), \
        "citations in the PDF do not lead to the chapter's reference list"


def test_chapter_pdf_is_dated_by_release_and_reproducible(html_dir, tmp_path):
    """Chromium stamps the printing time; the build replaces it by the release date, and printing the chapter
    again (the build's own command) gives the same bytes."""
    meta = _meta()
    path = _pdf(html_dir, "trade")
    stamp = meta.released.strftime("%Y%m%d000000+00'00'").encode()
    content = path.read_bytes()
    assert b"/CreationDate (D:" + stamp + b")" in content and b"/ModDate (D:" + stamp + b")" in content
    result = run(["python", "-m", "usrubook.book.chapterpdf", "--html", str(html_dir), "--output-dir", str(tmp_path),
                  "trade"], cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "trade.pdf").read_bytes() == content


def test_printer_started_with_the_build_prints_only_after_it_succeeds(html_dir, tmp_path):
    """`make html` starts the printer with the build (``--after FILE``): it waits until the build has written its
    exit status to FILE; after a failed build it prints nothing, after a successful one what the build's own
    command prints."""
    import os
    import time

    from conftest import VENV

    env = {**os.environ, "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    for status, printed in (("1", False), ("0", True)):
        out, after = tmp_path / f"after-{status}", tmp_path / f"status-{status}"
        out.mkdir()
        printer = subprocess.Popen(["python", "-m", "usrubook.book.chapterpdf", "--html", str(html_dir),
                                    "--output-dir", str(out), "--after", str(after), "trade"],
                                   cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(1.5)
            assert printer.poll() is None, f"the printer did not wait for the build: {printer.communicate()}"
            after.write_text(status + "\n", encoding="utf-8")
            stdout, stderr = printer.communicate(timeout=120)
        finally:
            printer.kill()
        assert printer.returncode == 0, stderr
        if printed:
            assert (out / "trade.pdf").read_bytes() == _pdf(html_dir, "trade").read_bytes()
            assert f"{out / 'trade.pdf'} (" in stdout, stdout
        else:
            assert not list(out.iterdir()) and not stdout.strip(), (stdout, list(out.iterdir()))


@pytest.mark.parametrize("status, changed", [("0", False), ("0", True), ("1", False)],
                         ids=["succeeded", "page-changed-after-ready", "failed"])
def test_printer_prints_when_the_pages_are_ready_and_writes_only_what_the_build_left(html_dir, tmp_path,
                                                                                    monkeypatch, status, changed):
    """`make html` has the printer print as soon as the build has written its pages (usrubook.book.afterbuild); the
    PDFs are written only once the build has succeeded: a page changed meanwhile is printed again as the build
    left it; after a failed build nothing is written."""
    import shutil

    from usrubook.book import afterbuild, chapterpdf

    html = tmp_path / "_build" / "html"
    shutil.copytree(html_dir, html, ignore=shutil.ignore_patterns("*.pdf", "*.zip", "*.ipynb", "pagefind"))
    out, ready, after = tmp_path / "out", tmp_path / "ready", tmp_path / "status"
    out.mkdir()
    ready.write_text("1\n", encoding="utf-8")
    page = html / "chapters" / "trade.html"
    printed, real = [], chapterpdf._print_all

    async def print_all(browser, html_dir, todo, meta, epoch):
        result = await real(browser, html_dir, todo, meta, epoch)
        printed.append([(name, data) for name, _, _, data, _ in result])
        if len(printed) == 1:       # printed while the build goes on; it may change the page, then ends
            assert not after.exists() and not list(out.iterdir())
            if changed:
                page.write_text(page.read_text(encoding="utf-8").replace(
                    "</article>", "<p>Zyzzyvas feed on grasses.</p></article>", 1), encoding="utf-8")
            after.write_text(status + "\n", encoding="utf-8")
        return result

    monkeypatch.setattr(chapterpdf, "_print_all", print_all)
    result = chapterpdf.build(ROOT, html, ["trade"], out, quiet=True,
                              follow=afterbuild.Build(after, ready, parent=None))
    if status != "0":
        assert result is None and len(printed) == 1 and not list(out.iterdir())
        return
    pdf = out / "trade.pdf"
    assert result == {"trade": pdf.resolve()}
    assert len(printed) == (2 if changed else 1) and pdf.read_bytes() == printed[-1][0][1]
    assert ("Zyzzyva" in _pdftotext(pdf)) == changed
    if not changed:
        assert pdf.read_bytes() == _pdf(html_dir, "trade").read_bytes()


def test_printer_writes_nothing_when_the_build_fails_just_after_writing_its_pages(html_dir, tmp_path, monkeypatch):
    """The build writes its pages (the ready file) and fails at once, before the printer has looked again: nothing
    is printed, nothing written."""
    from usrubook.book import afterbuild, chapterpdf

    out, ready, after = tmp_path / "out", tmp_path / "ready", tmp_path / "status"
    out.mkdir()
    ready.write_text("1\n", encoding="utf-8")
    started = afterbuild.Build.started_async

    async def started_then_failed(self):
        answer = await started(self)
        after.write_text("1\n", encoding="utf-8")
        return answer

    async def print_all(*args):
        pytest.fail("printed after a failed build")

    monkeypatch.setattr(afterbuild.Build, "started_async", started_then_failed)
    monkeypatch.setattr(chapterpdf, "_print_all", print_all)
    assert chapterpdf.build(ROOT, html_dir, ["trade"], out, quiet=True,
                            follow=afterbuild.Build(after, ready, parent=None)) is None
    assert not list(out.iterdir())


@pytest.mark.parametrize("case", ["html", "warned", "raised", "latex", "not-asked"])
def test_build_marks_its_pages_ready_only_when_nothing_went_wrong(tmp_path, monkeypatch, case):
    """The web build writes the ready file that `make html` names in $USRUBOOK_PAGES_READY at build-finished, after
    the handlers that finish its pages and _static and before the kits are zipped; not after a warning or an
    exception, not for another builder, and not when no file is named."""
    from types import SimpleNamespace

    from usrubook.book import afterbuild

    ready = tmp_path / "ready"
    if case != "not-asked":
        monkeypatch.setenv(afterbuild.ENV, str(ready))
    else:
        monkeypatch.delenv(afterbuild.ENV, raising=False)
    app = SimpleNamespace(builder=SimpleNamespace(format="latex" if case == "latex" else "html"),
                          _warncount=1 if case == "warned" else 0)
    afterbuild.mark_pages_ready(app, RuntimeError("failed") if case == "raised" else None)
    assert ready.exists() == (case == "html")
    assert not list(tmp_path.glob("*.tmp"))


def test_pages_are_marked_ready_after_the_handlers_that_finish_them_and_before_the_kits():
    """Priorities of build-finished: what finishes the pages and _static runs at the default 500 (the pruned theme
    stylesheet; the pictures at 99), the ready file at 600, the kits (which nothing printed or indexed reads) at
    700."""
    import inspect
    from types import SimpleNamespace

    from usrubook.book import html, rerun, sphinxext

    connected = {}
    app = SimpleNamespace(config=SimpleNamespace(), add_node=lambda *a, **k: None,
                          add_css_file=lambda *a, **k: None, add_html_math_renderer=lambda *a, **k: None,
                          add_js_file=lambda *a, **k: None,
                          connect=lambda event, callback, priority=500: connected.setdefault(event, {}).update(
                              {callback.__name__: priority}))
    html.setup(app)
    rerun.setup(app)
    ready = 'app.connect("build-finished", afterbuild.mark_pages_ready, priority=600)'
    assert ready in inspect.getsource(sphinxext.setup)
    finished = connected["build-finished"]
    assert finished["_remove_unused_theme_files"] == 500 and finished["_write_all"] == 700, finished


def test_fix_dates_keeps_the_length_and_refuses_a_pdf_without_dates():
    from usrubook.book.chapterpdf import fix_dates

    pdf = b"<</CreationDate (D:20261207053655+01'00')\n/ModDate (D:20261207053655+01'00')>>"
    fixed = fix_dates(pdf, 86400)
    assert len(fixed) == len(pdf) and fixed.count(b"(D:19700102000000+00'00')") == 2
    with pytest.raises(ValueError):
        fix_dates(b"<</Producer (Skia)>>", 0)


def test_tagged_element_names_do_not_depend_on_the_browser_node_numbers():
    """Chromium names tagged elements after its DOM node numbers, which may differ by one between two prints of
    the same page; the build numbers them in order, keeping lengths (offsets) and order (the sorted /IDTree)."""
    from usrubook.book.chapterpdf import canonical_node_ids

    def pdf(first):
        a, b = b"(node%08d)" % first, b"(node%08d)" % (first + 2)
        return (b"<</ID " + a + b">>\n<</ID " + b + b">>\n<</Names [" + a + b" 1 0 R " + b + b" 2 0 R]"
                b"/Limits [" + a + b" " + b + b"]>>")

    one, other = canonical_node_ids(pdf(1888)), canonical_node_ids(pdf(1889))
    assert one == other and len(one) == len(pdf(1888))
    assert one.count(b"(node00000001)") == 3 and one.count(b"(node00000002)") == 3
    assert canonical_node_ids(b"<</Producer (Skia)>>") == b"<</Producer (Skia)>>"
