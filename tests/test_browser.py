"""A real browser, offline: every chart arrives drawn at build time; pointed at or tapped, Vega draws it live, with
tooltips and the touch card; and nothing leaves 127.0.0.1."""
from urllib.parse import urlsplit

import pytest

from conftest import CHARTS_DRAWN, scroll_to

# The server (the built book on 127.0.0.1) and browser (Debian's headless Chromium) fixtures are in conftest.py.

CHART_PAGES = ["chapters/history.html", "chapters/current-state.html", "chapters/europe-asia.html",
               "chapters/trade.html", "chapters/outlook.html", "evidence/sources.html", "evidence/methods.html"]


def _live(page, n=None):
    """Point at every chart of the page with the mouse, as a reader does, and wait until Vega has drawn each live."""
    charts = page.locator("div.usrubook-chart")
    n = charts.count() if n is None else n
    for i in range(n):
        scroll_to(charts.nth(i))
        charts.nth(i).hover()
    page.wait_for_function(
        f"document.querySelectorAll('div.usrubook-chart.usrubook-live svg.marks').length === {n}", timeout=20000)


def _draws_all(page, url):
    """Open ``url`` with every request off 127.0.0.1 (or disk) refused: each chart arrives drawn, nothing more is
    loaded for it until a reader points at it, and then Vega draws it live. (chart count, console errors, blocked)"""
    blocked, errors = [], []

    def only_local(route):
        parts = urlsplit(route.request.url)
        if parts.scheme == "file" or parts.hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.on("console", lambda msg: errors.append(msg.text) if msg.type in ("error", "warning") and "usrubook" in msg.text
            or msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    loaded = []
    page.on("request", lambda r: loaded.append(r.url))
    page.goto(url, wait_until="load")
    n = page.locator("div.usrubook-chart").count()
    assert n >= 1
    page.wait_for_function(CHARTS_DRAWN, timeout=20000)
    assert page.locator("div.usrubook-chart:not(.usrubook-drawn)").count() == 0
    assert page.locator("div.usrubook-chart > svg.usrubook-static").count() == 2 * n
    page.wait_for_timeout(300)
    assert not [u for u in loaded if "usrubook-vega.js" in u or "/_charts/" in u], "Vega loaded before any interaction"
    _live(page, n)
    assert page.locator("div.usrubook-chart svg.usrubook-static").count() == 0   # the live drawing replaced them
    return n, errors, blocked


def test_trade_page_draws_every_chart_offline(server, browser):
    page = browser.new_page()
    n, errors, blocked = _draws_all(page, f"{server}/chapters/trade.html")
    assert n == 3 and errors == [] and blocked == []
    charts = page.locator("div.usrubook-chart")
    for i in range(n):
        chart = charts.nth(i)
        assert chart.locator("svg.marks path, svg.marks rect").count() > 0   # marks were drawn
        box = chart.locator("svg.marks").bounding_box()
        assert box["width"] > 200 and box["height"] > 100
    page.close()


def test_tooltip_shows_the_verbatim_quote(server, browser):
    page = browser.new_page()
    page.route("**/*", lambda r: r.continue_() if urlsplit(r.request.url).hostname == "127.0.0.1" else r.abort())
    page.goto(f"{server}/chapters/history.html", wait_until="load")
    page.locator("#fig-history-early-tone div.usrubook-chart").hover()
    page.wait_for_selector("#fig-history-early-tone div.usrubook-chart.usrubook-live svg.marks")
    ring = _rings(page, "#fig-history-early-tone").first     # an event a seed also tells
    ring.hover(force=True)
    tooltip = page.locator("#usrubook-tooltip")
    tooltip.wait_for(state="visible", timeout=5000)
    text = tooltip.inner_text()
    assert "Words of the seed" in text and "Seed 003, paragraph" in text
    page.close()


def _rings(page, figure):
    """The ringed marks of a chronology chart: the events a seed also tells (the layer after the dots)."""
    return page.locator(f"{figure} svg.marks g.mark-symbol").nth(1).locator("path")


def _drawn(page, url):
    page.route("**/*", lambda r: r.continue_() if urlsplit(r.request.url).hostname == "127.0.0.1" else r.abort())
    page.goto(url, wait_until="load")
    page.wait_for_function(CHARTS_DRAWN, timeout=20000)
    _live(page)


def test_tooltips_never_show_empty_fields(server, browser):
    """Marks whose rows lack a field (events with no quote, recomputed balances) show no 'null' line."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _drawn(page, f"{server}/chapters/history.html")
    shown = 0
    marks = page.locator("#fig-history-middle-tone svg.marks g.mark-symbol path")
    for i in range(min(marks.count(), 40)):
        marks.nth(i).hover(force=True)
        tip = page.locator("#usrubook-tooltip")
        if tip.is_visible():
            shown += 1
            text = tip.inner_text()
            assert "null" not in text and "undefined" not in text, text
    assert shown >= 5
    page.close()


def test_data_view_and_passage_links_by_keyboard(server, browser):
    """Every chart has a Data view; from the keyboard its summary opens it and Tab reaches a passage link."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _drawn(page, f"{server}/chapters/history.html")
    charts = page.locator("div.usrubook-chart")
    for i in range(charts.count()):
        chart_id = charts.nth(i).get_attribute("id")
        assert charts.nth(i).get_attribute("aria-details") == f"{chart_id}-data"
        assert page.locator(f"#{chart_id}-data tbody tr").count() >= 2
    summary = page.locator("#fig-history-early-tone details.usrubook-chart-data summary")
    summary.focus()
    page.keyboard.press("Enter")
    assert page.locator("#fig-history-early-tone details.usrubook-chart-data").get_attribute("open") is not None
    for _ in range(200):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "A":
            break
    href = page.evaluate("document.activeElement.getAttribute('href')")
    assert href.startswith("../evidence/source-texts.html#seed003-p"), href
    page.close()


def test_get_the_data_downloads_the_figure_files_by_keyboard(server, browser, html_dir):
    """"Get the data" after a figure opens from the keyboard and its links download the files the build made,
    named after the figure, with the network off."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    _drawn(page, f"{server}/chapters/trade.html")
    summary = page.locator("#fig-trade-goods-series-getdata summary")
    summary.focus()
    page.keyboard.press("Enter")
    assert page.locator("#fig-trade-goods-series-getdata").get_attribute("open") is not None
    folder = html_dir / "_figures" / "fig-trade-goods-series"
    for suffix in ("-1.csv", ".vl.json", ".svg", ".png"):
        link = page.locator(f"#fig-trade-goods-series-getdata a[href$='us-russia-relations-fig-trade-goods-series{suffix}']")
        link.focus()
        with page.expect_download() as info:
            page.keyboard.press("Enter")
        download = info.value
        name = f"us-russia-relations-fig-trade-goods-series{suffix}"
        assert download.suggested_filename == name
        with open(download.path(), "rb") as fh:
            assert fh.read() == (folder / name).read_bytes(), name
    with page.expect_download() as info:
        page.locator("#fig-trade-goods-series-getdata a", has_text="Whole data package").click()
    assert info.value.suggested_filename.startswith("us-russia-relations-data-")
    page.close()


def _tooltip_rows(page, locator) -> dict:
    """The rows of the desktop tooltip of a mark, hovered with a mouse: {field: text}."""
    scroll_to(locator)
    locator.hover(force=True)
    tip = page.locator("#usrubook-tooltip")
    tip.wait_for(state="visible", timeout=5000)
    return page.evaluate("() => Object.fromEntries([...document.querySelectorAll('#usrubook-tooltip tr')].map("
                         "r => [r.querySelector('th') ? r.querySelector('th').textContent : '', r.querySelector('td').textContent]))")


def _card_rows(card) -> dict:
    return card.evaluate("c => Object.fromEntries([...c.querySelectorAll('tr')].map("
                         "r => [r.querySelector('th') ? r.querySelector('th').textContent : '', r.querySelector('td').textContent]))")


def test_touch_shows_the_tooltip_and_the_quote_before_leaving_the_page(server, browser):
    """A tapped mark shows, below its chart, the same fields as its desktop tooltip (the seed's words among them)
    and the link to the passage; the page stays. A tapped mark without a passage shows its fields too."""
    desktop = browser.new_page(viewport={"width": 1280, "height": 900})
    url = f"{server}/chapters/history.html"
    _drawn(desktop, url)
    ring_tip = _tooltip_rows(desktop, _rings(desktop, "#fig-history-early-tone").first)
    dot_tip = _tooltip_rows(desktop, desktop.locator("#fig-history-early-tone svg.marks g.mark-symbol").first
                            .locator("path").first)
    desktop.close()
    assert "Words of the seed" in ring_tip and "Date" in dot_tip

    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = context.new_page()
    _drawn(page, url)
    ring = _rings(page, "#fig-history-early-tone").first
    scroll_to(ring)
    ring.tap(force=True)
    card = page.locator("#fig-history-early-tone .usrubook-chart-card")
    card.wait_for(state="visible", timeout=5000)
    assert page.url == url
    assert _card_rows(card) == ring_tip
    assert "Seed 003" in card.inner_text()
    assert card.locator("a").get_attribute("href").startswith("../evidence/source-texts.html#seed003-p")
    assert not page.locator("#usrubook-tooltip").is_visible()   # the card, not a floating tooltip
    dot = page.locator("#fig-history-early-tone svg.marks g.mark-symbol").first.locator("path").first
    dot.tap(force=True)
    page.wait_for_function("c => !c.querySelector('a')", arg=card.element_handle(), timeout=5000)
    # (dots of one row may overlap: the tap can land on a neighbour of the hovered dot, with the same fields)
    assert list(_card_rows(card)) == list(dot_tip) and all(_card_rows(card).values())
    context.close()


def test_first_tap_on_a_drawn_chart_shows_its_card(server, browser):
    """On a phone, the first tap on a chart drawn at build time loads Vega, draws the chart live and shows the card
    of the mark under the finger: the seed's words and the link to the passage."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.goto(f"{server}/chapters/history.html", wait_until="load")
    page.wait_for_function(CHARTS_DRAWN, timeout=20000)
    ring = page.locator("#fig-history-early-tone svg.usrubook-static-narrow g.mark-symbol").nth(1).locator("circle").first
    scroll_to(ring)
    ring.tap(force=True)
    card = page.locator("#fig-history-early-tone .usrubook-chart-card")
    card.wait_for(state="visible", timeout=10000)
    assert "Words of the seed" in card.inner_text() and "Seed 003" in card.inner_text()
    assert card.locator("a").get_attribute("href").startswith("../evidence/source-texts.html#seed003-p")
    assert page.locator("#fig-history-early-tone div.usrubook-chart.usrubook-live svg.marks").count() == 1
    context.close()


STATIC_LABEL = "#fig-trade-goods-series svg.usrubook-static-narrow g.role-axis-label text"


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_book_follows_the_system_colour_scheme(mode, server, browser):
    """With nothing chosen on the theme's switch, a page takes the reader's system setting, and its charts are
    drawn for it."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme=mode)
    page = context.new_page()
    page.goto(f"{server}/chapters/trade.html", wait_until="load")
    assert page.evaluate("[document.documentElement.dataset.mode, document.documentElement.dataset.theme]") == [
        "auto", mode]
    # the drawing made at build time takes the mode's colours from the stylesheet
    static = page.evaluate(f"getComputedStyle(document.querySelector({STATIC_LABEL!r})).fill")
    assert (static == "rgb(212, 212, 212)") == (mode == "dark") and (static == "rgb(0, 0, 0)") == (mode == "light"), static
    _live(page)
    fill = page.locator("#fig-trade-goods-series svg.marks g.role-axis-label text").first.get_attribute("fill")
    assert (fill == "#d4d4d4") == (mode == "dark"), fill
    context.close()


def test_dark_mode_redraws_charts_with_light_text(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _drawn(page, f"{server}/chapters/trade.html")
    label = "#fig-trade-goods-series svg.marks g.role-axis-label text"
    light = page.locator(label).first.get_attribute("fill")
    page.evaluate("document.documentElement.dataset.theme = 'dark'")
    page.wait_for_function(f"document.querySelector({label!r}).getAttribute('fill') !== {light!r}", timeout=10000)
    assert page.locator(label).first.get_attribute("fill") == "#d4d4d4"
    page.evaluate("document.documentElement.dataset.theme = 'light'")
    page.wait_for_function(f"document.querySelector({label!r}).getAttribute('fill') === {light!r}", timeout=10000)
    page.close()



@pytest.mark.parametrize("path", CHART_PAGES)
def test_every_chart_page_draws_offline(path, server, browser):
    page = browser.new_page()
    n, errors, blocked = _draws_all(page, f"{server}/{path}")
    assert errors == [] and blocked == []
    page.close()


def test_chapter_opened_from_disk_draws(browser, html_dir):
    """Readers may open the book from disk (file://), where pages cannot fetch data: the charts must not."""
    page = browser.new_page()
    n, errors, blocked = _draws_all(page, (html_dir / "chapters/history.html").as_uri())
    assert n == 3 and errors == [] and blocked == []
    page.close()


@pytest.mark.parametrize("how", ["pointer", "keyboard"])
def test_citation_shows_its_full_reference_when_pointed_at_or_reached(how, server, browser):
    """A citation link names its reference in full (its title) when a reader points at it or tabs to it; the text
    comes from the page's own reference list, so the page does not repeat a reference at every citation."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(f"{server}/chapters/history.html", wait_until="load")
        link = page.locator("article a.reference.internal[href*='#cite-']").first
        key = link.get_attribute("href").split("#cite-", 1)[1]
        assert link.get_attribute("title") is None
        scroll_to(link)
        if how == "pointer":
            link.hover()
        else:
            link.focus()
        entry = page.locator(f"[id='usrubook-ref-{key}']")
        expected = " ".join(entry.text_content().split())
        title = link.get_attribute("title")
        assert title == expected and len(title) > 40, (title, expected)
    finally:
        page.close()
