"""The book's search (usrubook/book/search.py, _templates/search.html, usrubook-search.js) in a real browser,
against the built book served on 127.0.0.1.

* "New START" as a reader types it (no quotes) and as a phrase in quotes: the pages that discuss the treaty come
  first, each with its sections about it, the passages quoted from the prose.
* "sanctions": pages in order of relevance, each with section-level hits that link to a heading of the page.
* No passage shown comes from code: words that occur only in the book's (hidden) code find nothing, and no
  passage looks like code.
* One search field on a page, at 1280 and at 390 px; Ctrl+K leads to the results; readable in dark mode.
* Nothing is requested from outside the machine; the index is the same bytes when built twice.
"""
from __future__ import annotations

import re
from urllib.parse import quote_plus, urlsplit

import pytest

from conftest import parsed_page, set_mode

RESULTS = """() => [...document.querySelectorAll('#usrubook-search-results > li')].map(li => {
  const title = li.querySelector('.usrubook-search__title');
  return {title: title.textContent.trim(), href: title.getAttribute('href'),
    sections: [...li.querySelectorAll('.usrubook-search__section')].map(s => {
      const h = s.querySelector('.usrubook-search__heading');
      return {heading: h ? h.textContent.trim() : null, href: h ? h.getAttribute('href') : null,
              excerpt: s.querySelector('.usrubook-search__excerpt').textContent.replace(/\\s+/g, ' ').trim()};
    })};
})"""
# the search page has settled on the results of query q (its status line names q; "" for any query)
DONE = """(q) => { const s = document.getElementById('usrubook-search-status');
  return s && s.textContent && s.textContent !== 'Searching…' && s.textContent.includes(q) &&
         (s.textContent.startsWith('No page') || !!document.querySelector('#usrubook-search-results > li')) }"""


@pytest.fixture(scope="module")
def context(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    yield ctx
    ctx.close()


class Searcher:
    """One search page, opened once (with the first query in its address, as the theme's search field sends
    it); each further query is typed into the page's field and submitted."""

    def __init__(self, context, server):
        self.context, self.server, self.page = context, server, None

    def __call__(self, query: str) -> tuple[list[dict], str]:
        if self.page is None:
            self.page = self.context.new_page()
            self.page.goto(f"{self.server}/search.html?q={quote_plus(query)}", wait_until="load")
        else:
            self.page.fill("#usrubook-search-input", query)
            self.page.press("#usrubook-search-input", "Enter")
        self.page.wait_for_function(DONE, arg=query, timeout=30000)
        return self.page.evaluate(RESULTS), self.page.inner_text("#usrubook-search-status")


@pytest.fixture(scope="module")
def search(context, server):
    s = Searcher(context, server)
    yield s
    if s.page:
        s.page.close()


def _phrase(text: str, phrase: str) -> bool:
    return re.search(r"\b" + r"\W+".join(map(re.escape, phrase.split())) + r"\b", text, re.I) is not None


@pytest.mark.parametrize("query", ["New START", '"New START"'])
def test_new_start_lists_the_treaty_sections_first(query, search):
    results, status = search(query)
    assert results, f"{query}: no result ({status})"
    with_phrase = [_phrase(" ".join(s["excerpt"] for s in r["sections"]), "New START") for r in results]
    # every page that quotes the treaty's name comes before every page that only has "new" and "start"
    assert with_phrase[0] and with_phrase == sorted(with_phrase, reverse=True), \
        f"{query}: pages with the phrase are not first: {[(r['title'], p) for r, p in zip(results, with_phrase)]}"
    top = results[:3]
    assert {r["title"] for r in top} >= {"History", "Current state"}, [r["title"] for r in results]
    for r in top:
        first = r["sections"][0]
        assert _phrase(first["excerpt"], "New START"), f"{r['title']}: first passage lacks the phrase: {first}"
    headings = [s["heading"] or "" for r in top for s in r["sections"]]
    assert any(re.search(r"arms control", h, re.I) for h in headings), headings
    # the sections shown first on the two treaty pages are the arms-control sections
    firsts = {r["title"]: r["sections"][0]["heading"] for r in top}
    assert "arms control" in (firsts.get("Current state") or "").lower(), firsts
    assert "arms control" in (firsts.get("History") or "").lower(), firsts
    if query.startswith('"'):
        assert all(with_phrase), f"a quoted phrase matched pages without it: {[r['title'] for r in results]}"
    else:
        assert "as a phrase" in status, status


def _target(html_dir, href: str):
    """The element a result's link lands on, in the built page."""
    parts = urlsplit(href)
    path = html_dir / parts.path.lstrip("/")
    assert path.is_file(), f"a result links to a missing page: {href}"
    soup = parsed_page(path)
    return soup.find(id=parts.fragment) if parts.fragment else soup


def test_sanctions_ranked_by_relevance_with_section_hits(search, html_dir):
    results, status = search("sanctions")
    assert len(results) >= 5, status
    titles = [r["title"] for r in results]
    # relevance, not the order of the table of contents or of titles
    assert titles != sorted(titles) and titles[0] != "History", titles
    assert results[0]["sections"][0]["heading"] and "sanction" in results[0]["sections"][0]["heading"].lower(), \
        results[0]
    with_heading = [r["title"] for r in results[:5] if any("sanction" in (s["heading"] or "").lower()
                                                           for s in r["sections"])]
    assert len(with_heading) >= 3, f"top five pages with a section about sanctions: {with_heading}"
    assert not {"References", "Source texts"} & set(titles[:3]), titles
    sections = [s for r in results for s in r["sections"] if s["href"]]
    assert len(sections) >= 10
    for s in sections:
        assert "#" in s["href"], s
        target = _target(html_dir, s["href"])
        assert target is not None and target.name == "section", f"{s['href']} lands on no section"
        heading = target.find(re.compile(r"^h[1-6]$"))
        assert heading and " ".join(s["heading"].split()) == " ".join(heading.get_text(" ").replace("#", "").split()), \
            (s, heading)
    for r in results:
        for s in r["sections"]:
            assert re.search(r"sanction", s["excerpt"], re.I), f"{r['title']}: passage without a match: {s}"


def _code_only_shingles(html_dir, page: str, n: int = 3) -> set[tuple[str, ...]]:
    """Runs of ``n`` words (split at white space) that the page's code cells have and the rest of the page
    (its prose, captions, boxes, literal blocks) does not."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup((html_dir / page).read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article.bd-article")
    shingles = lambda text: {tuple(w[i:i + n]) for w in [text.split()] for i in range(len(w) - n + 1)}
    code = set()
    for cell in article.select(".cell_input"):
        code |= shingles(cell.get_text(" "))
        cell.decompose()
    return code - shingles(article.get_text(" "))


QUERIES = ["New START", "sanctions", "date", "context", "import", "seed", "treaty", "chart", "str", "box"]


def test_no_passage_comes_from_code(search, html_dir):
    """No passage shown has a run of three words that only the page's code cells have, or the shapes of the code
    the old search showed (context["date"].str.startswith(...), usrubook.sources_box(...)). (Commands that the
    prose itself quotes for the reader, as on the Re-run page, are prose and may be shown.)"""
    code_only, bad = {}, []
    for query in QUERIES:
        results, _ = search(query)
        assert results, query
        for r in results:
            page = urlsplit(r["href"]).path.lstrip("/")
            if page not in code_only:
                code_only[page] = _code_only_shingles(html_dir, page)
            for s in r["sections"]:
                words = s["excerpt"].strip("… ").split()
                runs = {tuple(words[i:i + 3]) for i in range(len(words) - 2)}
                if runs & code_only[page] or re.search(r"\.str\.|context\[|usrubook\.\w+\(|\bglue\(", s["excerpt"]):
                    bad.append((query, r["title"], s["excerpt"], sorted(runs & code_only[page])[:3]))
    assert sum(len(v) for v in code_only.values()) > 1000, "the pages searched have hardly any code: test the test"
    assert not bad, "passages from code:\n" + "\n".join(map(str, bad[:8]))


# Words that only the book's code cells have (none of its prose): searched as written (in quotes), they find nothing.
CODE_WORDS = ["startswith", "groupby", "astype", "iterrows"]


def test_words_only_in_code_find_nothing(search, html_dir):
    from bs4 import BeautifulSoup

    code = " ".join(c.get_text(" ") for p in html_dir.glob("*/*.html")
                    for c in BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser").select(".cell_input"))
    for word in CODE_WORDS:
        assert word in code, f"{word} is not in the book's code any more: choose another word only the code has"
        results, status = search(f'"{word}"')
        assert results == [] and status.startswith("No page"), f"{word}: {[r['title'] for r in results]}"


VISIBLE_FIELDS = """() => [...document.querySelectorAll(
    'input[type=search], .search-button-field, .search-button, .search-button__button')]
  .filter(e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden')
  .filter(e => !e.closest('dialog'))
  .map(e => e.tagName + '.' + [...e.classList].join('.'))"""


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("path", ["chapters/trade.html", "intro.html", "search.html?q=sanctions"])
def test_one_search_field(width, path, browser, server):
    ctx = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = ctx.new_page()
        page.goto(f"{server}/{path}", wait_until="load")
        fields = page.evaluate(VISIBLE_FIELDS)
    finally:
        ctx.close()
    assert len(fields) == 1, f"{path} at {width} px shows {len(fields)} search fields or buttons: {fields}"


def test_ctrl_k_and_enter_lead_to_results(context, server):
    page = context.new_page()
    try:
        page.goto(f"{server}/chapters/trade.html", wait_until="load")
        page.keyboard.press("Control+k")
        page.wait_for_function("() => document.getElementById('pst-search-dialog').open")
        page.keyboard.type("sanctions")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/search\.html\?q=sanctions"))
        page.wait_for_function(DONE, arg="", timeout=30000)
        assert page.evaluate(RESULTS)
        # on the search page, Ctrl+K goes to the page's own field
        page.locator("#usrubook-search-results a").first.focus()
        page.keyboard.press("Control+k")
        assert page.evaluate("() => document.activeElement.id") == "usrubook-search-input"
        # typing searches as one types
        page.fill("#usrubook-search-input", "Magnitsky")
        page.wait_for_function("() => document.getElementById('usrubook-search-status').textContent.includes('Magnitsky')"
                               " && document.querySelector('#usrubook-search-results > li')", timeout=30000)
        assert "q=Magnitsky" in page.url
    finally:
        page.close()


CONTRAST = """() => {
  const rgb = c => c.match(/[\\d.]+/g).slice(0, 4).map(Number);
  const lum = ([r, g, b]) => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
                               return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const bg = e => { for (; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor);
                      if (c.length < 4 || c[3] > 0) return c; } return [255, 255, 255]; };
  const ratio = e => { const a = lum(rgb(getComputedStyle(e).color)), b = lum(bg(e));
                       return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); };
  const pick = s => document.querySelector(s);
  return Object.fromEntries(['.usrubook-search__title', '.usrubook-search__heading', '.usrubook-search__excerpt',
                             '.usrubook-search__excerpt mark', '#usrubook-search-status', '#usrubook-search-input']
    .map(s => [s, pick(s) ? Math.round(ratio(pick(s)) * 10) / 10 : null]));
}"""


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_results_are_readable_in_both_modes(mode, browser, server):
    ctx = browser.new_context(viewport={"width": 390, "height": 900})
    set_mode(ctx, mode)
    try:
        page = ctx.new_page()
        page.goto(f"{server}/search.html?q=sanctions", wait_until="load")
        page.wait_for_function(DONE, arg="", timeout=30000)
        ratios = page.evaluate(CONTRAST)
        assert page.evaluate("() => document.documentElement.dataset.theme") == mode
    finally:
        ctx.close()
    low = {k: v for k, v in ratios.items() if v is None or v < 4.5}
    assert not low, f"{mode} mode: contrast below 4.5:1 (or element missing): {low}"


def test_search_requests_nothing_from_outside(browser, server):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    requests, failed = [], []
    ctx.on("request", lambda r: requests.append(r.url))
    ctx.on("requestfailed", lambda r: failed.append(r.url))
    ctx.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    try:
        page = ctx.new_page()
        for query in ("New START", "sanctions"):
            page.goto(f"{server}/search.html?q={quote_plus(query)}", wait_until="load")
            page.wait_for_function(DONE, arg="", timeout=30000)
    finally:
        ctx.close()
    origin = urlsplit(server).netloc
    outside = [u for u in requests if urlsplit(u).scheme in ("http", "https", "ws", "wss")
               and urlsplit(u).netloc != origin]
    assert not outside, f"requests off the machine: {outside}"
    assert any("/pagefind/" in u for u in requests), "the search loaded no part of its index"
    assert not failed, f"failed requests: {failed}"


def test_no_page_loads_sphinx_search(html_dir):
    assert not (html_dir / "searchindex.js").exists()
    for page in html_dir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "searchtools.js" not in text and "searchindex.js" not in text, page
    assert "usrubook-search.js" in (html_dir / "search.html").read_text(encoding="utf-8")


def test_index_is_deterministic(html_dir, tmp_path):
    """Two runs of the indexer over the same pages write the same files, byte for byte, and leave out the
    pages that are not the book's (search page, general index)."""
    import hashlib

    from usrubook.book import search as indexer

    try:
        indexer.pagefind_command()
    except indexer.SearchIndexError as exc:
        pytest.fail(str(exc))
    runs = []
    for name in ("a", "b"):
        info = indexer.build_index(html_dir, tmp_path / name)
        runs.append({p.relative_to(info["output"]).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                     for p in sorted(info["output"].rglob("*")) if p.is_file()})
    assert runs[0] == runs[1], sorted(set(runs[0].items()) ^ set(runs[1].items()))[:10]
    assert "pagefind.js" in runs[0] and not any(n.startswith("pagefind-ui") for n in runs[0])
    assert "search.html" not in info["pages"] and "genindex.html" not in info["pages"]
    assert {"chapters/history.html", "glossary.html", "references.html", "intro.html"} <= set(info["pages"])
    # the index served is the one these runs write
    served = {p.relative_to(html_dir / "pagefind").as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
              for p in sorted((html_dir / "pagefind").rglob("*")) if p.is_file()}
    assert served == runs[0], "_build/html/pagefind is out of date: run make html"


def test_prepared_page_leaves_out_code_and_links_sections(html_dir):
    """What the indexer sees of a chapter: the article; code, hidden cells, data rows and citation controls
    marked to be ignored; each section's id on its heading."""
    import lxml.html

    from usrubook.book.search import prepare

    tree = lxml.html.document_fromstring(prepare((html_dir / "chapters/trade.html").read_bytes(), "chapters/trade.html"))
    body = tree.xpath("//*[@data-pagefind-body]")
    assert len(body) == 1 and body[0].tag == "article"
    ignored = lambda e: any(a.get("data-pagefind-ignore") is not None for a in e.iterancestors()) or \
        e.get("data-pagefind-ignore") is not None
    code = tree.xpath("//*[contains(@class, 'cell_input')]")
    assert code and all(ignored(e) for e in code)
    rows = tree.xpath("//*[contains(@class, 'cell_output')]//table/tbody")
    assert rows and all(ignored(e) for e in rows)
    captions = tree.xpath("//*[contains(@class, 'cell_output')]//table/caption")
    assert captions and not any(ignored(e) for e in captions)
    heading = tree.xpath("//h2[@id='why-trade-collapsed-after-2022']")
    assert heading and not tree.xpath("//section[@id='why-trade-collapsed-after-2022']")
    assert not tree.xpath("//a[contains(@class, 'headerlink')]")


def test_pages_prepared_for_the_index_are_kept_until_they_change(html_dir, tmp_path):
    """Each page prepared for the index is kept between builds (by its bytes and the code): what is staged from the
    memo is what preparing the pages anew gives, and a page that changed is prepared again."""
    import shutil

    from usrubook.book.search import stage

    pages = ["chapters/trade.html", "glossary.html"]
    site, memo = tmp_path / "html", tmp_path / "cache" / "search-stage.pickle"
    for page in pages:
        (site / page).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(html_dir / page, site / page)

    def staged(name, with_memo=True):
        stage(site, tmp_path / name, pages, memo if with_memo else None)
        return {page: (tmp_path / name / page).read_bytes() for page in pages}

    first = staged("first")
    assert staged("again") == first == staged("anew", with_memo=False)
    trade = site / "chapters/trade.html"
    assert b"asymmetric" in trade.read_bytes()
    trade.write_bytes(trade.read_bytes().replace(b"asymmetric", b"lopsided"))
    edited = staged("edited")
    assert edited == staged("edited-anew", with_memo=False)
    assert b"lopsided" in edited["chapters/trade.html"] and edited["glossary.html"] == first["glossary.html"]
    memo.write_bytes(b"not a pickle")
    assert staged("rebuilt") == edited


@pytest.mark.parametrize("status, changed", [("0", False), ("0", True), ("1", False)],
                         ids=["succeeded", "page-changed-after-ready", "failed"])
def test_index_made_while_the_build_goes_on_counts_only_after_it_succeeds(html_dir, tmp_path, monkeypatch, status,
                                                                           changed):
    """`make html` starts the indexer with the build (usrubook.book.afterbuild): the pages are indexed aside as soon
    as the build has written them, and the index is put in place only once the build has succeeded; it is made
    again from the pages as the build left them if one changed meanwhile; after a failed build nothing is put in
    place. Nothing is left aside."""
    import hashlib
    import shutil

    from usrubook.book import afterbuild
    from usrubook.book import search as indexer

    site = tmp_path / "_build"
    html = site / "html"
    for page in indexer.indexed_pages():
        (html / page).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(html_dir / page, html / page)
    ready, after = tmp_path / "ready", tmp_path / "status"
    ready.write_text("1\n", encoding="utf-8")
    glossary = html / "glossary.html"
    digest = lambda folder: {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                             for p in sorted(folder.rglob("*")) if p.is_file()}
    made, real = [], indexer._index

    def index(html_dir, pages, command, output):
        real(html_dir, pages, command, output)
        made.append((output, digest(output)))
        if len(made) == 1:      # indexed aside; the build goes on, may change a page, and ends
            assert after.exists() is False and output.parent.parent == site
            if changed:
                glossary.write_text(glossary.read_text(encoding="utf-8").replace(
                    "</article>", "<p>Zyzzyvas feed on grasses.</p></article>", 1), encoding="utf-8")
            after.write_text(status + "\n", encoding="utf-8")

    monkeypatch.setattr(indexer, "_index", index)
    info = indexer.build_index(html, follow=afterbuild.Build(after, ready, parent=None))
    assert not list(site.glob(".usrubook-search-*")), "a folder was left aside"
    if status != "0":
        assert info is None and len(made) == 1 and not (html / "pagefind").exists()
        return
    served = digest(html / "pagefind")
    assert not info["up_to_date"] and served
    if not changed:
        assert len(made) == 1 and served == made[0][1]
        return
    assert len(made) == 2 and made[1][0] == html / "pagefind" and served != made[0][1]
    monkeypatch.setattr(indexer, "_index", real)
    assert served == digest(indexer.build_index(html, tmp_path / "again")["output"])


def test_index_is_not_put_in_place_when_the_build_fails_just_after_writing_its_pages(html_dir, tmp_path,
                                                                                     monkeypatch):
    """The build writes its pages (the ready file) and fails at once, before the indexer has looked again: nothing
    is indexed aside, nothing put in place."""
    import shutil

    from usrubook.book import afterbuild
    from usrubook.book import search as indexer

    html = tmp_path / "_build" / "html"
    for page in indexer.indexed_pages():
        (html / page).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(html_dir / page, html / page)
    ready, after = tmp_path / "ready", tmp_path / "status"
    ready.write_text("1\n", encoding="utf-8")
    started = afterbuild.Build.started

    def started_then_failed(self):
        answer = started(self)
        after.write_text("1\n", encoding="utf-8")
        return answer

    monkeypatch.setattr(afterbuild.Build, "started", started_then_failed)
    monkeypatch.setattr(indexer, "_index", lambda *args: pytest.fail("indexed after a failed build"))
    assert indexer.build_index(html, follow=afterbuild.Build(after, ready, parent=None)) is None
    assert not (html / "pagefind").exists() and not list(html.parent.glob(".usrubook-search-*"))
