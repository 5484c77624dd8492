"""'Cite this' and machine-readable pages: every generated citation file parses (BibTeX with pybtex, RIS with
rispy, CSL-JSON), figure and table citations carry the numbers the HTML and the PDF print, every page has its
Cite control, and a metadata extractor (extruct) reads the pages' meta tags and schema.org JSON-LD."""
import json
import re
import subprocess

import pytest
from bs4 import BeautifulSoup

import zotero_model
from conftest import book_pages, parsed_page
from usrubook.book.metadata import book_metadata

CSL_TYPES = {"book", "chapter", "figure"}


def _cite_files(html_dir, ext):
    files = sorted((html_dir / "_cite").glob(f"*.{ext}"))
    assert len(files) > 20, f"too few .{ext} files"
    return files


def _book_pages(html_dir):
    return [p for p in book_pages() if p not in ("genindex.html", "search.html")]


def test_bibtex_files_parse(html_dir, root):
    from pybtex.database import parse_string

    meta = book_metadata(root)
    for path in _cite_files(html_dir, "bib"):
        data = parse_string(path.read_text(encoding="utf-8"), "bibtex")
        (key, entry), = data.entries.items()
        assert entry.type in ("book", "incollection"), path.name
        assert entry.fields["version"] == meta.version and entry.fields["year"] == str(meta.year)
        # BibTeX's standard styles print no ``version`` field: every entry says it in its note too
        assert re.search(rf"\b[Vv]ersion {re.escape(meta.version)}\b", entry.fields["note"]), path.name
        assert entry.fields["url"].startswith(meta.version_url) and "\\" not in entry.fields["url"]
        # the organisation is one name (brace-protected), not first and last names
        (author,) = entry.persons["author"]
        assert not author.first_names and author.last_names == ["{" + meta.authors[0].replace("–", "--") + "}"]
        assert "publisher" not in entry.fields
        if entry.type == "incollection":
            assert entry.fields["booktitle"] == "{" + meta.citation_title.replace("–", "--") + "}"


def test_ris_files_parse(html_dir, root):
    import rispy

    meta = book_metadata(root)
    for path in _cite_files(html_dir, "ris"):
        text = path.read_text(encoding="utf-8")
        assert text.startswith("TY  - "), path.name
        (entry,) = rispy.loads(text)
        assert entry["type_of_reference"] in ("BOOK", "CHAP", "FIGURE"), path.name
        # a name without a comma: Zotero's RIS import makes it a one-field name (RIS.js, "creators")
        assert entry["title"] and entry["authors"] == list(meta.authors) and "," not in entry["authors"][0]
        assert entry["date"] == meta.released.strftime("%Y/%m/%d") and meta.version in entry["edition"]
        assert entry["urls"][0].startswith(meta.version_url)
        assert "publisher" not in entry and "PB  -" not in text
        if entry["type_of_reference"] != "BOOK":
            assert entry["secondary_title"] == meta.citation_title
        if "#" not in entry["urls"][0]:     # the book or a page (not a figure or table): the PDF that holds it
            page = entry["urls"][0][len(meta.version_url):].removesuffix(".html")
            assert entry["file_attachments1"] == (meta.pdf_url if entry["type_of_reference"] == "BOOK"
                                                  else meta.page_pdf_url(page)), path.name


def test_csl_json_files_are_csl_items(html_dir, root):
    meta = book_metadata(root)
    for path in _cite_files(html_dir, "json"):
        (item,) = json.loads(path.read_text(encoding="utf-8"))
        assert {"id", "type", "title", "author", "issued", "URL", "version"} <= set(item), path.name
        assert item["type"] in CSL_TYPES
        assert item["issued"]["date-parts"][0] == [meta.released.year, meta.released.month, meta.released.day]
        assert item["author"] == [{"literal": a} for a in meta.authors]
        assert item["URL"].startswith(meta.version_url) and "publisher" not in item
        if item["type"] != "book":
            assert item["container-title"] == meta.citation_title


def test_citation_text_is_escaped_in_html(root):
    """A caption with markup characters is text in the HTML citation, not markup."""
    from usrubook.book import cite

    meta = book_metadata(root)
    item = cite.csl_item(meta, "figure", key="k", title="Figure 1.1: A <b> & C", chapter="1",
                         url=meta.page_url("chapters/history", "fig-x"))
    for style in cite.STYLES.values():
        plain, markup = cite.render(item, style)
        assert "A <b> & C" in plain and "A &lt;b&gt; &amp; C" in markup and "<b>" not in markup
        assert "<i>" in markup
    bib = cite.bibtex(item, meta, "figure")
    assert r"A <b> \& C" in bib


def _pdf_text(pdf_path):
    text = subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.replace("-\n", "").split())


def test_figure_and_table_citations_carry_the_printed_numbers(html_dir, pdf_path):
    pdf = _pdf_text(pdf_path)
    checked = {"Figure": 0, "Table": 0}
    for path in _cite_files(html_dir, "json"):
        (item,) = json.loads(path.read_text(encoding="utf-8"))
        if item["type"] != "figure":
            continue
        kind = item.get("genre", "Figure")
        m = re.match(rf"{kind} (\d+\.\d+): (.*)", item["title"])
        assert m, item["title"]
        number, caption = m.groups()
        page, anchor = item["URL"][len(book_metadata(html_dir.parent.parent).version_url):].split("#")
        target = parsed_page(html_dir / page).find(id=anchor)
        assert target is not None, item["URL"]
        shown = (target.find(class_="caption-number") or target.find_previous(class_="caption-number")).get_text()
        prefix = "Fig." if kind == "Figure" else "Table"
        assert shown.strip() == f"{prefix} {number}", (item["URL"], shown)
        # the control that offers it sits right after the figure (its next sibling) or the table
        control = target.find_next_sibling("details") if kind == "Figure" else target.find_next("details")
        assert control is not None and "usrubook-cite" in control["class"], item["URL"]
        assert f"{kind} {number}:" in control.get_text(), item["URL"]
        # the PDF prints the same number before the same caption
        words = " ".join(caption.split()[:3])
        assert re.search(rf"{re.escape(prefix)} {re.escape(number)}:? {re.escape(words)}", pdf), \
            f"{prefix} {number} {words!r} is not in the PDF"
        checked[kind] += 1
    assert checked["Figure"] >= 10 and checked["Table"] >= 5, checked


def test_page_citations_carry_chapter_numbers(html_dir, root):
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    # the numbered parts (Chapters, Evidence); the unnumbered Re-run page is not a chapter of the book
    docs = [c["file"] for part in toc["parts"] if part.get("numbered") for c in part["chapters"]]
    for number, doc in enumerate(docs, 1):
        (item,) = json.loads((html_dir / "_cite" / (doc.replace("/", "-") + ".json")).read_text(encoding="utf-8"))
        assert item["chapter-number"] == str(number), doc
        soup = parsed_page(html_dir / f"{doc}.html")
        # the page's figures and tables are numbered within its chapter number
        for shown in soup.select("span.caption-number"):
            assert shown.get_text().split()[1].startswith(f"{number}."), (doc, shown.get_text())


def test_every_page_has_a_cite_control_near_its_title(html_dir):
    for page in _book_pages(html_dir):
        soup = parsed_page(html_dir / page)
        h1 = soup.find("h1")
        control = h1.find_next("details")
        assert control is not None and "usrubook-cite" in control["class"], page
        summary = control.find("summary").get_text()
        assert summary == ("Cite this book" if page == "intro.html" else "Cite this page"), page
        links = {a["href"].rsplit(".", 1)[1] for a in control.find_all("a", download=True)}
        assert links == {"bib", "ris", "json"}, page
        # the web addresses in the formatted citations are links too
        assert any(a["href"].startswith("https://") for a in control.find_all("a", href=True)), page
        for a in control.find_all("a", download=True):
            assert (html_dir / page).parent.joinpath(a["href"]).resolve().is_file(), a["href"]
        assert "APA" in control.get_text() and "Chicago" in control.get_text()


def test_cite_controls_are_not_in_the_pdf(pdf_path):
    text = _pdf_text(pdf_path)
    assert "Cite this figure" not in text and "Cite this page" not in text
    assert "How to cite" in text


# ---------------------------------------------------------------- machine-readable pages


def _extract(html_dir, page, root):
    import extruct

    meta = book_metadata(root)
    html = (html_dir / page).read_text(encoding="utf-8")
    return extruct.extract(html, base_url=meta.page_url(page.removesuffix(".html")),
                           syntaxes=["json-ld", "dublincore", "opengraph"],
                           uniform=True), html


def _meta_tags(html):
    import lxml.html

    tree = lxml.html.fromstring(html)
    tags = {}
    for el in tree.xpath("//head/meta[@name]"):
        tags.setdefault(el.get("name"), []).append(el.get("content"))
    return tags


def test_book_page_is_a_book_with_its_dataset(html_dir, root):
    meta = book_metadata(root)
    data, html = _extract(html_dir, "intro.html", root)
    graph = data["json-ld"][0]["@graph"]
    book = next(x for x in graph if x["@type"] == "Book")
    assert book["name"] == meta.title and book["version"] == meta.version
    assert book["datePublished"] == meta.released.isoformat()
    dataset = next(x for x in graph if x["@type"] == "Dataset")
    assert dataset["version"] == meta.version and dataset["license"].startswith("https://creativecommons.org/")
    assert dataset["citation"].startswith(meta.authors[0])
    urls = [d["contentUrl"] for d in dataset["distribution"]]
    assert meta.address("data/datapackage.json") in urls and any(u.endswith("/trade.csv") for u in urls)
    for url in urls:       # every DataDownload is in (this version of) the web book
        assert (html_dir / url[len(meta.version_url):]).is_file(), url
    tags = _meta_tags(html)
    assert tags["citation_title"] == [meta.citation_title] and "citation_book_title" not in tags
    assert tags["citation_publication_date"] == [meta.released.strftime("%Y/%m/%d")]
    assert tags["citation_pdf_url"] == [meta.pdf_url] and meta.pdf_url.startswith(meta.version_url)
    # the web book serves that PDF (make pdf copies it beside index.html), identical to the PDF build's
    served = html_dir / meta.pdf_url[len(meta.version_url):]
    assert served.is_file(), f"{meta.pdf_url}: not in the web book; run `make pdf`"
    assert served.read_bytes() == (root / "_build/latex/us-russia-relations.pdf").read_bytes()


@pytest.mark.parametrize("page", ["chapters/trade.html", "evidence/sources.html", "references.html"])
def test_chapter_pages_are_book_sections(html_dir, root, page):
    meta = book_metadata(root)
    data, html = _extract(html_dir, page, root)
    ld = data["json-ld"][0]
    chapter = ld if ld.get("@type") == "Chapter" else next(x for x in ld["@graph"] if x["@type"] == "Chapter")
    assert chapter["isPartOf"]["@type"] == "Book" and chapter["isPartOf"]["name"] == meta.title
    doc = page.removesuffix(".html")
    assert chapter["version"] == meta.version and chapter["url"] == meta.page_url(doc)
    assert chapter["encoding"]["contentUrl"] == meta.page_pdf_url(doc)
    tags = _meta_tags(html)
    assert tags["citation_book_title"] == [meta.citation_title]
    assert tags["citation_author"] == [a + "," for a in meta.authors]
    assert tags["citation_language"] == ["en"]
    assert tags["citation_public_url"] == [meta.page_url(doc)]
    assert tags["citation_pdf_url"] == [meta.page_pdf_url(doc)]
    assert tags["DC.relation.hasVersion"] == [meta.version]
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}", tags["citation_publication_date"][0])
    og = dict(data["opengraph"][0]) if data["opengraph"] else {}
    assert og.get("@type") == "article" and og.get("og:url") == meta.page_url(doc, latest=True), og
    assert tags["citation_version"] == [meta.version]
    dc = {e["name"]: e["content"] for e in data["dublincore"][0]["elements"]}
    assert dc["DC.title"] == tags["citation_title"][0] and dc["DC.date"] == meta.released.isoformat()


def test_methods_page_describes_the_dataset(html_dir, root):
    data, _ = _extract(html_dir, "evidence/methods.html", root)
    types = [x["@type"] for x in data["json-ld"][0]["@graph"]]
    assert types == ["Chapter", "Dataset"]


# ---------------------------------------------------------------- in a browser


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("mode", ["light", "dark"])
def test_cite_controls_open_by_keyboard_and_fit(browser, server, mode, width):
    """The page's Cite control is reached with Tab and opened with Enter; open, every control of the page keeps
    within the page width, and axe-core finds no critical or serious violation in them (contrast in both
    modes)."""
    from conftest import open_page, set_mode
    from test_a11y import FAILING_IMPACTS, AXE, run_axe

    context = browser.new_context(viewport={"width": width, "height": 900})
    set_mode(context, mode)
    try:
        page = open_page(context, f"{server}/chapters/trade.html")
        summary = page.locator("details.usrubook-cite > summary").first
        for _ in range(80):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement && document.activeElement.matches('details.usrubook-cite > summary')"):
                break
        else:
            pytest.fail("no Cite control is reached with the Tab key")
        page.keyboard.press("Enter")
        assert page.evaluate("document.querySelector('details.usrubook-cite').open")
        page.evaluate("document.querySelectorAll('details.usrubook-cite').forEach(d => d.open = true)")
        wide = page.evaluate("""() => [...document.querySelectorAll('details.usrubook-cite')]
            .filter(d => d.getBoundingClientRect().right > document.documentElement.clientWidth + 1).length""")
        assert wide == 0
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        assert summary.is_visible()
        violations = run_axe(page, AXE.read_text(encoding="utf-8"), "'details.usrubook-cite'")
        bad = [v for v in violations if v["impact"] in FAILING_IMPACTS]
        assert not bad, json.dumps(bad, indent=1)[:3000]
    finally:
        context.close()


def test_chicago_puts_the_full_stop_inside_the_quotation_marks():
    """US English (the styles' locale): “Trade.”, not “Trade”. (citeproc-py does not apply punctuation-in-quote)."""
    from usrubook.book.cite import render

    item = {"id": "x", "type": "chapter", "title": "Trade", "container-title": "A book",
            "author": [{"literal": "A team"}], "issued": {"date-parts": [[2026, 11, 21]]}, "URL": "https://e.org/t"}
    plain, markup = render(item, "chicago-author-date")
    assert "“Trade.”" in plain and "“Trade”." not in plain, plain
    assert "“Trade.”" in markup, markup


# ---------------------------------------------------------------- what Zotero saves (tests/zotero_model.py)


def test_zotero_model_splits_a_name_without_a_comma():
    """The model reproduces what Zotero made of the book's earlier ``citation_author`` (a name without a comma,
    split at its last space) and what it makes of "Name," (the whole name as the last name)."""
    head = '<meta name="citation_title" content="Trade"><meta name="citation_book_title" content="A book">'
    before = zotero_model.save(head + '<meta name="citation_author" content="US–Russia Relations book team">',
                               "https://example.org/t.html")
    assert before.creators == [{"firstName": "US-Russia Relations book", "lastName": "Team", "fieldMode": 0,
                                "creatorType": "author"}]
    after = zotero_model.save(head + '<meta name="citation_author" content="US–Russia Relations book team,">',
                              "https://example.org/t.html")
    assert after.creators == [{"firstName": "", "lastName": "US–Russia Relations book team", "fieldMode": 0,
                               "creatorType": "author"}]
    assert after.api_names() == [{"name": "US–Russia Relations book team"}]
    assert after.item_type == "bookSection" and after.attachments[0]["title"] == "Snapshot"


@pytest.mark.parametrize("page", ["chapters/trade.html", "chapters/history.html", "evidence/sources.html",
                                  "intro.html"])
def test_zotero_saves_the_page_with_its_book_version_address_and_pdf(html_dir, root, page):
    """Saving a page in Zotero (Embedded Metadata, as modelled): a chapter is a book section of the book, the
    book page is the book; one author, the organisation's whole name; the title in sentence case; the version
    as Edition; the release date; this version's address; and, as its PDF, the chapter's own PDF (the book's
    for the other pages), which the web book serves."""
    meta = book_metadata(root)
    doc = page.removesuffix(".html")
    html = (html_dir / page).read_text(encoding="utf-8")
    saved = zotero_model.save(html, meta.page_url(doc, latest=True))
    is_book = page == "intro.html"
    assert saved.item_type == ("book" if is_book else "bookSection")
    assert saved.creators == [{"firstName": "", "lastName": a, "fieldMode": 0, "creatorType": "author"}
                              for a in meta.authors]
    assert saved.api_names() == [{"name": a} for a in meta.authors]
    assert saved.csl_names() == [{"family": a, "given": ""} for a in meta.authors]
    soup = BeautifulSoup(html, "html.parser")
    heading = soup.find("h1").get_text(" ", strip=True).rstrip("#").strip()
    assert saved.fields["title"] == (meta.citation_title if is_book else re.sub(r"^[\d.]+\s*", "", heading))
    if not is_book:
        assert saved.fields["bookTitle"] == meta.citation_title
    assert saved.fields["edition"] == f"Version {meta.version}"
    assert saved.fields["date"] == meta.released.strftime("%Y/%m/%d")
    assert saved.fields["url"] == meta.page_url(doc) and saved.fields["url"].startswith(meta.version_url)
    assert saved.fields["language"] == "en" and "publisher" not in saved.fields
    (pdf,) = saved.attachments
    assert pdf["mimeType"] == "application/pdf"
    assert pdf["url"] == (meta.address(doc + ".pdf") if doc.startswith("chapters/") else meta.pdf_url)
    assert (html_dir / pdf["url"][len(meta.version_url):]).is_file(), f"{pdf['url']}: not in the web book"


def test_no_citation_has_an_empty_publisher(html_dir, root):
    """No format names a publisher, empty or not (APA 7, 9.29: the authors publish the book)."""
    for path in (html_dir / "_cite").glob("*.*"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r'^\s*publisher\s*=|^PB  -|"publisher"\s*:', text, re.I | re.M), path.name
    for page in _book_pages(html_dir):
        tags = _meta_tags((html_dir / page).read_text(encoding="utf-8"))
        assert not any("publisher" in name.lower() for name in tags), page
        assert all(v.strip() for values in tags.values() for v in values if v is not None), page


def test_apa_titles_are_in_sentence_case_and_chicago_in_title_case(root):
    from usrubook.book import cite

    meta = book_metadata(root)
    book = cite.csl_item(meta, "book", key="b")
    apa, _ = cite.render(book, "apa")
    chicago, _ = cite.render(book, "chicago-author-date")
    assert "US–Russia relations: An executable research book (Version " in apa, apa
    assert "US–Russia Relations: An Executable Research Book" in chicago, chicago
    assert apa.startswith(f"{meta.authors[0]}. ({meta.year}).") and meta.version_url in apa
    page = cite.csl_item(meta, "page", key="p", title="Europe and Asia: a survey", chapter="3",
                         url=meta.page_url("chapters/europe-asia"))
    apa, _ = cite.render(page, "apa")
    assert "Europe and Asia: A survey. In US–Russia relations: An executable research book" in apa, apa


def test_citations_render_the_same_after_the_styles_are_read_again():
    """citeproc-py's macro lookup is memoised per parsed style (usrubook.book.cite._memoize_citeproc): a style read
    again renders as the first did, in plain text and in HTML, whichever was rendered last."""
    from usrubook.book import cite

    item = {"id": "x", "type": "webpage", "title": "Trade and sanctions", "container-title": "Example",
            "author": [{"family": "Doe", "given": "Jane"}], "issued": {"date-parts": [[2024, 3, 8]]},
            "URL": "https://example.org/a"}
    first = [cite._render(item, style) for style in cite.STYLES.values()]
    cite._style.cache_clear()
    again = [cite._render(item, style) for style in cite.STYLES.values()]
    assert again == first
    assert first[0] == ("Doe, J. (2024, March 8). Trade and sanctions. Example. https://example.org/a",
                        "Doe, J. (2024, March 8). <i>Trade and sanctions</i>. Example. https://example.org/a")


def test_plain_citation_is_what_citeproc_renders_as_plain_text(root):
    """A citation is rendered once, in HTML, and its plain text read from that HTML (usrubook.book.cite._plain):
    for every kind of item the book cites, and text with markup characters, quotation marks and a URL with
    "&", that text is exactly what citeproc-py's own plain formatter gives, in both styles."""
    from usrubook.book import cite

    meta = book_metadata(root)
    url = meta.page_url("chapters/trade", "fig-x")
    items = [cite.csl_item(meta, "book", key="b"),
             cite.csl_item(meta, "page", key="p", title="Trade & “sanctions”", chapter="4", url=url),
             cite.csl_item(meta, "figure", key="f", title="Figure 4.1: A <b> & C, 1991–2026: <i>x</i>",
                           chapter="4", url=url + "&a=1<2"),
             cite.csl_item(meta, "table", key="t", title="Table 4.2: Imports ($ bn) 'quoted' \\ back", chapter="4",
                           url=url)]
    for item in items:
        for style in cite.STYLES.values():
            plain, markup = cite._render(item, style)
            assert markup == cite._punctuation_in_quote(cite._citeproc(item, style, "html"))
            assert plain == cite._punctuation_in_quote(cite._citeproc(item, style, "plain")), (style, item["title"])


def test_citeproc_renders_the_same_with_its_answers_kept(monkeypatch):
    """usrubook.book.cite._memoize_citeproc keeps citeproc-py's answers about a style's tree (which macro a name
    calls, does an element call a variable, which term a locale gives); the book's kinds of reference render
    exactly as with citeproc-py's own lookups, in both styles, plain and HTML."""
    from citeproc import model

    from usrubook.book import cite

    items = [{"id": "p", "type": "chapter", "title": "Trade", "container-title": "US–Russia Relations",
              "author": [{"literal": "The authors"}], "issued": {"date-parts": [[2026, 1, 15]]},
              "URL": "https://example.org/chapters/trade.html", "version": "1.0.0", "publisher": "The authors"},
             {"id": "w", "type": "webpage", "title": "Trade and sanctions", "container-title": "Example",
              "author": [{"family": "Doe", "given": "Jane"}, {"family": "Roe", "given": "Rick"}],
              "issued": {"date-parts": [[2024, 3, 8]]}, "accessed": {"date-parts": [[2026, 1, 2]]},
              "URL": "https://example.org/a"},
             {"id": "b", "type": "book", "title": "A book", "author": [{"family": "Doe", "given": "Jane"}],
              "issued": {"date-parts": [[2014]]}, "publisher": "Press", "edition": "2"}]
    cite._render(items[0], cite.STYLES["apa"])      # the memos are in place
    kept = [cite._render(item, style) for item in items for style in cite.STYLES.values()]
    for cls, name in ((model.CitationStylesElement, "get_macro"), (model.Parent, "calls_variable"),
                      (model.Text, "calls_variable"), (model.Locale, "get_term")):
        monkeypatch.setattr(cls, name, getattr(cls, name).__wrapped__)
    cite._style.cache_clear()
    assert [cite._render(item, style) for item in items for style in cite.STYLES.values()] == kept
    cite._style.cache_clear()


def test_bibliography_lists_the_entries_sphinxcontrib_bibtex_lists():
    """The book's index of citing pages (usrubook.book.buildcache.index_citation_refs) gives each bibliography the
    entries, in the order, that sphinxcontrib-bibtex's own walk over every citation gives, whatever its filter."""
    import ast
    from types import SimpleNamespace as Ns

    from sphinxcontrib.bibtex import domain
    from sphinxcontrib.bibtex.directives import BibliographyKey

    from usrubook.book.buildcache import index_citation_refs

    index_citation_refs()
    patched = domain.BibtexDomain.get_filtered_entries
    entries = [Ns(key=k, type="article", fields={"year": y}, persons={}) for k, y in
               (("a", "2001"), ("b", "2002"), ("c", "2003"), ("d", "2004"), ("e", "2005"))]
    refs = [Ns(docname="ch1", targets=[Ns(key="a"), Ns(key="b"), Ns(key="a")]), Ns(docname="ch2", targets=[Ns(key="a")]),
            Ns(docname="ch3", targets=[Ns(key="c")]), Ns(docname="ch1", targets=[Ns(key="p-d")])]
    for prefix in ("", "p-"):
        for expression in ("cited", "not cited", "docname in docnames", "'ch1' in docnames or year == '2005'", "True"):
            key = BibliographyKey(docname="ch1", id_="b1")
            bib = Ns(keyprefix=prefix, bibfiles=["refs.bib"], filter_=ast.parse(expression), keys={"e"}, line=1)
            fake = Ns(bibliographies={key: bib}, citation_refs=refs, get_entries=lambda files: iter(entries))
            ours = [(k, e.key) for k, e in patched(fake, key)]
            theirs = [(k, e.key) for k, e in patched.original(fake, key)]
            assert ours == theirs, (prefix, expression, ours, theirs)


def test_citations_rendered_ahead_in_a_process_of_their_own_are_those_rendered_here(root):
    """A clean build renders its citations in a process of its own while the pages are written
    (usrubook.book.cite.render_ahead): each rendering taken from there is the one rendered in the build's own
    process, in both styles; one the process could not render is left to the caller (None), which renders it
    itself and reports its error; a key never sent is None."""
    from usrubook.book import cite

    meta = book_metadata(root)
    items = [cite.csl_item(meta, "book", key="b"),
             cite.csl_item(meta, "figure", key="f", title="Figure 4.1: A <b> & C", chapter="4",
                           url=meta.page_url("chapters/trade", "fig-x")),
             {"id": "broken", "type": "chapter", "title": "No issued date", "issued": "not a date"}]
    chunks = [[(f"{n}-{style}", item, style) for style in cite.STYLES.values()] for n, item in enumerate(items)]
    ahead = cite._Ahead()
    try:
        ahead.start(chunks)
        for n, item in enumerate(items[:2]):
            for style in cite.STYLES.values():
                assert ahead.take(f"{n}-{style}") == cite._render(item, style)
                assert ahead.take(f"{n}-{style}") is None       # taken once
        assert ahead.take(f"2-{cite.STYLES['apa']}") is None
        with pytest.raises(Exception):
            cite._render(items[2], cite.STYLES["apa"])
        assert ahead.take("never-sent") is None
    finally:
        ahead.close()
    assert ahead.pool is None and not ahead.pending
