"""Shared fixtures: the book root, the built outputs, throw-away copies of the book, and a real browser
(Debian's headless Chromium through Playwright) with the built HTML served on 127.0.0.1."""
from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from usrubook.book.chapterpdf import chromium_path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(sys.prefix)
HTML = ROOT / "_build" / "html"
PDF = ROOT / "_build" / "latex" / "us-russia-relations.pdf"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} is missing: run `make book` first (`make test` does).")
    return path


@pytest.fixture(scope="session")
def html_dir() -> Path:
    return _require(HTML / "chapters" / "trade.html").parent.parent


@pytest.fixture(scope="session")
def pdf_path() -> Path:
    return _require(PDF)


def copy_book(dest: Path, cache: bool = False) -> Path:
    """A copy of the book's sources (no _build, no .venv; node_modules linked), keeping file times. With
    ``cache``, the book's own executed notebooks come along (jupyter-cache, from the build `make test` makes first): a build of the copy
    then executes only the chapters whose code or data differ, and reads and writes every page as a clean
    build does (Sphinx's saved environment is not copied)."""
    ignore = shutil.ignore_patterns("_build", ".venv", ".venv-lab", ".git", "__pycache__", "*.egg-info", ".pytest_cache",
                                    ".ipynb_checkpoints", "node_modules")
    shutil.copytree(ROOT, dest, ignore=ignore, symlinks=True)
    # the installed JavaScript (38 MB), which builds only read: linked, not copied into every copy
    if (ROOT / "node_modules").is_dir():
        (dest / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
    if cache:
        shutil.copytree(_require(ROOT / "_build" / ".jupyter_cache"), dest / "_build" / ".jupyter_cache")
    return dest


@pytest.fixture
def book_copy(tmp_path) -> Path:
    return copy_book(tmp_path / "book")


MAKE_ARGS = ["-o", f"{VENV}/.installed", "-o", "node_modules/.installed", f"VENV={VENV}"]


def make_stale(book: Path, target: str = "_build/.html-built", args=MAKE_ARGS) -> bool:
    """Whether make would remake ``target`` in ``book`` (make -q: 0 up to date, 1 not). By default the environment
    and node_modules are taken as up to date (MAKE_ARGS)."""
    result = run(["make", "-q", *args, target], cwd=book)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    return result.returncode == 1


class CleanBuild:
    """A clean build of a copy of the book, as `make book` makes it (`make html pdf`): its folder, the HTML
    build's progress log, a snapshot of its outputs (``_build/html`` and the PDF) taken right after it, and
    what the build recorded of itself (:func:`recorded_builds`)."""

    def __init__(self, book: Path, log: str, snapshot: Path, recorded_clean: dict):
        self.book, self.log, self.snapshot, self.recorded_clean = book, log, snapshot, recorded_clean


def recorded_builds(book: Path) -> dict:
    """For the HTML and the PDF (LaTeX) build of ``book``: "clean" if the last one started from an empty
    output folder, "incremental" if not, None if none is recorded (usrubook.book.execution)."""
    from usrubook.book.execution import clean_build_record, doctree_dir

    found = {}
    for builder in ("html", "latex"):
        record = clean_build_record(doctree_dir(book / "_build", builder), builder)
        found[builder] = record.read_text(encoding="utf-8").strip() if record.is_file() else None
    return found


def build_clean(base: Path) -> CleanBuild:
    """Copy the book to ``base``/book and build it there as `make book` does (`make html pdf`), from nothing."""
    book = copy_book(base / "book")
    # -o: treat the environment and node_modules as up to date, so make never re-installs them in the copy
    result = run(["make", *MAKE_ARGS, "html", "pdf"], cwd=book, timeout=1800)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    snapshot = base / "snapshot"
    shutil.copytree(book / "_build" / "html", snapshot / "_build" / "html")
    (snapshot / PDF.relative_to(ROOT)).parent.mkdir(parents=True)
    shutil.copy2(book / PDF.relative_to(ROOT), snapshot / PDF.relative_to(ROOT))
    return CleanBuild(book, (book / "_build" / "html.log").read_text(encoding="utf-8"), snapshot,
                      recorded_builds(book))


@pytest.fixture(scope="session")
def clean_build(tmp_path_factory) -> CleanBuild:
    """One clean build (HTML, then PDF) of a fresh copy of the book, every notebook executed anew. The
    determinism test compares its snapshot with the book's own build; the prose-edit, data-change and
    broken-cross-reference tests go on building in its folder. (All are in test_build.py, which `make test`
    hands to one worker: the build is made once.)"""
    return build_clean(tmp_path_factory.mktemp("clean"))


def pages_reading(book: Path, data_file: str) -> list[str]:
    """The pages of ``book`` (``chapters/trade.md`` ...) whose code loads ``data_file`` (``data/trade.csv``), as the
    build works them out (usrubook.book.execution.dependencies)."""
    from usrubook.book.execution import dependencies

    return sorted(p.relative_to(book).as_posix() for p in book.rglob("*.md")
                  if "_build" not in p.parts and "{code-cell}" in (text := p.read_text(encoding="utf-8"))
                  and data_file in dependencies(text))


_READ = re.compile(r"reading sources\.\.\. .*?\[\s*\d+%\]\s*(?:\x1b\[[0-9;]*m)?([\w/-]+)")


def pages_read(log: str) -> list[str]:
    """The pages a Sphinx build's progress log shows it read, in order (``chapters/trade`` ...)."""
    return _READ.findall(log)


def data_snapshot(book: Path) -> dict:
    """Bytes and modification times of every file in a book's data/ folder."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in (book / "data").glob("*.*")}


def run(args, cwd: Path, timeout: int = 900, **env) -> subprocess.CompletedProcess:
    """Run a command in ``cwd`` with the book's environment on PATH; output is captured as text."""
    full_env = {**os.environ, "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ['PATH']}", **env}
    full_env.pop("USRUBOOK_ROOT", None)
    return subprocess.run(args, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)


def set_cell(csv_path: Path, figure_id: str, column: str, value: str) -> str:
    """Change one cell of a CSV file in place; returns the old value."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8"), newline="")))
    col = rows[0].index(column)
    for row in rows[1:]:
        if row[0] == figure_id:
            old, row[col] = row[col], value
            break
    else:
        raise KeyError(figure_id)
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\n").writerows(rows)
    csv_path.write_text(buf.getvalue(), encoding="utf-8")
    return old


# ---------------------------------------------------------------- the book in a browser

WIDTHS = (390, 768, 1280, 1920)


@functools.lru_cache(maxsize=None)
def parsed_page(path: Path):
    """A page of the suite's own build (``_build/html``, which no test changes), parsed with BeautifulSoup once per
    test process for every test that reads it. Never change what this returns (``decompose`` and the like): the
    next reader gets the same object. Parse a copy's page, or one a test changes, yourself."""
    from bs4 import BeautifulSoup

    return BeautifulSoup(Path(path).read_text(encoding="utf-8"), "html.parser")


def book_pages() -> list[str]:
    """Every page of the web book, as paths under _build/html: the pages of _toc.yml, plus the two pages
    Sphinx adds that a reader reaches from every page (the search page, through the search box, and the
    general index). index.html is left out: it is a one-line redirect to intro.html, which is tested."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part.get("chapters", [])]
    return [f + ".html" for f in files] + ["genindex.html", "search.html"]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def handle(self):   # a browser that closes a connection early is not an error of the book
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture(scope="session")
def server(html_dir):
    """The built book, served on 127.0.0.1 (a free port) for the whole session."""
    handler = functools.partial(_QuietHandler, directory=str(html_dir))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the whole session; each test opens its own context or page."""
    from playwright.sync_api import sync_playwright

    try:    # the browser that prints the chapters: Debian's chromium-headless-shell (usrubook.book.chapterpdf)
        chromium = chromium_path()
    except FileNotFoundError as exc:
        pytest.fail(str(exc))
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


def set_mode(context, mode: str) -> None:
    """Open every page of ``context`` in the theme's light or dark mode, as the theme's own switch leaves it
    (pydata-sphinx-theme reads localStorage "mode" and "theme" before the page is drawn)."""
    assert mode in ("light", "dark")
    context.add_init_script(f"localStorage.setItem('mode', '{mode}'); localStorage.setItem('theme', '{mode}');")


CHARTS_DRAWN = ("() => [...document.querySelectorAll('div.usrubook-chart')]"
                ".every(c => c.querySelector('svg'))")


# two frames: what a script or a scroll changed has been laid out and drawn
SETTLE = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
# usrubook.css ("long pages") switched off: every section laid out and painted, nothing clipped at its edge
UNCONTAINED = "* { content-visibility: visible !important; }"


def scroll_to(locator) -> None:
    """Scroll ``locator``'s element to the middle of the window, as a reader's scrolling brings it there, and let
    the page draw it. (Not Playwright's ``scroll_into_view_if_needed``: Chromium's non-standard
    scrollIntoViewIfNeeded, which it calls, places an element of a section not yet laid out (content-visibility:
    auto, usrubook.css) by where the element would be with every section laid out, far from where it is drawn.)"""
    locator.evaluate("e => e.scrollIntoView({block: 'center'})")
    locator.page.evaluate(SETTLE)


def open_page(context, url: str, timeout: int = 30000):
    """A new page of ``context`` at ``url``, loaded and with every chart drawn."""
    page = context.new_page()
    page.goto(url, wait_until="load")
    page.wait_for_function(CHARTS_DRAWN, timeout=timeout)
    return page


def assert_refused(book, mutate, file, column, message, before=None) -> str:
    """Apply ``mutate`` (which returns the line the error must name), run make data's derive, and check that it
    stops with one located error (file, line and column when ``file`` is given), a fix, no traceback, and that
    data/ is unchanged. Returns the error text."""
    line = mutate(book)
    before = data_snapshot(book)
    result = run(["python", "-m", "usrubook.pipeline.derive"], cwd=book)
    assert result.returncode == 1, result.stdout
    err = result.stderr
    if file:
        assert f"{file}, line {line}" + (f", column '{column}'" if column else "") in err, err
    assert message in err, err
    assert err.count("How to fix:") == 1 and "Traceback" not in err, err
    assert data_snapshot(book) == before
    return err


# ---------------------------------------------------------------- markers and parallel runs
#
# Every test is marked by what it needs, from the fixtures it uses: `book` (the built book: `make book`),
# `copy` (a copy of the book, in which it runs make data, a build or nbval); `slow` is set by hand on tests
# that execute chapters or run a browser, a JupyterLab or a build on their own. `make check` runs the rest.
#
# `make test` runs the suite on two workers (pytest-xdist, --dist loadfile: each module on one worker), so
# that the tests of a module that share a module- or session-wide set-up (a built copy, the clean build, a
# browser context) find it made once. (xdist_group marks are not used: with pytest 9.2, pytest-xdist 3.8's
# --dist loadgroup ignores them, pytest-xdist issue 1386.) The longest tests come first (`make test` keeps
# that order: --no-loadscope-reorder), so that the two workers finish together.
NEEDS_BOOK = {"html_dir", "pdf_path", "server", "browser"}
NEEDS_COPY = {"book_copy", "clean_build", "cached_copy", "built", "lab"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        names = set(item.fixturenames)
        if names & NEEDS_BOOK:
            item.add_marker(pytest.mark.book)
        if names & NEEDS_COPY:
            item.add_marker(pytest.mark.copy)
    items.sort(key=_cost)       # stable: the order within a module is kept


def _cost(item) -> int:
    """Where a test goes in the order of the run: the longest first (the clean build and what goes on from
    it, then other slow tests, then tests on copies of the book), so that two workers finish together."""
    if "clean_build" in item.fixturenames:
        return 0
    if item.get_closest_marker("slow"):
        return 1
    return 2 if item.get_closest_marker("copy") else 3
