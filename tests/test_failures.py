"""A failing chapter is reported in brief (chapter, line, cell, cause) on the first screen, and a failed build
deletes nothing built before: HTML pages, Sphinx's saved environment and the jupyter-cache entries stay
byte for byte as they were."""
import contextlib
import linecache
import os
import re
import shutil
import subprocess

import pytest

from conftest import MAKE_ARGS, ROOT, VENV, copy_book, pages_reading, run, set_cell

JB = ["python", "-m", "usrubook.book.jb", "build", ".", "-W", "-n", "--keep-going"]   # as make runs it
SCREEN = 20     # lines: what a terminal shows without scrolling
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _first_screen(text: str) -> str:
    """What a terminal shows of ``text`` without scrolling. Nothing is filtered out: the kernels' own standard
    error (e.g. the tornado/ZMQ traceback of a kernel shut down while it still answers a control message) is
    captured by the build, and so never printed ahead of its report."""
    return "\n".join(ANSI.sub("", text).splitlines()[:SCREEN])


def _built_state(book) -> dict:
    """Every file under _build/ with its bytes, less what a build writes as a log of itself: the progress log
    of `make html` and myst-nb's/our error reports."""
    build = book / "_build"
    skip = (build / "html.log", build / "html" / "reports")
    return {p.relative_to(build).as_posix(): p.read_bytes() for p in sorted(build.rglob("*"))
            if p.is_file() and not any(p == s or s in p.parents for s in skip)}


def _assert_unchanged(before: dict, after: dict):
    missing = sorted(set(before) - set(after))
    changed = sorted(k for k in before.keys() & after.keys() if before[k] != after[k])
    assert not missing and not changed, f"deleted: {missing[:10]}; changed: {changed[:10]}"


@contextlib.contextmanager
def _edited(path, text=None):
    """Change a file for the duration (to ``text``, or in the block); then put back its bytes and times."""
    old, stat = path.read_bytes(), path.stat()
    if text is not None:
        path.write_text(text, encoding="utf-8")
    try:
        yield
    finally:
        path.write_bytes(old)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A copy of the book, built. It starts from the book's own _build/ when there is one (a build of the copy
    then re-reads the pages but executes only chapters whose code or data changed)."""
    book = copy_book(tmp_path_factory.mktemp("failures") / "book")
    cached = (ROOT / "_build" / ".jupyter_cache").is_dir()
    if cached:
        shutil.copytree(ROOT / "_build", book / "_build", symlinks=True,
                        ignore=shutil.ignore_patterns("latex", "nbval", "html.log", "reports"))
    first = run(JB, cwd=book)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    if cached:      # Sphinx reads every page again in the moved folder; with the cache and data unchanged, nothing executes
        assert "[new config]" in first.stdout and "usrubook: executing" not in first.stdout, first.stdout[-3000:]
    for must in ("html/chapters/trade.html", ".doctrees/environment.pickle", ".jupyter_cache/global.db"):
        assert (book / "_build" / must).is_file(), must
    assert any((book / "_build" / ".jupyter_cache" / "executed").iterdir())
    return book


def _trade_with(book, line_after: str, new_line: str) -> str:
    text = (book / "chapters/trade.md").read_text(encoding="utf-8")
    assert text.count(line_after + "\n") == 1
    return text.replace(line_after + "\n", line_after + "\n" + new_line + "\n")


def _line_number(text: str, line: str) -> int:
    return text.splitlines().index(line) + 1


@pytest.mark.slow
def test_failing_cell_make_html_first_screen_and_nothing_deleted(built):
    """The real chapter error path, as a user runs it: `make html` with a NameError in the Trade chapter."""
    # the kernel logs through tornado to its own standard error first, as a kernel shut down while it still
    # answers a control message does: the build keeps that out of the screen, in the chapter's report
    text = _trade_with(built, 'measures = usrubook.load("measures")',
                       'import logging; logging.getLogger("tornado.general").error("a message of the kernel")\n'
                       "x = undefined_name_here")
    bad_line = _line_number(text, "x = undefined_name_here")
    fence = _line_number(text, "```{code-cell} ipython3")       # the chapter's first code cell
    before = _built_state(built)
    with _edited(built / "chapters/trade.md", text):
        # the environment and node_modules (linked) taken as up to date: make never installs into them
        result = subprocess.run(["make", *MAKE_ARGS, "html"], cwd=built,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900,
                                env={**_env(), "PYTHONUNBUFFERED": "1"})
    assert result.returncode != 0
    screen = _first_screen(result.stdout)
    cells = text.count("```{code-cell} ipython3")
    assert (f"chapters/trade.md:{bad_line}: code cell 1 of {cells} (starts at line {fence}) raised NameError: "
            "name 'undefined_name_here' is not defined") in screen, result.stdout[-3000:]
    assert "Full traceback: _build/html/reports/chapters/trade.err.log" in screen
    assert "Traceback (most recent call last)" not in result.stdout        # no traceback of the tools
    assert "a message of the kernel" not in result.stdout and "tornado" not in result.stdout
    report = (built / "_build/html/reports/chapters/trade.err.log").read_text(encoding="utf-8")
    assert "x = undefined_name_here" in report and "NameError" in report
    assert "The kernel's own standard error:\nERROR:tornado.general:a message of the kernel" in report, report
    _assert_unchanged(before, _built_state(built))


@pytest.mark.slow
def test_broken_data_file_names_the_file_line_and_column_in_every_chapter_that_reads_it(built):
    before = _built_state(built)
    with _edited(built / "data/trade.csv"):       # a derived file edited by hand
        set_cell(built / "data/trade.csv", "goods-exports-2022", "value", "abc")
        result = run(JB, cwd=built)
    assert result.returncode != 0
    screen = _first_screen(result.stderr)
    # every page whose code loads the table fails, and each is named
    readers = pages_reading(built, "data/trade.csv")
    assert {"chapters/trade.md", "evidence/methods.md"} <= set(readers)
    assert f"{len(readers)} chapters failed:" in screen, result.stderr[-3000:]
    for page in readers:
        assert re.search(rf"^{re.escape(page)}:\d+: code cell \d+ of \d+ \(starts at line \d+\) raised DataError: "
                         r"data/trade\.csv, line \d+, column 'value': 'abc' is not a number", screen, re.M), screen
    assert "How to fix:" in screen
    _assert_unchanged(before, _built_state(built))


@pytest.mark.slow
def test_load_of_unknown_table_stops_the_build_before_executing_with_the_line(built):
    text = _trade_with(built, 'measures = usrubook.load("measures")', 'more = usrubook.load("trades")')
    line = _line_number(text, 'more = usrubook.load("trades")')
    before = _built_state(built)
    with _edited(built / "chapters/trade.md", text):
        result = run(JB, cwd=built)
    assert result.returncode != 0
    screen = _first_screen(result.stderr)
    assert f"chapters/trade.md:{line}: load('trades'): there is no table 'trades' in data/." in screen, screen
    assert "How to fix: did you mean 'trade'? The tables are: actors," in screen
    assert "Executing" not in result.stdout and "usrubook: executing" not in result.stdout
    _assert_unchanged(before, _built_state(built))


@pytest.mark.slow
def test_strict_build_failed_on_a_warning_fails_again_until_fixed(built):
    """Sphinx saves the environment of a build that failed on warnings, so the next build would take the faulty
    page as up to date and pass; the environment of the last good build is put back instead."""
    page = built / "chapters/trade.md"
    old = page.read_text(encoding="utf-8")
    page.write_text(old.replace("{numref}`fig-trade-measures`", "{numref}`fig-trade-missing`"), encoding="utf-8")
    try:
        for _ in range(2):
            result = run(JB, cwd=built)
            assert result.returncode != 0
            assert re.search(r"chapters/trade\.md:\d+: WARNING: undefined label: 'fig-trade-missing'", result.stderr)
    finally:
        page.write_text(old, encoding="utf-8")


@pytest.mark.slow
def test_build_after_a_failure_reuses_what_was_built(built):
    """The environment kept through the failures above is used: no chapter executes again, and the pages the
    warning build wrote are written anew."""
    result = run(JB, cwd=built)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "loading pickled environment... done" in ANSI.sub("", result.stdout)
    assert "usrubook: executing" not in result.stdout and "Executing notebook" not in result.stdout
    assert "fig-trade-missing" not in (built / "_build/html/chapters/trade.html").read_text(encoding="utf-8")


def _env():
    env = {**os.environ, "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    env.pop("USRUBOOK_ROOT", None)
    return env


# ---------------------------------------------------------------------------- nbval

@pytest.mark.slow
def test_nbval_names_the_chapter_line_and_skips_the_cascade(book_copy):
    page = book_copy / "chapters/trade.md"
    text = _trade_with(book_copy, 'measures = usrubook.load("measures")', 'more = usrubook.load("trades")')
    page.write_text(text, encoding="utf-8")
    line = _line_number(text, 'more = usrubook.load("trades")')
    fence = _line_number(text, "```{code-cell} ipython3")
    assert run(["python", "-m", "usrubook.book.nbcheck", "prepare"], cwd=book_copy).returncode == 0
    result = run(["pytest", "-p", "no:cacheprovider", "--nbval-lax", "--nbval-current-env", "-q",
                  "_build/nbval/chapters/trade.ipynb"], cwd=book_copy)
    assert result.returncode == 1
    screen = _first_screen(result.stdout)
    # the report line of the plugin, and load()'s own message, both name the chapter's line
    cells = text.count("```{code-cell} ipython3")
    assert (f"chapters/trade.md:{line}: code cell 1 of {cells} (starts at line {fence}) raised UnknownTableError: "
            f"chapters/trade.md, line {line}: load('trades'): there is no table 'trades' in data/") in screen, screen
    assert "How to fix: did you mean 'trade'?" in screen
    assert re.search(rf"\b1 failed, {cells - 1} skipped\b", result.stdout), result.stdout[-500:]


# ---------------------------------------------------------------------------- without a build

def test_load_of_unknown_table_names_the_caller_and_the_closest_table():
    import usrubook
    from usrubook.chapter.data import UnknownTableError

    with pytest.raises(UnknownTableError) as info:
        usrubook.load("verification")
    line = info.traceback[0].lineno + 1          # pytest's line numbers are 0-based
    message = str(info.value)
    assert message.startswith(f"tests/test_failures.py, line {line}: load('verification'): there is no table "
                              "'verification' in data/"), message
    assert "How to fix: did you mean 'verifications'? The tables are: actors, chronology, claims," in message
    assert isinstance(info.value, KeyError)       # what load() raised before


def test_load_in_a_notebook_cell_names_the_chapter_line(monkeypatch):
    """A kernel runs a chapter's cell from a file of its own: the cell is found in the chapter and the line
    of the call given in the chapter's lines."""
    import usrubook
    from usrubook.book.cells import code_cells
    from usrubook.chapter.data import CHAPTER_ENV, UnknownTableError

    text = (ROOT / "chapters/trade.md").read_text(encoding="utf-8")
    cell = next(iter(code_cells(text).values()))
    cell_lines = text.splitlines()[cell.body_line - 1:]
    cell_lines = cell_lines[:cell_lines.index("```")]
    at = cell_lines.index('ts = usrubook.load("trade_series")') + 1       # the call's line within the cell
    fake = "/tmp/ipykernel_0/0123456789.py"
    monkeypatch.setitem(linecache.cache, fake, (0, None, [line + "\n" for line in cell_lines], fake))
    monkeypatch.setenv(CHAPTER_ENV, "chapters/trade.md")
    code = compile("\n" * (at - 1) + 'usrubook.load("nonsense")\n', fake, "exec")
    with pytest.raises(UnknownTableError) as info:
        exec(code, {"usrubook": usrubook})
    assert str(info.value).startswith(f"chapters/trade.md, line {cell.body_line + at - 1}: load('nonsense')")


def test_static_check_names_the_line_of_each_bad_load():
    from usrubook.book.execution import dependencies, load_problems

    source = 'x = 1\nt = usrubook.load("trade")\n\nu = usrubook.load("tarde")\nv = usrubook.load(name)\n'
    problems = load_problems(source)
    assert [line for line, _ in problems] == [4, 5]
    assert problems[0][1].startswith("load('tarde'): there is no table 'tarde' in data/.\n    How to fix: did you "
                                     "mean 'trade'?")
    assert "computed table name" in problems[1][1]
    with pytest.raises(ValueError, match="^line 4: load"):
        dependencies(source)
    assert dependencies('t = usrubook.load("trade")\n') == ["data/trade.csv"]


def test_code_cells_are_located_in_the_chapter():
    from usrubook.book.cells import code_cells

    text = (ROOT / "chapters/trade.md").read_text(encoding="utf-8")
    lines = text.splitlines()
    cells = list(code_cells(text).values())
    fences = [n for n, line in enumerate(lines, 1) if line.startswith("```{code-cell}")]
    assert [c.fence_line for c in cells] == fences
    assert [c.number for c in cells] == list(range(1, len(fences) + 1))
    for c in cells:       # the first line of code: after the fence and the cell's options
        first = lines[c.body_line - 1]
        assert c.body_line > c.fence_line and first.strip() and not first.startswith((":", "---", "```"))


def test_chapter_kernels_listen_on_files_not_tcp_ports(tmp_path):
    """The build starts chapter kernels two at a time, and the tests run builds side by side: a TCP port that
    jupyter_client found free can be taken by another kernel before this one binds it, which then dies
    ("Address already in use"). The build's kernels use ZeroMQ's IPC transport: socket files in a folder of
    their own."""
    from concurrent.futures import ThreadPoolExecutor

    import nbformat

    from usrubook.book.execution import _execute, _ipc_kernel_manager

    manager = _ipc_kernel_manager(tmp_path)(kernel_name="python3")
    assert manager.transport == "ipc" and manager.ip == str(tmp_path / "kernel")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import json, ipykernel.connect\n"
        "print(json.load(open(ipykernel.connect.get_connection_file()))['transport'])")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}

    def run(page):          # two kernels at once, as the build starts them
        copy = nbformat.from_dict(nb)
        seconds, error, index, stderr = _execute(page, page.name, copy, 60, False)
        assert error is None, (error, stderr)
        return copy.cells[0].outputs[0]["text"].strip()

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(run, [tmp_path / "a.md", tmp_path / "b.md"])) == ["ipc", "ipc"]
