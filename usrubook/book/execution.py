"""Chapters re-execute when their data change, execute in parallel, and a failing chapter is reported in brief.

jupyter-cache keys a notebook on its cell code only, so a new ``data/trade.csv``
would otherwise be served stale outputs. A chapter depends on the tables its
code loads (``load("trade")`` means ``data/trade.csv``; ``datapackage_descriptor()``
means ``data/datapackage.json``) and on the ``usrubook`` package. Sphinx is told
of these dependencies, so it re-reads the chapter when one changes; and before
any page is read (whatever the reason: a change, or a full re-read after a change
of configuration or in a moved folder) its jupyter-cache record counts as stale if a
dependency is newer than the record, so the page executes again.

Before anything is executed, every page to be read is checked for ``load()`` of a
table that does not exist; such a call stops the build with the page and line.

Every notebook that must execute is run here, before Sphinx reads any page, in
parallel (a thread per notebook, each driving its own kernel, which is told its
chapter in ``$USRUBOOK_CHAPTER``), and stored in jupyter-cache, where myst-nb then
finds it. A record is replaced only by a successful execution: a chapter that
fails leaves its previous outputs in the cache. If any chapter fails, the build
stops before reading a page (so nothing built before is touched) with one short
report per failed chapter: the chapter and line of the failing statement, the
code cell (its number and the line where it starts) and the exception; the full
traceback goes to ``<outdir>/reports/<page>.err.log``.

A failed build leaves Sphinx's saved environment as the last good build left it
(:func:`keep_environment`, :func:`restore_environment`; see the comment there).
"""
from __future__ import annotations

import functools
import os
import re
import shutil
import sys
from dataclasses import dataclass
from datetime import timezone
from pathlib import Path

from sphinx.errors import SphinxError
from sphinx.util import logging

from usrubook.book.cells import Cell, code_cells, line_in_cell, located, strip_ansi
from usrubook.book.protocol import CHAPTER_ENV, CONVERTER_ENV
from usrubook.pipeline.schema import DERIVED, SOURCES_BOX_TABLES

logger = logging.getLogger(__name__)

_LOAD = re.compile(r"""\bload\(\s*["']([A-Za-z0-9_]+)["']""")
_LOAD_COMPUTED = re.compile(r"""\bload\(\s*[^"'\s)]""")
_DATAPACKAGE = re.compile(r"\bdatapackage_descriptor\(\s*\)")
_BOX_REF = re.compile(r"""["'](claims|relations|trade|corrections|outlook|events):[a-z0-9-]+["']""")
_PACKAGE = Path(__file__).resolve().parent.parent   # the usrubook package, all its modules


class ChapterFailed(SphinxError):
    """A chapter cannot be executed; the message names the chapter, its line and the cause."""

    category = "Chapter failed"


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def load_problems(source: str) -> list[tuple[int, str]]:
    """``(line, problem)`` for each ``load()`` call whose table cannot be known or does not exist; a problem
    ends with how to fix it."""
    problems = []
    for m in _LOAD_COMPUTED.finditer(source):
        problems.append((_line_of(source, m.start()),
                         "load() is called with a computed table name, so the chapter's data dependencies cannot "
                         "be tracked.\n    How to fix: call load() with the table's name as a literal string."))
    for m in _LOAD.finditer(source):
        name = m.group(1)
        if name not in DERIVED:
            # (imported here: usrubook.chapter.data imports pandas, which the build itself never needs)
            from usrubook.chapter.data import unknown_table

            problem, fix = unknown_table(name)
            problems.append((_line_of(source, m.start()), f"{problem}\n    How to fix: {fix}"))
    return sorted(problems)


def box_tables(source: str) -> list[str]:
    """The tables a page reads through the chapter helpers rather than load(): a "How the sources tell it" box
    (sources_box) reads the seeds, the judgements and the table of each statement it names ('claims:…'); a
    chronology chart reads the seeds' event passages to ring the events they tell."""
    tables = set()
    if "sources_box(" in source:
        tables |= set(SOURCES_BOX_TABLES)
        tables |= {"event_sources" if t == "events" else t for t in _BOX_REF.findall(source)}
    if "chronology_chart(" in source:
        tables.add("event_sources")
    return sorted(tables)


def dependencies(source: str) -> list[str]:
    """Paths (relative to the book root) a chapter's code depends on."""
    problems = load_problems(source)
    if problems:
        line, problem = problems[0]
        raise ValueError(f"line {line}: {problem}")
    tables = set(_LOAD.findall(source)) | set(box_tables(source))
    tables = sorted(tables)
    extra = ["data/datapackage.json"] if _DATAPACKAGE.search(source) else []
    return [DERIVED[t].path for t in tables] + extra


def note_dependencies(app, docname, source):
    text = source[0]
    if "{code-cell}" not in text:
        return
    for rel in dependencies(text):     # check_loads has vetted every load() of the pages read
        app.env.note_dependency(str(Path(app.srcdir) / rel))
    for py in sorted(_PACKAGE.rglob("*.py")):
        app.env.note_dependency(str(py))


def _module_path(name: str) -> Path | None:
    """The file of a module of the package (``usrubook.chapter.charts``), or None."""
    parts = name.split(".")[1:]
    for path in (_PACKAGE.joinpath(*parts).with_suffix(".py") if parts else None,
                 _PACKAGE.joinpath(*parts, "__init__.py")):
        if path is not None and path.is_file():
            return path
    return None


def _imports(path: Path) -> frozenset[str]:
    """The package's modules that the module at ``path`` imports (anywhere in it, functions too). Each file is
    parsed once per build process while it is unchanged (every page's closure shares most of the package)."""
    st = path.stat()
    return _imports_of(path, st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=512)
def _imports_of(path: Path, mtime_ns: int, size: int) -> frozenset[str]:
    import ast

    # the package a relative import starts from: the module's own for an __init__.py, else its parent's
    package = ".".join(("usrubook",) + path.relative_to(_PACKAGE).with_suffix("").parts).rsplit(".", 1)[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + ([base] if base else []))
            names.add(base)
            names |= {f"{base}.{a.name}" for a in node.names}
    return frozenset(n for n in names if n == "usrubook" or n.startswith("usrubook."))


@functools.lru_cache(maxsize=32)
def _closure(roots: frozenset[str], stamp: tuple) -> tuple[Path, ...]:
    todo, seen = list(roots), set()
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for i in range(1, len(parts) + 1):           # a module's packages run their __init__ first
            path = _module_path(".".join(parts[:i]))
            if path is not None and path not in seen:
                seen.add(path)
                todo.extend(_imports(path))
    return tuple(sorted(seen))


def kernel_modules(source: str = "") -> list[Path]:
    """The package's modules a chapter's kernel may import, which its outputs therefore depend on: the top-level
    modules and ``usrubook.chapter`` (the chapters' API, which ``usrubook``'s lazy names lead to), every module of
    the package that the page's code names, and all they import, followed through the package's source.
    The build's own modules (``usrubook.book``, but for what the chapters' code imports, such as its protocol)
    are not among them: changing them does not make the chapters execute again."""
    roots = {"usrubook"} | {"usrubook." + p.stem for p in _PACKAGE.glob("*.py") if p.stem != "__init__"}
    roots |= {".".join(("usrubook",) + p.relative_to(_PACKAGE).with_suffix("").parts)
              for p in (_PACKAGE / "chapter").rglob("*.py")}
    roots |= set(re.findall(r"\busrubook(?:\.\w+)+", source))
    stamp = tuple((str(p), p.stat().st_mtime_ns) for p in sorted(_PACKAGE.rglob("*.py")))
    return list(_closure(frozenset(roots), stamp))


def _newest_dependency(srcdir: str, source: str) -> float:
    """mtime of the newest file a page's code depends on: its data (all of data/ if it cannot be told) and the
    package's modules its kernel may import (:func:`kernel_modules`)."""
    try:
        paths = [Path(srcdir) / rel for rel in dependencies(source)]
    except ValueError:
        paths = list((Path(srcdir) / "data").glob("*.*"))
    paths += kernel_modules(source)
    return max((p.stat().st_mtime for p in paths if p.is_file()), default=0.0)


def _notebook_sources(env, docnames):
    for docname in sorted(docnames):
        path = Path(env.doc2path(docname))
        if path.suffix == ".md":
            text = path.read_text(encoding="utf-8")
            if "{code-cell}" in text:
                yield path, text


def shown(path: Path | str) -> str:
    """``path`` as a user would type it: relative to the working directory when inside it."""
    path = Path(path).resolve()
    cwd = Path.cwd().resolve()
    return str(path.relative_to(cwd)) if path.is_relative_to(cwd) else str(path)


def _fail(message: str, category: str | None = None):
    """Raise :class:`ChapterFailed`; the command-line tool's traceback around it is left out."""
    _install_excepthook()
    exc = ChapterFailed(message)
    if category:
        exc.category = category
    raise exc


def check_loads(pages: list[tuple[Path, str]]) -> None:
    """Stop the build, before anything executes, if a page calls ``load()`` of an unknown table."""
    found = [f"{shown(path)}:{line}: {problem}" for path, text in pages for line, problem in load_problems(text)]
    if found:
        _fail("\n".join(found), "Unknown table in a chapter" if len(found) == 1 else "Unknown tables in chapters")


# ---------------------------------------------------------------------------- executing the chapters

@dataclass
class Failure:
    path: Path           # the chapter
    cell: Cell | None
    count: int           # code cells in the chapter
    line: int | None     # the chapter's line of the failing statement
    cause: str
    report: Path

    def summary(self) -> str:
        return located(shown(self.path), self.cell, self.count, self.line, f"raised {self.cause}")

    def __str__(self) -> str:
        return f"{self.summary()}\n    Full traceback: {shown(self.report)}"


def _ipc_kernel_manager(folder: Path, server: str | None = None):
    """A kernel manager class whose kernels listen on socket files in ``folder`` (ZeroMQ's IPC transport), not on
    TCP ports. jupyter_client picks a TCP port by asking the system for a free one and lets it go before the
    kernel binds it: two kernels started at once (the build runs two; the tests run builds side by side) can
    get the same port, and the second dies ("Address already in use", "Kernel died before replying to
    kernel_info"). With ``server`` (a socket's path), each kernel is forked by the book's kernel server
    (:mod:`usrubook.book.forkserver`) instead of started anew."""
    from jupyter_client.manager import AsyncKernelManager

    from usrubook.book.forkserver import client_command

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(transport="ipc", ip=str(folder / "kernel"), **kwargs)

        def format_kernel_cmd(self, extra_arguments=None):
            cmd = super().format_kernel_cmd(extra_arguments)
            return client_command(server, cmd) if server else cmd

    return IPCKernelManager


def _execute(path: Path, rel: str, nb, timeout, allow_errors, server: str | None = None,
             converter: str | None = None):
    """Execute ``nb`` in place, as jupyter-cache would (kernel in the chapter's folder); returns
    ``(seconds, error, index of the cell that was running, the kernel's standard error)``.

    The kernel's own standard error (the process's, not a cell's: a cell's stderr is one of its outputs) is
    captured, not passed through to the build's: a kernel shut down while it still answers a control message
    logs a tornado/ZMQ traceback there, which would otherwise be printed ahead of the build's report."""
    import tempfile
    import time

    from nbclient import NotebookClient

    meta = nb.metadata.get("execution", {})     # as jupyter-cache's meta_override
    running = {"index": None}

    def started(cell, cell_index, **kwargs):
        running["index"] = cell_index

    start = time.perf_counter()
    error = None
    with tempfile.TemporaryDirectory(prefix="usrubook-kernel-") as sockets, tempfile.TemporaryFile() as kernel_stderr:
        client = NotebookClient(nb, timeout=meta.get("timeout", timeout),
                                allow_errors=meta.get("allow_errors", allow_errors),
                                record_timing=False, resources={"metadata": {"path": str(path.parent)}},
                                on_cell_execute=started,
                                kernel_manager_class=_ipc_kernel_manager(Path(sockets), server),
                                extra_arguments=["--IPKernelApp.log_level=ERROR"])
        try:
            # the keywords go to the kernel's process (jupyter_client's launch_kernel)
            kernel_env = {**os.environ, CHAPTER_ENV: rel, **({CONVERTER_ENV: converter} if converter else {})}
            client.execute(env=kernel_env, stderr=kernel_stderr)
        except Exception as exc:      # a cell failed or timed out, or the kernel died: a failure of this chapter
            error = exc
        kernel_stderr.seek(0)
        stderr = kernel_stderr.read().decode("utf-8", errors="replace")
    return time.perf_counter() - start, error, running["index"], strip_ansi(stderr).strip()


def _cause(nb, index, error) -> tuple[str, int | None]:
    """The exception's type and message, and the line within the cell of the failing statement."""
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    if isinstance(error, CellExecutionError):
        tb = ""
        if index is not None:
            for out in nb.cells[index].get("outputs", []):
                if out.get("output_type") == "error":
                    tb = "\n".join(out.get("traceback", []))
        return f"{error.ename}: {error.evalue}", line_in_cell(tb or error.traceback or "")
    if isinstance(error, CellTimeoutError):
        return f"a timeout: {strip_ansi(str(error)).splitlines()[0]}", None
    return f"{type(error).__name__}: {error}", None


def _traceback(error) -> str:
    import traceback

    from nbclient.exceptions import CellExecutionError

    text = str(error) if isinstance(error, CellExecutionError) else \
        "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return strip_ansi(text)


def pre_execute(app, env, docnames):
    pages = list(_notebook_sources(env, docnames))
    check_loads(pages)
    config = getattr(env, "mystnb_config", None)
    if config is None or config.execution_mode != "cache" or not config.execution_cache_path:
        return
    from contextlib import ExitStack

    from jupyter_cache import get_cache

    from usrubook.book import forkserver

    cache = get_cache(config.execution_cache_path)
    with ExitStack() as servers:
        # More than one page to execute: their kernels are forked from one process that has imported what they
        # import (usrubook.book.forkserver). With fewer executions recorded than pages (a clean build), it starts
        # now, and imports while the pages are matched against the records, unless it was started with the
        # process (usrubook.book.jb, for a build without a cache).
        def report(text):
            logger.info(f"usrubook: the kernel server ended; the pages ran in kernels of their own:\n{text}")

        def report_converter(text):
            logger.info(f"usrubook: the charts' converter ended; each kernel converted its own charts:\n{text}")

        def start():
            return servers.enter_context(forkserver.running(Path(app.srcdir), report))

        server = forkserver.take_early(servers, report)
        converter = forkserver.take_early(servers, report_converter, forkserver.CONVERTER)
        if server is None and len(pages) > 1 and len(cache.list_cache_records()) < len(pages):
            server = start()
        stale = _stale(app, env, cache, pages)
        if not stale:
            return
        if server is None and len(stale) > 1:
            server = start()
        if server is not None and converter is None:    # and one vl-convert for their charts (usrubook.book.vlserver)
            converter = servers.enter_context(forkserver.running(Path(app.srcdir), report_converter,
                                                                 forkserver.CONVERTER))
        results = _execute_all(app, env, config, stale, server, converter)
    _record(app, env, cache, stale, results)


def _stale(app, env, cache, pages) -> list:
    """The pages whose execution the cache does not hold, or holds from before their data last changed:
    ``(path, text, notebook, source map)`` each."""
    from myst_nb.core.read import read_myst_markdown_notebook

    stale = []
    for path, text in pages:
        try:
            nb = read_myst_markdown_notebook(text, path=str(path), add_source_map=True)
        except Exception as exc:   # e.g. a cell's options are not valid YAML ("Code cell 4 at line 127 ...")
            at = re.search(r"\bat line (\d+)", str(exc))
            _fail(f"{shown(path)}:{at.group(1) if at else 1}: {exc}", "Chapter cannot be read")
        source_map = nb.metadata.pop("source_map")
        try:
            record = cache.match_cache_notebook(nb)
        except KeyError:
            stale.append((path, text, nb, source_map))
            continue
        created = record.created
        if created.tzinfo is None:          # jupyter-cache stores naive UTC
            created = created.replace(tzinfo=timezone.utc)
        if _newest_dependency(app.srcdir, text) > created.timestamp():
            # the record stays until a new execution succeeds and replaces it
            logger.info(f"usrubook: data changed, {env.path2doc(str(path))} will re-execute")
            stale.append((path, text, nb, source_map))
    return stale


def _execute_all(app, env, config, stale: list, server: str | None, converter: str | None = None) -> list:
    """Execute the stale pages, several at once (their kernels forked by ``server`` when given, their charts
    converted by ``converter`` when given)."""
    from concurrent.futures import ThreadPoolExecutor

    names = ", ".join(env.path2doc(str(p)) or str(p) for p, *_ in stale)
    logger.info(f"usrubook: executing {'in parallel: ' if len(stale) > 1 else ''}{names}")
    srcdir = Path(app.srcdir)

    def execute(item):
        path, _, nb, _ = item
        rel = path.relative_to(srcdir).as_posix() if path.is_relative_to(srcdir) else str(path)
        return _execute(path, rel, nb, config.execution_timeout, config.execution_allow_errors, server, converter)

    # Threads suffice: each kernel is a process of its own. The cache (SQLite) is written from this thread only.
    with ThreadPoolExecutor(max_workers=min(len(stale), 2 * (os.cpu_count() or 1))) as pool:
        return list(pool.map(execute, stale))


def _record(app, env, cache, stale: list, results: list) -> None:
    """Store each page that ran in the cache; report the pages that failed (the build stops)."""
    from jupyter_cache.cache.main import CacheBundleIn

    failures = []
    for (path, text, nb, source_map), (seconds, error, index, stderr) in zip(stale, results, strict=True):
        docname = env.path2doc(str(path))
        report = Path(app.outdir) / "reports" / f"{docname}.err.log"
        if stderr:      # into the build's progress (make html: its log), never ahead of a failure's report
            logger.info(f"usrubook: the kernel of {docname} wrote to its standard error:\n{stderr}")
        if error is None:
            cache.cache_notebook_bundle(CacheBundleIn(nb, str(path), data={"execution_seconds": seconds}),
                                        check_validity=False, overwrite=True)
            report.unlink(missing_ok=True)
            continue
        nb.metadata["source_map"] = source_map
        cells = code_cells(text, nb)
        cell = cells.get(index) if index is not None else None
        cause, line_in_cell = _cause(nb, index, error)
        line = cell.body_line + line_in_cell - 1 if cell and line_in_cell else None
        failure = Failure(path, cell, len(cells), line, cause, report)
        report.parent.mkdir(parents=True, exist_ok=True)
        kernel = f"\n\nThe kernel's own standard error:\n{stderr}\n" if stderr else ""
        report.write_text(failure.summary() + "\n\n" + _traceback(error) + kernel, encoding="utf-8")
        failures.append(failure)
    if failures:
        _fail("\n".join(str(f) for f in failures),
              "Chapter failed" if len(failures) == 1 else f"{len(failures)} chapters failed")


# ---------------------------------------------------------------------------- reporting

def _chain(exc):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _install_excepthook() -> None:
    """Leave out the traceback that ``jupyter-book`` prints around a :class:`ChapterFailed` (about 40 lines
    of its own and Sphinx's frames, after the report Sphinx has already printed): print only its message."""
    previous = sys.excepthook
    if getattr(previous, "usrubook", False):
        return

    def hook(etype, value, tb):
        if any(isinstance(e, ChapterFailed) for e in _chain(value)):
            print(str(value) or etype.__name__, file=sys.stderr)
            return
        previous(etype, value, tb)

    hook.usrubook = True
    sys.excepthook = hook


# ---------------------------------------------------------------------------- the saved environment
#
# Sphinx deletes its saved environment (_build/.doctrees/environment.pickle) when a build raises, so that
# the next build starts afresh: every page read again, and written again. And when a strict build (-W
# --keep-going) fails on warnings, it saves the environment of the failed build, so the next build takes
# the faulty pages as up to date and passes without a warning. Both are undone here: a failed build leaves
# the environment of the last good build (or none, if there was none), so the next build reads again
# exactly the pages changed since then, and reports their warnings again.

_KEPT = ".usrubook-previous"


def _env_pickle(app) -> Path:
    from sphinx.application import ENV_PICKLE_FILENAME

    return Path(app.doctreedir) / ENV_PICKLE_FILENAME


def doctree_dir(build_dir: Path | str, outdir_name: str) -> Path:
    """Where the build that writes ``<build_dir>/<outdir_name>`` keeps its saved environment and doctrees: the HTML
    build in ``.doctrees`` (jupyter-book's folder), any other (the LaTeX build: ``latex``) in a folder of its own,
    ``.doctrees-latex``."""
    return Path(build_dir) / (".doctrees" if outdir_name == "html" else f".doctrees-{outdir_name}")


def own_doctrees(app, config):
    """``config-inited``, before Sphinx loads its saved environment: give the build the environment of its own
    output folder (:func:`doctree_dir`). jupyter-book gives the HTML and the LaTeX build one folder, so each found
    the other's environment (another builder, other settings) and read every page again: after `make book`, a
    prose edit re-read all fourteen pages, and so did every `make pdf` after `make html`."""
    outdir = Path(app.outdir)
    if Path(app.doctreedir) != outdir.parent / ".doctrees":
        return      # a folder chosen by whoever runs Sphinx, not jupyter-book's shared one
    own = doctree_dir(outdir.parent, outdir.name)
    own.mkdir(parents=True, exist_ok=True)
    app.doctreedir = type(app.doctreedir)(own)


def clean_build_record(doctreedir: Path | str, builder: str) -> Path:
    """The file that tells whether the last ``builder`` build started clean, with an empty output folder
    ("clean"), or on an earlier build's output ("incremental"). An incremental build
    may differ from a clean one in ways Sphinx and its extensions allow (a ``?v=`` checksum on a stylesheet
    that existed before the pages were written; search-index terms of removed words): the determinism test
    compares clean builds only."""
    return Path(doctreedir) / f"usrubook-{builder}-build"


def keep_environment(app):
    """Copy the environment of the last build (``builder-inited``, before anything is read), and record whether
    this build starts clean."""
    saved = _env_pickle(app)
    outdir = Path(app.outdir)
    clean = not (outdir.is_dir() and any(outdir.iterdir()))
    record = clean_build_record(app.doctreedir, app.builder.name)
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text("clean\n" if clean else "incremental\n", encoding="utf-8")
    app.usrubook_had_environment = saved.is_file()
    if app.usrubook_had_environment:
        shutil.copy2(saved, saved.with_name(saved.name + _KEPT))


def build_failed(app, exception) -> bool:
    """Whether the build fails: it raised, or it had warnings and warnings are errors (``-W``; with
    ``--keep-going`` Sphinx counts them and fails at the end, and sets ``keep_going`` in place of ``warningiserror``)."""
    strict = app.warningiserror or getattr(app, "keep_going", False)
    return exception is not None or bool(strict and getattr(app, "_warncount", 0))


def restore_environment(app, exception):
    """After a failed build, put back the environment of the last good build (``build-finished``)."""
    if not hasattr(app, "usrubook_had_environment"):
        return
    saved = _env_pickle(app)
    kept = saved.with_name(saved.name + _KEPT)
    if not build_failed(app, exception):
        kept.unlink(missing_ok=True)
    elif app.usrubook_had_environment and kept.is_file():
        os.replace(kept, saved)
    elif not app.usrubook_had_environment:
        saved.unlink(missing_ok=True)       # written by this failed build: the next one starts afresh
