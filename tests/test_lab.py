"""A chapter in a real JupyterLab (make lab's environment, .venv-lab): it opens as a notebook, runs, reads as the book
does (prose with the computed values, citations and cross-references as the web book gives them, admonitions, tables;
no dollar signs read as math), draws interactive charts offline with their tooltips, and saving it changes no byte. Needs .venv-lab, which `make test` sets up (`make lab` does too). The browser is the
session's Debian headless Chromium (conftest.py)."""
import json
import os
import secrets
import socket
import subprocess
import time

import pytest

from conftest import ROOT

LAB = ROOT / ".venv-lab"
pytestmark = pytest.mark.skipif(not (LAB / ".installed").exists(),
                                reason=".venv-lab is not set up (make test and make lab set it up)")

# What JupyterLab puts in a notebook's metadata when it runs a chapter with ipykernel.
LAB_METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
                      "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
                      "pygments_lexer": "ipython3", "version": "3.11.7"},
}

CONTENTS = "usrubook.book.labcontents.LabContentsManager"      # make lab's (jupytext's, with the prose as text)
SAVE = r"""
import asyncio, json, sys
from usrubook.book.labcontents import LabContentsManager
root, metadata, pages = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3:]
cm = LabContentsManager(root_dir=root)
async def main():
    for page in pages:
        model = await cm.get(page, content=True, type="notebook")
        model["content"]["metadata"].update(metadata)
        await cm.save(model, page)
asyncio.run(main())
"""


def test_saving_through_jupytext_changes_no_byte(book_copy):
    """make lab's contents manager (jupytext's, with the prose shown as text; the kernel named as JupyterLab names it)
    writes every notebook page back byte for byte."""
    pages = sorted(str(p.relative_to(book_copy)) for p in [book_copy / "intro.md", *book_copy.glob("chapters/*.md"),
                                                             *book_copy.glob("evidence/*.md")]
                   if p.read_text(encoding="utf-8").startswith("---\njupytext:"))
    before = {p: (book_copy / p).read_bytes() for p in pages}
    result = subprocess.run([LAB / "bin" / "python", "-c", SAVE, str(book_copy), json.dumps(LAB_METADATA), *pages],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    changed = [p for p in pages if (book_copy / p).read_bytes() != before[p]]
    assert not changed, changed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(book_copy, tmp_path, html_dir):
    """JupyterLab as `make lab` starts it (USRUBOOK_CHARTS=jupyter, --allow-root, --no-browser), on a copy of the book
    with the numbers and titles of the last HTML build (which cross-references show)."""
    from usrubook.book.labtext import XREFS

    (book_copy / XREFS).parent.mkdir(exist_ok=True)
    (book_copy / XREFS).write_bytes((ROOT / XREFS).read_bytes())
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "USRUBOOK_CHARTS": "jupyter", "HOME": str(tmp_path), "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt")}
    env.pop("USRUBOOK_ROOT", None)
    log = open(tmp_path / "lab.log", "w")
    server = subprocess.Popen([LAB / "bin" / "jupyter-lab", "--notebook-dir=.", f"--ServerApp.contents_manager_class={CONTENTS}",
                               "--allow-root", "--no-browser",
                               f"--port={port}", "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}"],
                              cwd=book_copy, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        yield book_copy, f"http://127.0.0.1:{port}", token
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


ALL_RUN = """() => { const p = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')].map(e => e.textContent);
  return p.length > 0 && p.every(t => /\\[\\d+\\]/.test(t)); }"""


def test_chapter_runs_and_reads_as_the_book_in_jupyterlab(lab, browser):
    book, url, token = lab
    chapter = book / "chapters" / "trade.md"
    original = chapter.read_bytes()
    outside = []
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)
    try:
        _open_run_and_check(page, url, token, chapter, book)
    except Exception:
        page.screenshot(path=str(book / "lab-failure.png"))     # left in pytest's tmp_path, to look at
        raise
    finally:
        page.close()
    assert chapter.read_bytes() == original
    assert outside == []


def _web_paragraph(book, words: str) -> str:
    """The text of the web book's paragraph with ``words`` (the build the tests run against)."""
    from bs4 import BeautifulSoup

    html = (ROOT / "_build" / "html" / "chapters" / "trade.html").read_text(encoding="utf-8")
    para = next(p for p in BeautifulSoup(html, "html.parser").find_all("p") if words in p.get_text())
    return " ".join(para.get_text().split())


def _open_run_and_check(page, url, token, chapter, book):
    page.goto(f"{url}/lab/tree/chapters/trade.md?token={token}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90000)   # opened as a notebook (jupytext)
    page.wait_for_selector(".jp-Notebook .jp-MarkdownCell h1:has-text('Trade')", timeout=60000)
    page.wait_for_selector(".jp-StatusBar-Widget:has-text('Python 3 (ipykernel) | Idle')", timeout=120000)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator("li.lm-Menu-item", has_text="Run All Cells").first.click()
    page.wait_for_function(ALL_RUN, timeout=300000)
    page.wait_for_function("() => document.querySelectorAll('.jp-Notebook .vega-embed canvas.marks').length === 3",
                           timeout=60000)
    assert page.locator(".jp-Notebook [data-mime-type='application/vnd.jupyter.stderr']").count() == 0
    assert page.locator(".jp-Notebook .jp-OutputArea-output .jp-RenderedText pre:has-text('Traceback')").count() == 0

    # prose as the book writes it: the admonition, a table built from data/, no dollar signs read as math
    assert page.locator(".jp-Notebook .jp-MarkdownCell .myst aside.myst-admonition").filter(
        has_text="Key points").count() == 1
    assert page.locator(".jp-Notebook .jp-OutputArea-output table").filter(has_text="Published in").count() >= 1
    # the paragraph as the web book prints it: the computed value in place, the citation's label, the figure's number
    series = page.locator(".jp-Notebook .jp-MarkdownCell .myst p").filter(has_text="in 1996")
    assert series.count() == 1 and series.locator(".katex, .math, mjx-container").count() == 0
    page.wait_for_function("""() => [...document.querySelectorAll('.jp-Notebook .jp-MarkdownCell .myst p')]
        .some(p => p.textContent.includes('in 1996') && !p.textContent.includes('tr_imports_1996'))""", timeout=60000)
    text = " ".join(series.text_content().split())
    web = _web_paragraph(book, "in 1996")
    start = web.index("US imports from Russia were about")
    assert web[start:web.index("[Reuters 2009]", start)] in text, (text[:700], web[:700])
    assert "(Fig. 4.1)" in text and "Fig. 4.1" in web
    prose = " ".join(page.locator(".jp-Notebook .jp-MarkdownCell .myst").all_text_contents())
    for raw in ("tr_imports_1996", "rferl1997trade", "fig-trade-goods-series", "{cite}", "{numref}", "{eval}", "{glue}"):
        assert raw not in prose, raw
    assert page.locator(".jp-Notebook .jp-MarkdownCell .myst code").filter(has_text="tr_").count() == 0

    # an interactive chart: hovering a bar shows its tooltip (vega-tooltip), with the fact and its reference
    chart = page.locator(".jp-Notebook .vega-embed").nth(1)
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(1000)     # the notebook settles (outputs above are laid out)
    chart.scroll_into_view_if_needed()
    box = chart.locator("canvas.marks").bounding_box()
    tooltip = page.locator("#vg-tooltip-element")
    text = ""
    for fy in [i / 24 for i in range(1, 24)]:
        for fx in (0.3, 0.4, 0.5, 0.6):
            page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
            page.wait_for_timeout(50)
            if tooltip.count() and tooltip.is_visible():
                text = tooltip.inner_text()
                if text.strip():
                    break
        if text.strip():
            break
    assert "Fact" in text and "Reference" in text and "Audacy" in text, (text, box)

    # saving writes the chapter back (unchanged: checked by the caller)
    mtime = chapter.stat().st_mtime_ns
    page.locator(".jp-Notebook").first.click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+s")
    deadline = time.time() + 60
    while chapter.stat().st_mtime_ns == mtime and time.time() < deadline:
        time.sleep(0.2)
    assert chapter.stat().st_mtime_ns != mtime, "the chapter was not saved"


@pytest.fixture
def kit_lab(tmp_path, html_dir):
    """Plain JupyterLab (jupyterlab-myst, no contents manager of the book's) on the Trade chapter's kit, unzipped
    outside the repository; the kernel imports the kit's usrubook (the notebook's folder comes first on its path)."""
    import io
    import zipfile

    kit = tmp_path / "kits"
    zipfile.ZipFile(io.BytesIO((html_dir / "notebooks" / "usrubook-trade.zip").read_bytes())).extractall(kit)
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "USRUBOOK_ROOT", "USRUBOOK_CHARTS")}
    env.update(HOME=str(tmp_path), JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"))
    log = open(tmp_path / "lab.log", "w")
    server = subprocess.Popen([LAB / "bin" / "jupyter-lab", "--allow-root", "--no-browser", f"--port={port}",
                               "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}"],
                              cwd=kit, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        yield kit, f"http://127.0.0.1:{port}", token
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_kit_reads_as_the_book_in_plain_jupyterlab(kit_lab, browser):
    """The kit's notebook in JupyterLab with jupyterlab-myst: after Run All, the prose shows the computed values,
    the citations' labels and the figures' numbers where the web book shows them."""
    kit, url, token = kit_lab
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(f"{url}/lab/tree/usrubook-trade/trade.ipynb?token={token}")
        page.wait_for_selector(".jp-StatusBar-Widget:has-text('Python 3 (ipykernel) | Idle')", timeout=120000)
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator("li.lm-Menu-item", has_text="Run All Cells").first.click()
        page.wait_for_function(ALL_RUN, timeout=300000)
        page.wait_for_function("""() => [...document.querySelectorAll('.jp-Notebook .jp-MarkdownCell .myst p')]
            .some(p => p.textContent.includes('in 1996') && !p.textContent.includes('tr_imports_1996'))""",
                               timeout=60000)
        assert page.locator(".jp-Notebook [data-mime-type='application/vnd.jupyter.stderr']").count() == 0
        text = " ".join(page.locator(".jp-Notebook .jp-MarkdownCell .myst p").filter(has_text="in 1996")
                        .text_content().split())
        web = _web_paragraph(kit, "in 1996")
        start = web.index("US imports from Russia were about")
        assert web[start:web.index("[Reuters 2009]", start)] in text, (text[:700], web[:700])
        assert "(Fig. 4.1)" in text
        prose = " ".join(page.locator(".jp-Notebook .jp-MarkdownCell .myst").all_text_contents())
        for raw in ("tr_imports_1996", "rferl1997trade", "fig-trade-goods-series", "{cite}", "{numref}", "{eval}"):
            assert raw not in prose, raw
    except Exception:
        page.screenshot(path=str(kit / "lab-failure.png"))
        raise
    finally:
        page.close()
