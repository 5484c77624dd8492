"""Accessibility: axe-core (pinned in package-lock.json, installed by `make`) injected into Debian's headless Chromium.

Every page of the book (see ``conftest.book_pages``), at 390 and 1280 px, with the reader's system set to light
and to dark (the book follows it: the theme's default mode is "auto"), after every chart has drawn: no critical
and no serious violation. Each page is opened once per width and scanned in both modes, the system's setting
switched in between (``scanned``). In the second mode axe-core runs only its colour rules when the page's markup
and every element's rendering (shown or hidden, its box, its scrolling) are what they were in the first, before
and after that scan: its other rules read nothing else, so their findings are the first mode's. axe-core does not check the text of SVG drawings, so every text of every chart (axis
and legend labels, titles, text marks) is checked here too: WCAG AA contrast (4.5:1) against the background it
is actually drawn on. The passage that every evidence link lands on (a ``:target`` paragraph of the source
texts) is scanned too, in both modes, since a plain page load never highlights one. A failure names the page,
the width, the mode, the rule and the offending elements.
"""
from __future__ import annotations

import json

import pytest

from conftest import ROOT, SETTLE, UNCONTAINED, book_pages, open_page

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
MODES = ("light", "dark")
WIDTHS = (390, 1280)
CHART_PAGES = ["chapters/history.html", "chapters/current-state.html", "chapters/europe-asia.html",
               "chapters/trade.html", "chapters/outlook.html", "evidence/sources.html", "evidence/methods.html"]
FAILING_IMPACTS = ("critical", "serious")


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(f"{AXE.relative_to(ROOT)} is missing: run `make node` (npm ci; `make test` does it).")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def contexts(browser):
    """One browser context per system colour scheme and width, made on first use and shared by the module's tests.
    Nothing tells the theme a mode: it follows the system's setting."""
    made = {}

    def get(mode, width=1280):
        if (mode, width) not in made:
            made[(mode, width)] = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=mode)
        return made[(mode, width)]

    yield get
    for ctx in made.values():
        ctx.close()


# Resolves when every finite animation and transition of the page has ended (or was cancelled), or after 2 s.
SETTLED = """() => Promise.race([
  Promise.all(document.getAnimations()
    .filter(a => Number.isFinite(a.effect ? a.effect.getComputedTiming().endTime : Infinity))
    .map(a => a.finished.catch(() => null))),
  new Promise(r => setTimeout(r, 2000))])"""


# The rules whose findings can depend on the colours a mode gives. Every other rule of axe-core reads the document's
# markup, its ARIA and what is rendered where: its findings are the same in both modes when those are (RENDERED).
COLOUR_RULES = ("color-contrast", "link-in-text-block")
# A digest of the whole markup (<html>'s attributes but the two that name the mode, <head>, <body>) and of every
# element's rendering: shown or not, its box in the page, whether and how far it scrolls.
RENDERED = """() => {
  const root = document.documentElement;
  const parts = [[...root.attributes].filter(a => a.name !== 'data-mode' && a.name !== 'data-theme')
                   .map(a => a.name + '=' + a.value).join(' '), document.head.outerHTML, document.body.outerHTML];
  for (const e of document.body.querySelectorAll('*')) {
    const r = e.getBoundingClientRect(), cs = getComputedStyle(e);
    parts.push((e.checkVisibility({visibilityProperty: true, opacityProperty: true}) ? 'v' : 'h') + cs.overflowX +
      cs.overflowY + [r.x + scrollX, r.y + scrollY, r.width, r.height, e.scrollWidth, e.scrollHeight].map(Math.round).join(','));
  }
  const s = parts.join('|');
  let a = 0x811c9dc5, b = 0;
  for (let i = 0; i < s.length; i++) { const c = s.charCodeAt(i); a = Math.imul(a ^ c, 16777619); b = (Math.imul(b, 31) + c) | 0; }
  return s.length + ':' + (a >>> 0).toString(16) + ':' + (b >>> 0).toString(16);
}"""


def _scan(page, path: str, axe_source: str, rules=None) -> dict:
    """The page's mode and theme as it shows them, axe-core's violations (of ``rules``, or of all its default
    rules), and (on a chart page) its chart texts."""
    texts = None
    if path in CHART_PAGES:
        page.wait_for_function("[...document.querySelectorAll('div.usrubook-chart')].every("
                               "c => c.classList.contains('usrubook-drawn'))", timeout=20000)
        texts = page.evaluate(CHART_TEXT_CONTRAST)
    return {"theme": page.evaluate("[document.documentElement.dataset.mode, document.documentElement.dataset.theme]"),
            "violations": run_axe(page, axe_source, rules=rules), "chart_texts": texts}


@pytest.fixture(scope="module")
def scanned(contexts, server, axe_source):
    """What axe-core and the chart-text check find on a page at a width, in each mode, from one visit: the page
    is opened with the system set to one mode and scanned, then the system is switched to the other (the theme
    follows it at once, as a reader's does) and the page is scanned again. At 390 px the page opens in light
    mode, at 1280 px in dark, so that every page is also scanned as it first draws in each mode. Made on first
    use, shared by the tests of a page and width; each test reports one mode."""
    found = {}

    def get(path: str, width: int) -> dict:
        if (path, width) in found:
            return found[(path, width)]
        first, second = MODES if WIDTHS.index(width) % 2 == 0 else MODES[::-1]
        page = open_page(contexts(first, width), f"{server}/{path}")
        # every section laid out, as each is once on screen: axe-core reads the box of every element, and an
        # element of a section not yet laid out (usrubook.css, "long pages") reports a box that overlaps what
        # follows the section, as it is never drawn
        page.add_style_tag(content=UNCONTAINED)
        page.evaluate(SETTLE)
        try:
            result = {first: _scan(page, path, axe_source)}
            rendered = page.evaluate(RENDERED)
            page.emulate_media(color_scheme=second)
            page.wait_for_function(f"document.documentElement.dataset.theme === {json.dumps(second)}")
            page.evaluate(SETTLED)      # colours that change with a transition (the search button's) have ended
            # the same markup, every element shown or hidden as before, in the same box and scrolling alike (before
            # the scan and after it): only the colour rules can find anything new; the others' findings are the
            # first mode's. Otherwise every rule runs again.
            colour = _scan(page, path, axe_source, rules=COLOUR_RULES) if page.evaluate(RENDERED) == rendered else None
            if colour is not None and page.evaluate(RENDERED) == rendered:
                colour["violations"] += [v for v in result[first]["violations"] if v["id"] not in COLOUR_RULES]
                result[second] = colour
            else:
                result[second] = _scan(page, path, axe_source)
        finally:
            page.close()
        found[(path, width)] = result
        return result

    return get


def run_axe(page, axe_source: str, context: str = "document", rules=None) -> list[dict]:
    """axe-core's violations on ``page`` (of ``rules``, or of all axe's default rules), each with its nodes'
    selectors."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source)
    only = f", runOnly: {{type: 'rule', values: {json.dumps(list(rules))}}}" if rules else ""
    return page.evaluate(f"""async () => {{
        const r = await axe.run({context}, {{resultTypes: ['violations']{only}}});
        return r.violations.map(v => ({{id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => ({{target: n.target.join(' '), html: n.html.slice(0, 160),
                                     why: (n.any[0] || n.all[0] || n.none[0] || {{}}).message || ''}}))}}));
    }}""")


def report(where: str, violations: list[dict]) -> str:
    bad = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    lines = [f"{where}: {sum(len(v['nodes']) for v in bad)} critical or serious axe-core violation(s)"]
    for v in bad:
        lines.append(f"  {v['id']} [{v['impact']}] {v['help']} ({len(v['nodes'])} element(s)):")
        for n in v["nodes"][:8]:
            lines.append(f"    {n['target']}  -- {n['why'][:200]}")
        if len(v["nodes"]) > 8:
            lines.append(f"    ... and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", book_pages())
def test_no_serious_violations(path, width, mode, scanned):
    found = scanned(path, width)[mode]
    assert found["theme"] == ["auto", mode]       # the page follows the system's setting
    violations = found["violations"]
    if any(v["impact"] in FAILING_IMPACTS for v in violations):
        pytest.fail(report(f"{path} at {width} px ({mode} mode)", violations), pytrace=False)


# Every text of the page's charts with its colour, the colour behind it and their contrast ratio (WCAG 2 relative
# luminance). The colour behind a chart is the page's: the backgrounds of the chart's ancestors, composited.
CHART_TEXT_CONTRAST = """() => {
  const parse = c => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const over = (top, under) => [0, 1, 2].map(i => top[i] * top[3] + under[i] * (1 - top[3])).concat([1]);
  const lum = c => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const out = [];
  for (const chart of document.querySelectorAll('div.usrubook-chart')) {
    const chain = []; for (let e = chart; e; e = e.parentElement) chain.unshift(e);
    let bg = [255, 255, 255, 1];
    for (const e of chain) { const c = parse(getComputedStyle(e).backgroundColor); if (c && c[3] > 0) bg = over(c, bg); }
    const fig = chart.closest('figure');
    for (const t of chart.querySelectorAll('svg text')) {
      if (!t.textContent.trim()) continue;
      const cs = getComputedStyle(t);
      let alpha = Number(cs.fillOpacity);
      for (let e = t; e && e !== chart; e = e.parentElement) alpha *= Number(getComputedStyle(e).opacity);
      if (alpha === 0) continue;   // a label the axis hides to avoid overlaps (transparent)
      const fill = parse(cs.fill);
      if (!fill) { out.push({figure: fig ? fig.id : chart.id, text: t.textContent, fill: cs.fill, ratio: 0}); continue; }
      const drawn = over([fill[0], fill[1], fill[2], fill[3] * alpha], bg);
      const g = t.closest('g[class*="role-"]');
      out.push({figure: fig ? fig.id : chart.id, role: g ? [...g.classList].find(k => k.startsWith('role-')) : '',
                text: t.textContent.trim().slice(0, 50), fill: cs.fill, background: 'rgb(' + bg.slice(0, 3).map(Math.round).join(', ') + ')',
                size: parseFloat(cs.fontSize), ratio: Math.round(ratio(drawn, bg) * 100) / 100});
    }
  }
  return out;
}"""


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", CHART_PAGES)
def test_chart_labels_have_aa_contrast(path, width, mode, scanned):
    """Every text drawn in a chart has at least 4.5:1 contrast with the background it is drawn on (they are all
    small text), in the light and the dark mode the system asks for."""
    found = scanned(path, width)[mode]
    assert found["theme"][1] == mode
    texts = found["chart_texts"]
    assert texts, f"{path}: no chart text found"
    low = [t for t in texts if t["ratio"] < 4.5]
    assert not low, f"{path} at {width} px ({mode} mode): {len(low)} chart text(s) below 4.5:1:\n  " + "\n  ".join(
        f"#{t['figure']} {t.get('role', '')} \"{t['text']}\": {t['fill']} on {t.get('background')}, {t['ratio']}:1"
        for t in low)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", ["text", "noise"])
def test_highlighted_passage_is_readable(kind, mode, contexts, server, axe_source):
    """The paragraph an evidence link lands on is highlighted (its background differs from the page's) and
    every text in it, the struck-through noise included, passes axe's contrast check."""
    page = open_page(contexts(mode), f"{server}/evidence/source-texts.html")
    try:
        anchor = page.evaluate(f"""() => [...document.querySelectorAll('p.seedpara[id]')].find(p =>
            '{kind}' === 'noise' ? p.querySelector('.seednoise') :
            !p.querySelector('.seednoise') && p.textContent.trim().length > 40).id""")
        assert anchor, f"no {kind} paragraph on the source-texts page"
        page.evaluate(f"location.hash = {json.dumps('#' + anchor)}")
        page.wait_for_function(f"document.querySelector(':target') && document.querySelector(':target').id === "
                               f"{json.dumps(anchor)}")
        colours = page.evaluate("""() => {
            const bg = e => getComputedStyle(e).backgroundColor;
            return [bg(document.querySelector(':target')), bg(document.body)]; }""")
        assert colours[0] not in (colours[1], "rgba(0, 0, 0, 0)"), f"#{anchor} ({mode}) is not highlighted: {colours}"
        violations = run_axe(page, axe_source, context=json.dumps("#" + anchor))
    finally:
        page.close()
    if any(v["impact"] in FAILING_IMPACTS for v in violations):
        pytest.fail(report(f"evidence/source-texts.html#{anchor}, highlighted ({mode} mode)", violations), pytrace=False)


def test_every_page_is_tested(html_dir):
    """The pages above are all the HTML pages of the build (index.html is the redirect to intro.html)."""
    built = {p.relative_to(html_dir).as_posix() for p in html_dir.rglob("*.html")
             if not p.relative_to(html_dir).parts[0].startswith("_")}
    assert built - {"index.html"} == set(book_pages())
    assert "http-equiv=\"Refresh\"" in (html_dir / "index.html").read_text(encoding="utf-8")
