"""Layout in a real browser: every page at 390, 768, 1280 and 1920 px, on screen and in print.

* No page scrolls sideways. A table wider than the column scrolls inside its own box, which shows a cue:
  a shadow at the edge where more of the table is hidden (gradients in backgrounds that scroll with the
  content, as usrubook.css draws them for the theme's table wrapper).
* No chart's drawing (``div.usrubook-chart svg``) is wider than its container, and no chart label is cut short
  (an ellipsis, text clipped at the chart's edge, or a text mark over another text).
* Long tables keep their header row in view while their rows scroll (390 px), and a chapter opens with its
  text: its first screen shows the title and the key points, no code toggle above them.
* The theme's icons are drawn (CSS masks, no Font Awesome), and no page loads Font Awesome or any web font.
* Printed, a page shows the article alone: no code toggles, navigation or header buttons; charts fit the page.
"""
from __future__ import annotations

import pytest

from conftest import SETTLE, UNCONTAINED, WIDTHS, book_pages, open_page

CHART_PAGES = ["chapters/history.html", "chapters/current-state.html", "chapters/europe-asia.html",
               "chapters/trade.html", "chapters/outlook.html", "evidence/sources.html", "evidence/methods.html"]

# Chart labels that lose their meaning: text Vega shortened with an ellipsis (a label longer than its limit), text
# drawn past the edge of the chart's box, its drawing or the window (clipped), and text marks that overlap
# another text of the chart. Each with its figure, its role (axis-label, legend-label, title-text, mark, ...).
CUT_LABELS = """function cutLabels() {
  const out = [];
  for (const chart of document.querySelectorAll('div.usrubook-chart')) {
    const fig = chart.closest('figure');
    const where = fig && fig.id ? '#' + fig.id : '#' + chart.id;
    // the drawing shown: Vega's, or the one of the two made at build time that fits the column
    const svg = [...chart.querySelectorAll('svg')].find(s => s.getClientRects().length > 0);
    if (!svg) continue;
    const c = chart.getBoundingClientRect(), s = svg.getBoundingClientRect();
    const left = Math.max(c.left, s.left, 0), right = Math.min(c.left + chart.clientWidth, s.right, window.innerWidth);
    const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim()).map(t => {
      const g = t.closest('g[class*="role-"]');
      const role = g ? ([...g.classList].find(k => k.startsWith('role-')) || 'role-text').slice(5) : 'text';
      return {t, role, b: t.getBoundingClientRect(), text: [...t.querySelectorAll('tspan')].map(x => x.textContent).join(' ') || t.textContent};
    });
    for (const {role, b, text} of texts) {
      const why = [];
      if (text.includes('\u2026')) why.push('shortened with an ellipsis');
      if (b.left < left - 1 || b.right > right + 1)
        why.push(`clipped at the ${b.left < left - 1 ? 'left' : 'right'} (${Math.round(Math.max(left - b.left, b.right - right))} px)`);
      if (b.top < s.top - 1 || b.bottom > s.bottom + 1) why.push('clipped at the top or bottom');
      if (why.length) out.push({figure: where, role, text, why: why.join(', ')});
    }
    // texts that cover each other (labels an axis hides to avoid overlaps are drawn transparent: not counted)
    const seen = texts.filter(x => {
      for (let e = x.t; e && e !== svg; e = e.parentElement) if (Number(getComputedStyle(e).opacity) === 0) return false;
      return true; });
    for (let i = 0; i < seen.length; i++) for (let j = i + 1; j < seen.length; j++) {
      const a = seen[i].b, b = seen[j].b;
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left), h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 2 && h > 2) out.push({figure: where, role: seen[i].role, text: seen[i].text,
                                    why: `overlaps "${seen[j].text}" (${seen[j].role})`});
    }
  }
  return out;
}"""

MEASURE = """() => {
  """ + CUT_LABELS + """
  const root = document.documentElement;
  const article = document.querySelector('article.bd-article') || document.body;
  const box = e => e.getBoundingClientRect();
  const name = e => { const f = e.closest('figure'); return f && f.id ? '#' + f.id : (e.id ? '#' + e.id : e.tagName); };
  const charts = [...document.querySelectorAll('div.usrubook-chart')].map(c => {
    const parent = c.parentElement, p = box(parent), a = box(article);
    const right = Math.min(p.right - parseFloat(getComputedStyle(parent).paddingRight), a.right);
    const left = Math.max(p.left + parseFloat(getComputedStyle(parent).paddingLeft), a.left);
    return {chart: name(c), container: Math.round(right - left),
            svgs: [...c.querySelectorAll('svg')].filter(s => box(s).width > 0).map(s => ({
              cls: s.getAttribute('class') || 'svg', width: Math.round(box(s).width),
              over: Math.max(0, Math.round(box(s).right - right), Math.round(left - box(s).left))}))};
  });
  const tables = [...article.querySelectorAll('table')].map((t, i) => {
    // the nearest ancestor that clips or scrolls the table sideways
    let s = t.parentElement;
    while (s && s !== article && !['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(s).overflowX)) s = s.parentElement;
    const cs = s ? getComputedStyle(s) : null;
    const caption = t.closest('table') && t.querySelector('caption');
    return {table: t.id || (caption ? caption.textContent.trim().slice(0, 40) : 'table ' + (i + 1)),
            width: Math.round(t.scrollWidth), column: Math.round(box(article).width),
            box: s ? (s.className || s.tagName) : null, boxWidth: s ? s.clientWidth : null,
            overflowX: cs ? cs.overflowX : null, background: cs ? cs.backgroundImage : '',
            attachment: cs ? cs.backgroundAttachment : ''};
  });
  return {scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, charts, tables, labels: cutLabels()};
}"""




@pytest.fixture(scope="module")
def measured(browser, server):
    """Measurements of (width, page), each page opened once per width (layout settled): as it arrives, its charts
    drawn at build time; then, on a page with charts, once more after a pointer has made each chart live (Vega's
    drawing at the column's real width), its charts and labels added, marked "(live)"."""
    contexts, cache = {}, {}

    def get(width: int, path: str) -> dict:
        if (width, path) not in cache:
            if width not in contexts:
                contexts[width] = browser.new_context(viewport={"width": width, "height": 900})
            page = open_page(contexts[width], f"{server}/{path}")
            # every section laid out, as it is once scrolled into view: overflow that the sections' paint
            # containment would clip unseen shows as the document's (test_sections_are_drawn_as_they_come_into_view)
            page.add_style_tag(content=UNCONTAINED)
            page.evaluate(SETTLE)
            m = page.evaluate(MEASURE)
            if page.locator("div.usrubook-chart").count():
                # a mouse pointer entering a chart makes it live (usrubook-charts.js): sent to every chart at once
                # (the pointer itself, hover and tap, is tested in test_browser.py)
                page.evaluate("() => document.querySelectorAll('div.usrubook-chart').forEach(c => "
                              "c.dispatchEvent(new PointerEvent('pointerenter', {pointerType: 'mouse'})))")
                page.wait_for_function("[...document.querySelectorAll('div.usrubook-chart')].every("
                                       "c => c.classList.contains('usrubook-live'))", timeout=20000)
                page.evaluate(SETTLE)
                live = page.evaluate(MEASURE)
                m["charts"] += [{**c, "chart": c["chart"] + " (live)"} for c in live["charts"]]
                m["labels"] += [{**c, "figure": c["figure"] + " (live)"} for c in live["labels"]]
                m["scrollWidth"] = max(m["scrollWidth"], live["scrollWidth"])
            cache[(width, path)] = m
            page.close()
        return cache[(width, path)]

    yield get
    for ctx in contexts.values():
        ctx.close()


@pytest.mark.parametrize("path", book_pages())
@pytest.mark.parametrize("width", WIDTHS)
def test_page_does_not_scroll_sideways(width, path, measured):
    m = measured(width, path)
    wide = [f"{t['table']} ({t['width']} px)" for t in m["tables"] if t["width"] > m["clientWidth"]]
    assert m["scrollWidth"] <= m["clientWidth"], (
        f"{path} at {width} px scrolls sideways: the document is {m['scrollWidth']} px wide in a "
        f"{m['clientWidth']} px window" + (f"; wide tables: {', '.join(wide)}" if wide else ""))


@pytest.mark.parametrize("path", book_pages())
@pytest.mark.parametrize("width", WIDTHS)
def test_wide_tables_scroll_in_their_own_box_with_a_cue(width, path, measured):
    bad = []
    for t in measured(width, path)["tables"]:
        if t["width"] <= t["column"]:
            continue
        where = f"{t['table']} ({t['width']} px in a {t['column']} px column)"
        if t["box"] is None or t["overflowX"] not in ("auto", "scroll"):
            bad.append(f"{where}: no box of its own that scrolls (nearest clipping box: {t['box']}, "
                       f"overflow-x {t['overflowX']})")
        elif not ("gradient" in t["background"] and "local" in t["attachment"]):
            bad.append(f"{where}: its box {t['box']} scrolls but shows no cue (background {t['background'][:60]}, "
                       f"attachment {t['attachment']})")
    assert not bad, f"{path} at {width} px:\n  " + "\n  ".join(bad)


@pytest.mark.parametrize("path", CHART_PAGES)
@pytest.mark.parametrize("width", WIDTHS)
def test_charts_fit_their_container(width, path, measured):
    m = measured(width, path)
    assert m["charts"], f"{path} has no chart"
    bad = [f"{c['chart']}: <svg class=\"{s['cls']}\"> ({s['width']} px wide) reaches {s['over']} px beyond its "
           f"{c['container']} px container" for c in m["charts"] for s in c["svgs"] if s["over"] > 1]
    assert not [c for c in m["charts"] if not c["svgs"]], f"{path} at {width} px: a chart drew nothing"
    assert not bad, f"{path} at {width} px:\n  " + "\n  ".join(bad)


@pytest.mark.parametrize("path", CHART_PAGES)
@pytest.mark.parametrize("width", WIDTHS)
def test_no_chart_label_is_cut_short(width, path, measured):
    """Every axis label, legend label, title and text mark of every chart is drawn whole: long labels wrap onto
    several lines instead of ending in an ellipsis, nothing is drawn past the chart's edge, and no text mark
    covers another text."""
    cut = measured(width, path)["labels"]
    assert not cut, f"{path} at {width} px: {len(cut)} chart label(s) cut short:\n  " + "\n  ".join(
        f"{c['figure']} {c['role']} \"{c['text']}\": {c['why']}" for c in cut)


def test_chart_pages_are_all_the_pages_with_charts(html_dir):
    with_charts = {p for p in book_pages() if 'class="usrubook-chart"' in (html_dir / p).read_text(encoding="utf-8")}
    assert with_charts == set(CHART_PAGES)


ICONS = """() => [...document.querySelectorAll('.fa-solid, .fas, .fa-regular, .far')]
  .filter(e => e.getClientRects().length && getComputedStyle(e).display !== 'none')
  .map(e => { const s = getComputedStyle(e, '::before');
              const mask = s.maskImage && s.maskImage !== 'none' ? s.maskImage : s.webkitMaskImage;
              return {icon: [...e.classList].filter(c => c.startsWith('fa-')).join(' '),
                      mask: (mask || 'none').slice(0, 40), w: parseFloat(s.width), h: parseFloat(s.height),
                      bg: s.backgroundColor}; })"""


@pytest.mark.parametrize("width", [390, 1280])
def test_theme_icons_are_drawn_without_an_icon_font(width, browser, server):
    """Every visible theme icon is a CSS mask of a drawing, painted in a visible colour; no page loads
    Font Awesome (script or font) or any other web font."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    fonts = []
    context.on("request", lambda r: fonts.append(r.url) if ("fontawesome" in r.url or r.resource_type == "font") else None)
    seen = set()
    try:
        for path in ("intro.html", "chapters/trade.html", "references.html", "search.html"):
            page = open_page(context, f"{server}/{path}")
            icons = page.evaluate(ICONS)
            page.close()
            assert icons, f"{path} at {width} px shows no theme icon"
            for i in icons:
                assert i["mask"].startswith('url("data:image/svg+xml'), f"{path}: icon {i['icon']} is not drawn: {i}"
                assert i["w"] >= 10 and i["h"] >= 10 and i["bg"] not in ("rgba(0, 0, 0, 0)", "transparent"), \
                    f"{path}: icon {i['icon']} is invisible: {i}"
                seen.add(i["icon"])
    finally:
        context.close()
    assert fonts == [], f"pages loaded fonts or Font Awesome: {fonts}"
    expected = {"fa-bars", "fa-magnifying-glass", "fa-download", "fa-expand"} | (
        {"fa-list"} if width >= 1200 else set())
    assert expected <= {c for icon in seen for c in icon.split()}, seen


PRINT = """() => {
  const shown = sel => [...document.querySelectorAll(sel)].filter(e => e.getClientRects().length > 0).length;
  const article = document.querySelector('article.bd-article');
  const svgs = [...document.querySelectorAll('div.usrubook-chart > svg')].map(s => Math.round(s.getBoundingClientRect().width)).filter(w => w > 0);
  const link = document.querySelector('article.bd-article p a.reference');
  return {toggles: shown('details.hide, .cell_input, button'), nav: shown('.bd-header, .bd-sidebar-primary, .bd-sidebar-secondary, .prev-next-footer, #pst-back-to-top'),
          page: Math.round(document.documentElement.clientWidth), article: Math.round(article.getBoundingClientRect().width),
          svgs, link: link ? getComputedStyle(link).color : null};
}"""


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_print_shows_the_article_alone_with_charts_within_the_page(mode, browser, server):
    from conftest import set_mode

    context = browser.new_context(viewport={"width": 700, "height": 1000})   # about an A4 page at 96 dpi
    set_mode(context, mode)
    try:
        page = open_page(context, f"{server}/evidence/sources.html")   # the widest chart of the book
        page.emulate_media(media="print")
        m = page.evaluate(PRINT)
        page.close()
    finally:
        context.close()
    assert m["toggles"] == 0, f"print shows {m['toggles']} code toggles, hidden code or buttons"
    assert m["nav"] == 0, f"print shows {m['nav']} navigation elements"
    assert m["svgs"] and max(m["svgs"]) <= m["article"] <= m["page"], m
    assert m["link"] == "rgb(0, 0, 0)", f"links print in {m['link']}"


CHAPTERS = [p for p in book_pages() if p.startswith(("chapters/", "evidence/"))]

FIRST_SCREEN = """() => {
  const article = document.querySelector('article.bd-article');
  const shown = e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
  const h1 = article.querySelector('h1');
  // the first text of the page: a paragraph (not the re-run line), a list or an admonition that is not a toggle
  const prose = [...article.querySelectorAll('section > p, section > ul, section > ol, section > .admonition, section > blockquote')]
    .find(e => shown(e) && !e.matches('.usrubook-rerun, details, .hide') && !e.closest('details, .cell'));
  const toggles = [...article.querySelectorAll('details.hide')].filter(shown).map(d => ({
    top: Math.round(d.getBoundingClientRect().top), text: d.querySelector('summary').textContent.trim().split('\\n')[0]}));
  const box = e => e ? {top: Math.round(e.getBoundingClientRect().top), bottom: Math.round(e.getBoundingClientRect().bottom),
                         text: e.textContent.trim().slice(0, 60)} : null;
  return {screen: window.innerHeight, h1: box(h1), prose: box(prose), toggles};
}"""


@pytest.mark.parametrize("path", CHAPTERS)
def test_chapter_opens_with_its_text(path, browser, server):
    """At 390 px the first screen of a chapter (or evidence page) shows its title and its text, and no "Show code
    cell" toggle comes before its first text."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = open_page(context, f"{server}/{path}")
        m = page.evaluate(FIRST_SCREEN)
        page.close()
    finally:
        context.close()
    assert m["h1"] and 0 <= m["h1"]["top"] < m["screen"], f"{path}: the title is not on the first screen: {m}"
    assert m["prose"], f"{path}: no text found in the article"
    assert m["prose"]["top"] < m["screen"] - 80, (
        f"{path}: the first text (\"{m['prose']['text']}\") starts at {m['prose']['top']} px, below the first "
        f"screen ({m['screen']} px)")
    above = [t for t in m["toggles"] if t["top"] < m["prose"]["top"]]
    assert not above, f"{path}: {len(above)} code toggle(s) above the first text: {above}"


STICKY = """async () => {
  const out = [];
  const boxes = [...document.querySelectorAll('article .pst-scrollable-table-container, article .usrubook-table-scroll')]
    .filter(b => b.getClientRects().length && !b.closest('details:not([open])') && b.querySelector('thead th'));
  for (const box of boxes) {
    const table = box.querySelector('table');
    const name = table.id || (table.caption ? table.caption.textContent.trim().slice(0, 40) : 'a table');
    const th = box.querySelector('thead th');
    // the box's top just below the theme's header bar, which stays at the top of the window (scrolled there as
    // a reader does, so that its section is laid out before the box is measured: usrubook.css, "long pages")
    box.scrollIntoView({block: 'start'});
    window.scrollBy(0, -120);
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    const tall = box.scrollHeight > box.clientHeight + 1;
    const fitsScreen = box.getBoundingClientRect().height <= window.innerHeight;
    if (!tall) { out.push({name, tall, fitsScreen}); continue; }
    box.scrollTop = Math.floor((box.scrollHeight - box.clientHeight) / 2);
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    const b = box.getBoundingClientRect(), h = th.getBoundingClientRect();
    const under = document.elementFromPoint(h.left + 4, h.top + h.height / 2);
    out.push({name, tall, fitsScreen, offset: Math.round(h.top - b.top), covered: !(under && th.contains(under)),
              opaque: getComputedStyle(th).backgroundColor});
  }
  return out;
}"""


@pytest.mark.parametrize("path", ["evidence/methods.html", "evidence/verification.html", "evidence/sources.html"])
def test_long_tables_keep_their_header_in_view(path, browser, server):
    """At 390 px a table taller than the screen scrolls inside a box no taller than the screen, and its header
    row stays at the top of that box, opaque, while the rows scroll under it."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = open_page(context, f"{server}/{path}")
        tables = page.evaluate(STICKY)
        page.close()
    finally:
        context.close()
    assert tables, f"{path}: no table with a header row"
    bad = [t for t in tables if not t["fitsScreen"] or (t["tall"] and (
        abs(t["offset"]) > 3 or t["covered"] or t["opaque"] in ("rgba(0, 0, 0, 0)", "transparent")))]
    assert not bad, f"{path} at 390 px: tables whose header scrolls away or whose box is taller than the screen: {bad}"
    assert any(t["tall"] for t in tables), f"{path}: no table is taller than its box (nothing to test): {tables}"


# A heading deep in the History chapter, its last paragraph, and what a reader's browser knows about them.
DEEP = """([id]) => {
  const section = document.getElementById(id), heading = section.querySelector('h3, h2');
  // the chapter's own text (not the references printed after it, which show only in print)
  const last = [...document.querySelector('article.bd-article > section').querySelectorAll('section > p')].pop();
  const skipped = e => !e.checkVisibility({contentVisibilityAuto: true});
  return {headingTop: Math.round(heading.getBoundingClientRect().top), screen: window.innerHeight,
          lastSkipped: skipped(last), headingSkipped: skipped(heading),
          sections: document.querySelectorAll('article.bd-article section > section').length,
          auto: [...document.querySelectorAll('article.bd-article section > section')]
            .filter(s => getComputedStyle(s).contentVisibility === 'auto').length};
}"""


def test_sections_are_drawn_as_they_come_into_view(browser, server):
    """On screen a long chapter lays out and paints only what is near the viewport (usrubook.css, "long pages"):
    at load on a phone its last paragraph is skipped; a link to a section deep in the page shows that section's
    heading at the top of the screen; scrolled into view, the last paragraph is drawn. In print every section is
    laid out (the chapter PDFs are printed from these pages)."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = open_page(context, f"{server}/chapters/history.html")
        first = page.evaluate(DEEP, ["the-collapse-of-arms-control"])
        page.goto(f"{server}/chapters/history.html#the-collapse-of-arms-control", wait_until="load")
        page.evaluate(SETTLE)
        linked = page.evaluate(DEEP, ["the-collapse-of-arms-control"])
        page.evaluate("() => [...document.querySelector('article.bd-article > section').querySelectorAll('section > p')]"
                      ".pop().scrollIntoView()")
        page.evaluate(SETTLE)
        scrolled = page.evaluate(DEEP, ["the-collapse-of-arms-control"])
        page.emulate_media(media="print")
        printed = page.evaluate(DEEP, ["the-collapse-of-arms-control"])
        page.close()
    finally:
        context.close()
    assert first["sections"] and first["auto"] == first["sections"], f"sections drawn as they come into view: {first}"
    assert first["lastSkipped"], f"at load the last paragraph of History is already laid out: {first}"
    assert not linked["headingSkipped"] and 0 <= linked["headingTop"] < linked["screen"] // 3, (
        f"a link to #the-collapse-of-arms-control does not show its heading at the top of the screen: {linked}")
    assert not scrolled["lastSkipped"], f"scrolled into view, the last paragraph is not drawn: {scrolled}"
    assert printed["auto"] == 0 and not printed["lastSkipped"], f"in print, sections are still skipped: {printed}"
