"""Chapters re-execute when their data change, and stale notebooks execute in parallel.

jupyter-cache keys a notebook on its cell code only, so a new ``data/trade.csv``
would otherwise be served stale outputs. A chapter depends on the tables its
code loads (``load("trade")`` means ``data/trade.csv``; ``datapackage_descriptor()``
means ``data/datapackage.json``) and on the ``usrubook`` package. Sphinx is told
of these dependencies, so it re-reads the chapter when one changes; and before
any page is read (whatever the reason: a change, or a full re-read after the PDF
build changed the configuration) its jupyter-cache record is dropped if a
dependency is newer than the record, so the page executes again.

Both cores are used: notebooks that must execute are run in parallel (a thread
per notebook, each driving its own kernel) before Sphinx reads them, and stored
in jupyter-cache, where myst-nb then finds them; a notebook that fails is left
to myst-nb, which runs it again and reports the error.
"""
from __future__ import annotations

import os
import re
from datetime import timezone
from pathlib import Path

from sphinx.util import logging

from usrubook.pipeline.schema import DERIVED

logger = logging.getLogger(__name__)

_LOAD = re.compile(r"""\bload\(\s*["']([A-Za-z0-9_]+)["']""")
_LOAD_COMPUTED = re.compile(r"""\bload\(\s*[^"'\s)]""")
_DATAPACKAGE = re.compile(r"\bdatapackage_descriptor\(\s*\)")
_PACKAGE = Path(__file__).resolve().parent.parent   # the usrubook package, all its modules


def dependencies(source: str) -> list[str]:
    """Paths (relative to the book root) a chapter's code depends on."""
    if _LOAD_COMPUTED.search(source):
        raise ValueError("load() is called with a computed table name, so the chapter's data dependencies cannot "
                         "be tracked; call load() with the table's name as a literal string")
    tables = sorted(set(_LOAD.findall(source)))
    unknown = [t for t in tables if t not in DERIVED]
    if unknown:
        raise ValueError(f"load() of unknown table(s) {', '.join(unknown)}; known: {', '.join(sorted(DERIVED))}")
    extra = ["data/datapackage.json"] if _DATAPACKAGE.search(source) else []
    return [DERIVED[t].path for t in tables] + extra


def note_dependencies(app, docname, source):
    text = source[0]
    if "{code-cell}" not in text:
        return
    try:
        deps = dependencies(text)
    except ValueError as exc:
        logger.warning(f"{docname}: {exc}", location=docname)
        return
    for rel in deps:
        app.env.note_dependency(str(Path(app.srcdir) / rel))
    for py in sorted(_PACKAGE.rglob("*.py")):
        app.env.note_dependency(str(py))


def _newest_dependency(srcdir: str, source: str) -> float:
    """mtime of the newest file a page's code depends on (all of data/ if it cannot be told)."""
    try:
        paths = [Path(srcdir) / rel for rel in dependencies(source)]
    except ValueError:
        paths = list((Path(srcdir) / "data").glob("*.*"))
    paths += list(_PACKAGE.rglob("*.py"))
    return max((p.stat().st_mtime for p in paths if p.is_file()), default=0.0)


def _notebook_sources(env, docnames):
    for docname in sorted(docnames):
        path = Path(env.doc2path(docname))
        if path.suffix == ".md":
            text = path.read_text(encoding="utf-8")
            if "{code-cell}" in text:
                yield path, text


def pre_execute(app, env, docnames):
    config = getattr(env, "mystnb_config", None)
    if config is None or config.execution_mode != "cache" or not config.execution_cache_path:
        return
    from jupyter_cache import get_cache
    from myst_nb.core.read import read_myst_markdown_notebook

    cache = get_cache(config.execution_cache_path)
    stale = []
    for path, text in _notebook_sources(env, docnames):
        try:
            record = cache.match_cache_notebook(read_myst_markdown_notebook(text, path=str(path)))
        except KeyError:
            stale.append(path)
            continue
        created = record.created
        if created.tzinfo is None:          # jupyter-cache stores naive UTC
            created = created.replace(tzinfo=timezone.utc)
        if _newest_dependency(app.srcdir, text) > created.timestamp():
            cache.remove_cache(record.pk)
            logger.info(f"usrubook: data changed, {env.path2doc(str(path))} will re-execute")
            stale.append(path)
    if len(stale) < 2:
        return   # one notebook gains nothing from a pool; myst-nb runs it as usual
    from concurrent.futures import ThreadPoolExecutor

    from jupyter_cache.cache.main import CacheBundleIn
    from jupyter_cache.executors.utils import single_nb_execution

    names = ", ".join(env.path2doc(str(p)) or str(p) for p in stale)
    logger.info(f"usrubook: executing in parallel: {names}")
    notebooks = [read_myst_markdown_notebook(p.read_text(encoding="utf-8"), path=str(p)) for p in stale]

    def execute(item):
        path, nb = item
        return single_nb_execution(nb, cwd=str(path.parent), timeout=config.execution_timeout,
                                   allow_errors=config.execution_allow_errors, meta_override=True)

    # Threads suffice: each kernel is a process of its own. The cache (SQLite) is written
    # from this thread only; a notebook that failed is left to myst-nb, which reports it.
    with ThreadPoolExecutor(max_workers=min(len(stale), 2 * (os.cpu_count() or 1))) as pool:
        results = list(pool.map(execute, zip(stale, notebooks, strict=True)))
    for path, nb, result in zip(stale, notebooks, results, strict=True):
        if result.err is None:
            cache.cache_notebook_bundle(CacheBundleIn(nb, str(path), data={"execution_seconds": result.time}),
                                        check_validity=False, overwrite=True)
