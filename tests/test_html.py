"""The HTML book is self-contained: every resource a page loads is served by the book itself."""
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

from bs4 import BeautifulSoup

RESOURCE_ATTRS = [("script", "src"), ("img", "src"), ("source", "src"), ("iframe", "src"), ("embed", "src"),
                  ("video", "src"), ("audio", "src"), ("object", "data"), ("input", "src")]
LINK_RESOURCE_RELS = {"stylesheet", "preload", "modulepreload", "icon", "shortcut", "apple-touch-icon", "manifest",
                      "prefetch"}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")


def _pages(html_dir):
    """Built pages; _static/ holds the theme's Jinja macro files, which are not pages."""
    return sorted(p for p in html_dir.rglob("*.html") if "_static" not in p.relative_to(html_dir).parts)


def _check_local(ref: str, base: Path, html_dir: Path, where: str) -> str | None:
    ref = ref.strip()
    if not ref or ref.startswith(("data:", "#", "about:", "blob:")):
        return None
    parts = urlsplit(ref)
    if parts.scheme or ref.startswith("//"):
        return f"{where}: loads {ref} from outside the book"
    target = (base / parts.path).resolve()
    if html_dir.resolve() not in target.parents:
        return f"{where}: {ref} points outside _build/html"
    if not target.is_file():
        return f"{where}: {ref} does not exist in the built book"
    return None


def test_pages_load_nothing_from_outside(html_dir):
    problems = []
    for page in _pages(html_dir):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        where = str(page.relative_to(html_dir))
        refs = [tag.get(attr) for name, attr in RESOURCE_ATTRS for tag in soup.find_all(name) if tag.get(attr)]
        for tag in soup.find_all(srcset=True):
            refs += [item.split()[0] for item in tag["srcset"].split(",") if item.strip()]
        for link in soup.find_all("link", href=True):
            if LINK_RESOURCE_RELS & set(link.get("rel", [])):
                refs.append(link["href"])
        for style in soup.find_all("style"):
            refs += [a or b for a, b in CSS_URL.findall(style.get_text())]
        for tag in soup.find_all(style=True):
            refs += [a or b for a, b in CSS_URL.findall(tag["style"])]
        problems += [p for p in (_check_local(r, page.parent, html_dir, where) for r in refs) if p]
    assert not problems, "\n".join(problems)


def test_stylesheets_load_nothing_from_outside(html_dir):
    problems = []
    for css in sorted(html_dir.rglob("*.css")):
        text = css.read_text(encoding="utf-8", errors="replace")
        for a, b in CSS_URL.findall(text):
            p = _check_local(a or b, css.parent, html_dir, str(css.relative_to(html_dir)))
            if p:
                problems.append(p)
    assert not problems, "\n".join(problems)


def test_no_mathjax_or_cdn_scripts(html_dir):
    for page in _pages(html_dir):
        text = page.read_text(encoding="utf-8")
        assert "mathjax" not in text.lower(), page
        assert "cdn.jsdelivr" not in text and "unpkg.com" not in text, page


def _charts(page: Path):
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    return soup, soup.select("div.usrubook-chart")


def _spec(page: Path, soup, div) -> dict:
    """The compiled Vega spec a chart of ``page`` loads (``_charts/<id>.js``), the Data view's texts it names put back."""
    from usrubook.book.figures import read_spec_script
    from usrubook.chapter.dataview import resolve_cells

    tables = [{"rows": [[td.get_text() for td in tr.find_all("td")] for tr in table.tbody.find_all("tr")]}
              for table in soup.select(f"#{div['id']}-data table.usrubook-data-table")]
    return resolve_cells(read_spec_script(page.parent / div["data-spec"]), tables)


def test_trade_page_embeds_its_charts(html_dir):
    soup, charts = _charts(html_dir / "chapters/trade.html")
    assert len(charts) == 3
    scripts = [s["src"] for s in soup.find_all("script", src=True)]
    # drawn at build time; the Vega runtime loads only when a reader reaches for a chart (usrubook-charts.js)
    assert any(s.startswith("../_static/usrubook-charts.js") for s in scripts)
    assert not any("usrubook-vega.js" in s for s in scripts)
    for div in charts:
        assert re.fullmatch(r"vega-[0-9a-f]{12}(-\d+)?", div["id"]), div["id"]
        assert div.get("aria-label") and div["aria-label"] != "Chart"
        assert [svg["class"] for svg in div.find_all("svg", recursive=False)] == [
            ["usrubook-static", "usrubook-static-narrow"], ["usrubook-static", "usrubook-static-wide"]]
        spec = _spec(html_dir / "chapters/trade.html", soup, div)
        # compiled to Vega at build time: the page needs no Vega-Lite compiler; a dark theme travels with it
        assert "marks" in spec and "encoding" not in spec and "$schema" not in spec
        assert spec["usermeta"]["dark"]["config"]["axis"]["labelColor"]
        assert spec.get("autosize", {}).get("type") == "fit-x"     # as wide as its container
        assert spec["description"] == div["aria-label"]
    figures = soup.select("figure")
    assert {f.get("id") for f in figures} >= {"fig-trade-goods-series", "fig-trade-measures"}


def test_pages_without_charts_do_not_load_the_bundle(html_dir):
    text = (html_dir / "references.html").read_text(encoding="utf-8")
    assert "usrubook-vega.js" not in text


def test_chart_tooltips_carry_verbatim_quotes(html_dir, root):
    """An event of the chronology that a seed also tells carries the seed's words, verbatim, in its tooltip."""
    import csv

    soup, charts = _charts(html_dir / "chapters/history.html")
    specs = [json.dumps(_spec(html_dir / "chapters/history.html", soup, d), ensure_ascii=False) for d in charts]
    with open(root / "data/event_sources.csv", encoding="utf-8", newline="") as f:
        quotes = {r["event_id"]: " ".join(r["quote"].split()) for r in csv.DictReader(f)}
    with open(root / "data/chronology.csv", encoding="utf-8", newline="") as f:
        told = [r["seed_event"] for r in csv.DictReader(f) if r["seed_event"] and "1991" <= r["date"] < "2009"]
    assert told and all(any(json.dumps(quotes[e], ensure_ascii=False)[1:-1] in s for s in specs) for e in told)


def test_source_texts_render_every_seed_verbatim(html_dir, root):
    from usrubook.pipeline.seeds import load_seeds

    soup = BeautifulSoup((html_dir / "evidence/source-texts.html").read_text(encoding="utf-8"), "html.parser")
    _, texts = load_seeds(root)
    for source_id, seed in texts.items():
        lines = [line.strip() for line in seed.text.splitlines() if line.strip()]
        for number, line in enumerate(lines, 1):
            para = soup.find(id=f"{source_id}-p{number}")
            assert para is not None, f"{source_id}-p{number}"
            assert para.get_text() == f"¶{number} {line}", (source_id, number)
        assert soup.find(id=f"{source_id}-p{len(lines) + 1}") is None


def test_noise_is_marked_on_the_source_texts(html_dir):
    soup = BeautifulSoup((html_dir / "evidence/source-texts.html").read_text(encoding="utf-8"), "html.parser")
    marked = [s.get_text() for s in soup.select("span.seednoise")]
    assert "Dining Chairs - Wood / Bauhaus / Mid Century / Modern Classic" in marked
    assert "Post a Comment" in marked
    assert not any("Russia traded" in m for m in marked)


def test_every_quote_in_the_data_links_to_its_passage(html_dir, root):
    import csv

    ids = {t["id"] for t in BeautifulSoup((html_dir / "evidence/source-texts.html").read_text(encoding="utf-8"),
                                          "html.parser").find_all(id=True)}
    anchors = set()
    for path in (root / "data").glob("*.csv"):
        with open(path, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                if row.get("anchor"):
                    anchors.add(row["anchor"])
    assert len(anchors) > 100
    assert anchors <= ids, sorted(anchors - ids)[:5]


def test_chart_marks_link_to_their_passages(html_dir):
    soup, charts = _charts(html_dir / "chapters/history.html")
    specs = [_spec(html_dir / "chapters/history.html", soup, d) for d in charts]
    # the page script opens a mark's passage (Vega's own href handling is removed: on touch the quote comes first)
    linked = [s for s in specs if '"passage"' in json.dumps(s) and '"cursor"' in json.dumps(s)]
    assert len(linked) == 3 and not any('"href"' in json.dumps(s) for s in specs)
    assert "../evidence/source-texts.html#seed003-p" in json.dumps(specs)


def test_code_cells_show_no_stray_values(html_dir):
    """A cell that ends with a call returning a value shows it under the code (e.g. 'five seeds'): the glue helpers
    return nothing, and no page shows a bare Python string or number as a cell's output."""
    stray = []
    for page in sorted(html_dir.rglob("*.html")):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for out in soup.select("div.cell_output div.output.text_plain pre"):
            text = out.get_text().strip()
            if re.fullmatch(r"'.*'|\".*\"|-?[\d.,]+|None|True|False", text, re.S):
                stray.append(f"{page.relative_to(html_dir)}: {text[:60]}")
    assert stray == []


def test_theme_stylesheet_keeps_only_rules_the_book_can_use():
    from usrubook.book.cssprune import prune

    css = ("@font-face{font-family:x;src:url(a.woff2)}:root{--a:1}.used{color:red}.unused{color:blue}"
           ".used .gone,.used>a{margin:0}a[href$='.pdf']{x:1}@media (max-width:10px){.unused{a:1}}"
           "@media print{.used{b:2}}@keyframes k{0%{opacity:0}}.show.used{c:3}")
    out = prune(css, {"used", "show"})
    assert out == ("@font-face{font-family:x;src:url(a.woff2)}:root{--a:1}.used{color:red}.used>a{margin:0}"
                   "a[href$='.pdf']{x:1}@media print{.used{b:2}}@keyframes k{0%{opacity:0}}.show.used{c:3}")


def test_words_that_decide_the_stylesheet_are_those_sphinx_writes_not_the_later_search_index(tmp_path):
    """The search index is written after the stylesheet is pruned: on a rebuild it is already there, and its
    words must not change the served stylesheet (a prose edit would then re-print every chapter PDF)."""
    from usrubook.book.cssprune import served_words

    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "a.html").write_text('<p class="used">x</p>', encoding="utf-8")
    before = served_words(tmp_path)
    (tmp_path / "pagefind").mkdir()
    (tmp_path / "pagefind" / "pagefind-ui.js").write_text("deprecated show", encoding="utf-8")
    assert served_words(tmp_path) == before
    assert {"used", "p", "class"} <= before


def test_pruned_stylesheet_remembered_between_builds_follows_every_change(tmp_path):
    """The words of each page are kept between builds until the page changes, and the pruned stylesheet until the
    words or the stylesheet change: a page that starts to use a class gets its rule back at once, and one that
    stops using it loses it; a memo that cannot be read is rebuilt."""
    from usrubook.book.cssprune import prune, prune_served, served_words

    site, memo = tmp_path / "html", tmp_path / "cache" / "cssprune.pickle"
    (site / "chapters").mkdir(parents=True)
    page = site / "chapters" / "a.html"
    css = ".used{color:red}.later{color:blue}"
    page.write_text('<p class="used">x</p>', encoding="utf-8")
    assert prune_served(css, site, memo) == prune(css, served_words(site)) == ".used{color:red}"
    assert prune_served(css, site, memo) == ".used{color:red}"          # from the memo
    page.write_text('<p class="used later">x</p>', encoding="utf-8")
    assert prune_served(css, site, memo) == css
    assert prune_served(css + ".used b{x:1}", site, memo) == css + ".used b{x:1}"
    page.write_text('<p class="used">y</p>', encoding="utf-8")
    assert prune_served(css, site, memo) == ".used{color:red}"
    memo.write_bytes(b"not a pickle")
    assert prune_served(css, site, memo) == ".used{color:red}"


def test_served_theme_stylesheet_is_pruned_but_complete_for_the_pages(html_dir):
    from usrubook.book.cssprune import _classes, _items, _selectors, served_words
    from usrubook.book.html import theme_css_without_fontawesome

    served = (html_dir / "_static" / "styles" / "pydata-sphinx-theme.css").read_text(encoding="utf-8")
    full = theme_css_without_fontawesome()
    assert len(served) < 0.6 * len(full), (len(served), len(full))
    words = served_words(html_dir)

    def rules(css):
        for prelude, block in _items(css):
            if block is not None and prelude.startswith("@media"):
                yield from rules(block)
            elif block is not None and not prelude.startswith("@"):
                yield from _selectors(prelude)
    kept = set(rules(served))
    # every selector of the full sheet whose classes all occur in the book is still served
    missing = [s for s in rules(full) if all(c in words for c in _classes(s)) and s not in kept]
    assert not missing, missing[:10]


def test_no_page_stops_its_parser_for_a_script_file(html_dir):
    """Every script file a page loads runs deferred (or async), in the order listed: the parser never waits to
    fetch and run one, so the text and the charts drawn into it appear sooner (issue 19)."""
    blocking = []
    for page in _pages(html_dir):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for tag in soup.find_all("script", src=True):
            if not ({"defer", "async"} & set(tag.attrs) or tag.get("type") == "module"):
                blocking.append(f"{page.relative_to(html_dir)}: {tag['src']}")
    assert not blocking, blocking[:10]


def test_deferred_changes_script_files_only():
    from sphinx.builders.html._assets import _CascadingStyleSheet, _JavaScript

    from usrubook.book.html import deferred

    plain = deferred(_JavaScript("a.js", priority=200, id="x"))
    assert plain.attributes == {"id": "x", "defer": "defer"} and plain.priority == 200 and plain.filename == "a.js"
    for same in (_JavaScript("b.js", **{"async": "async"}), _JavaScript("c.js", defer="defer"),
                 _JavaScript("d.js", type="module"), _JavaScript("", body="var x = 1;"),
                 _CascadingStyleSheet("e.css")):
        assert deferred(same) is same


def test_pages_carry_no_live_code_configuration(html_dir):
    """The book has no live code (thebe: false): no page carries sphinx-thebe's configuration, which names a
    Binder repository of someone else's examples, or its kernel-name script (usrubook.book.html)."""
    found = [f"{page.relative_to(html_dir)}: {marker}" for page in _pages(html_dir)
             for marker in ("text/x-thebe-config", "kernelName", "binder-examples")
             if marker in page.read_text(encoding="utf-8")]
    assert not found, "\n".join(found)


def test_no_stylesheet_waits_for_another(html_dir, tmp_path):
    """Every stylesheet a page needs is named in the page itself: none @imports another (a page would wait for
    the first to arrive before asking for the second). The theme's theme.css, an @import of basic.css, is served
    as basic.css's rules, with their addresses made relative to its folder; a theme.css that changed otherwise
    stops the build."""
    import shutil

    import pytest
    from sphinx.errors import SphinxError

    from usrubook.book.html import inline_basic_css

    static = html_dir / "_static"
    for css in static.rglob("*.css"):
        assert "@import" not in css.read_text(encoding="utf-8"), css
    basic = (static / "basic.css").read_text(encoding="utf-8")
    assert (static / "styles" / "theme.css").read_text(encoding="utf-8") == basic.replace("url(file.png)",
                                                                                         "url(../file.png)")
    (tmp_path / "styles").mkdir()
    shutil.copy(static / "basic.css", tmp_path / "basic.css")
    (tmp_path / "styles" / "theme.css").write_text('@import "../basic.css";\n.extra{color:red}', encoding="utf-8")
    with pytest.raises(SphinxError, match="no longer only an @import of basic.css"):
        inline_basic_css(tmp_path)
