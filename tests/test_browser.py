"""A real browser, offline: the Trade page draws every chart with Vega, and nothing leaves 127.0.0.1."""
import functools
import http.server
import shutil
import threading
from urllib.parse import urlsplit

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(html_dir):
    handler = functools.partial(_QuietHandler, directory=str(html_dir))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


CHART_PAGES = ["chapters/history.html", "chapters/current-state.html", "chapters/europe-asia.html",
               "chapters/trade.html", "chapters/outlook.html", "evidence/sources.html", "evidence/methods.html"]


def _draws_all(page, url):
    blocked, errors = [], []

    def only_local(route):
        parts = urlsplit(route.request.url)
        if parts.scheme == "file" or parts.hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url, wait_until="load")
    n = page.locator("div.usrubook-chart").count()
    assert n >= 1
    page.wait_for_function(
        f"document.querySelectorAll('div.usrubook-chart.vega-embed svg.marks').length === {n}", timeout=20000)
    assert page.locator("div.usrubook-chart:not(.vega-embed)").count() == 0
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
    page.goto(f"{server}/chapters/trade.html", wait_until="load")
    page.wait_for_selector("#fig-trade-fdi div.usrubook-chart.vega-embed svg.marks")
    bar = page.locator("#fig-trade-fdi svg.marks g.mark-rect path").first
    bar.hover()
    tooltip = page.locator("#vg-tooltip-element")
    tooltip.wait_for(state="visible", timeout=5000)
    text = tooltip.inner_text()
    assert "foreign direct investment" in text and "seed003, paragraph" in text
    page.close()



@pytest.mark.parametrize("path", CHART_PAGES)
def test_every_chart_page_draws_offline(path, server, browser):
    page = browser.new_page()
    n, errors, blocked = _draws_all(page, f"{server}/{path}")
    assert errors == [] and blocked == []
    page.close()


def test_map_page_opened_from_disk_draws(browser, html_dir):
    """Readers may open the book from disk (file://), where pages cannot fetch data: the maps must not."""
    page = browser.new_page()
    n, errors, blocked = _draws_all(page, (html_dir / "chapters/europe-asia.html").as_uri())
    assert n == 3 and errors == [] and blocked == []
    assert page.locator("#fig-europe-asia-map svg.marks path").count() > 100   # the country outlines
    page.close()
