"""Accessibility: axe-core (pinned in package-lock.json, installed by `make`) injected into Debian Chromium.

Every page of the book (see ``conftest.book_pages``), in the theme's light and dark modes, at 1280 px, after
every chart has drawn: no critical and no serious violation. The passage that every evidence link lands on
(a ``:target`` paragraph of the source texts) is scanned too, in both modes, since a plain page load never
highlights one. A failure names the page, the mode, the rule and the offending elements.
"""
from __future__ import annotations

import json

import pytest

from conftest import ROOT, book_pages, open_page, set_mode

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
MODES = ("light", "dark")
FAILING_IMPACTS = ("critical", "serious")


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(f"{AXE.relative_to(ROOT)} is missing: run `make node` (npm ci; `make test` does it).")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def contexts(browser):
    """One browser context per mode, made on first use and shared by the module's tests."""
    made = {}

    def get(mode):
        if mode not in made:
            made[mode] = browser.new_context(viewport={"width": 1280, "height": 900})
            set_mode(made[mode], mode)
        return made[mode]

    yield get
    for ctx in made.values():
        ctx.close()


def run_axe(page, axe_source: str, context: str = "document") -> list[dict]:
    """axe-core's violations on ``page`` (all of axe's default rules), each with its nodes' selectors."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source)
    return page.evaluate(f"""async () => {{
        const r = await axe.run({context}, {{resultTypes: ['violations']}});
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
@pytest.mark.parametrize("path", book_pages())
def test_no_serious_violations(path, mode, contexts, server, axe_source):
    page = open_page(contexts(mode), f"{server}/{path}")
    try:
        assert page.evaluate("document.documentElement.dataset.theme") == mode   # the mode really applied
        violations = run_axe(page, axe_source)
    finally:
        page.close()
    if any(v["impact"] in FAILING_IMPACTS for v in violations):
        pytest.fail(report(f"{path} ({mode} mode)", violations), pytrace=False)


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
