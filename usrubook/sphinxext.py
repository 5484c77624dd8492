"""Sphinx extension of the book.

1. Serves the Vega, Vega-Lite and vega-embed JavaScript from the book itself
   (``_static/usrubook-vega.js``, built by vl-convert) and adds it only to pages
   that hold a chart, so that charts draw with the network off.
2. Makes data changes re-execute chapters. jupyter-cache keys a notebook on its
   cell code only, so a new ``data/trade.csv`` would otherwise be served stale
   outputs. A chapter depends on the tables its code loads (``load("trade")``
   means ``data/trade.csv``; ``datapackage_descriptor()`` means
   ``data/datapackage.json``) and on the ``usrubook`` package. Sphinx is told of
   these dependencies, so it re-reads the chapter when one changes; and before
   any page is read (whatever the reason: a change, or a full re-read after the
   PDF build changed the configuration) its jupyter-cache record is dropped if a
   dependency is newer than the record, so the page executes again.
3. Replaces MathJax, which Sphinx loads from a CDN, with a math renderer that
   stops the build: the book has no formulas, and a page must work offline.
4. Uses both cores: notebooks that must execute are run in parallel (a thread
   per notebook, each driving its own kernel) before Sphinx reads them, and stored
   in jupyter-cache, where myst-nb then finds them; a notebook that fails is left
   to myst-nb, which runs it again and reports the error, and the Vega bundle is copied (or, on an
   environment's first build, generated) in a subprocess meanwhile.
5. Registers the ``seed-text`` directive (:mod:`usrubook.seedtext`) and its styles.
6. Drops sphinx-thebe's assets from every page. Jupyter Book always loads
   sphinx-thebe; with live code off it still writes an inline script naming
   thebe's CDN address (twice after an incremental build: a page error).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timezone
from pathlib import Path

from sphinx.errors import SphinxError
from sphinx.util import logging

from usrubook import vega
from usrubook.schema import DERIVED

logger = logging.getLogger(__name__)

STATIC_NAME = "usrubook-vega.js"
_LOAD = re.compile(r"""\bload\(\s*["']([A-Za-z0-9_]+)["']""")
_LOAD_COMPUTED = re.compile(r"""\bload\(\s*[^"'\s)]""")
_DATAPACKAGE = re.compile(r"\bdatapackage_descriptor\(\s*\)")
_PACKAGE = Path(__file__).resolve().parent


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


def _note_dependencies(app, docname, source):
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
    for py in sorted(_PACKAGE.glob("*.py")):
        app.env.note_dependency(str(py))


def _newest_dependency(srcdir: str, source: str) -> float:
    """mtime of the newest file a page's code depends on (all of data/ if it cannot be told)."""
    try:
        paths = [Path(srcdir) / rel for rel in dependencies(source)]
    except ValueError:
        paths = list((Path(srcdir) / "data").glob("*.*"))
    paths += list(_PACKAGE.glob("*.py"))
    return max((p.stat().st_mtime for p in paths if p.is_file()), default=0.0)


def _notebook_sources(env, docnames):
    for docname in sorted(docnames):
        path = Path(env.doc2path(docname))
        if path.suffix == ".md":
            text = path.read_text(encoding="utf-8")
            if "{code-cell}" in text:
                yield path, text


def _pre_execute(app, env, docnames):
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


# Emoji and pictographs (seed 000's bullets) are missing from the PDF's text font; Symbola (Debian fonts-symbola)
# has them. Only the LaTeX output is touched: browsers choose their own fallback fonts.
_SYMBOLS = re.compile("[\u2600-\u27bf\ufe0f\U0001F000-\U0001FAFF]+")
SYMBOL_LATEX = r"""
\newfontfamily\usrubooksymbols{Symbola}
\newcommand{\DUrolesymbol}[1]{{\usrubooksymbols #1}}
"""


def _symbol_font_transform():
    from docutils import nodes
    from sphinx.transforms.post_transforms import SphinxPostTransform

    class SymbolFont(SphinxPostTransform):
        """Set every run of symbol characters in a 'symbol' role, which the LaTeX preamble draws in Symbola."""
        default_priority = 200
        formats = ("latex",)

        def run(self, **kwargs):
            for text in list(self.document.findall(nodes.Text)):
                if isinstance(text.parent, (nodes.FixedTextElement, nodes.raw)) or not _SYMBOLS.search(text):
                    continue
                parts, pos = [], 0
                for m in _SYMBOLS.finditer(text):
                    if m.start() > pos:
                        parts.append(nodes.Text(text[pos:m.start()]))
                    parts.append(nodes.inline(m.group(0), m.group(0), classes=["symbol"]))
                    pos = m.end()
                if pos < len(text):
                    parts.append(nodes.Text(text[pos:]))
                text.parent.replace(text, parts)

    return SymbolFont


def _latex_preamble(app, config):
    from usrubook.seedtext import LATEX

    config.latex_elements = {**config.latex_elements,
                             "preamble": config.latex_elements.get("preamble", "") + LATEX + SYMBOL_LATEX}


def _write_css(app):
    if app.builder.format == "html":
        from usrubook.csvio import write_if_changed
        from usrubook.seedtext import CSS

        folder = Path(app.outdir).parent / ".usrubook_static"
        write_if_changed(folder / "usrubook.css", CSS.lstrip())
        # shared datasets (the world outlines), loaded by a script so that pages opened from disk work too
        from usrubook.geo import shared_script

        write_if_changed(folder / vega.SHARED_SCRIPT, shared_script())


def _bundle_path(app) -> Path:
    return Path(app.outdir).parent / ".usrubook_static" / STATIC_NAME


def _start_bundle(app):
    if app.builder.format != "html":
        return
    path = _bundle_path(app)
    path.parent.mkdir(parents=True, exist_ok=True)
    app.config.html_static_path.append(str(path.parent))
    if not vega.copy_cached(path):
        app.usrubook_bundle = subprocess.Popen(
            [sys.executable, "-c", "import sys; from pathlib import Path; from usrubook.vega import write_bundle; "
                                   "write_bundle(Path(sys.argv[1]))", str(path)])


def _finish_bundle(app, env):
    proc = getattr(app, "usrubook_bundle", None)
    if proc is None:
        return
    app.usrubook_bundle = None
    if proc.wait() != 0 or not _bundle_path(app).is_file():
        raise SphinxError(f"usrubook: writing the Vega bundle {_bundle_path(app)} failed (see the message above).")


def _is_thebe(asset) -> bool:
    body = getattr(asset, "attributes", {}).get("body", "") or ""
    return "THEBE_JS_URL" in body or "thebe" in (getattr(asset, "filename", None) or str(asset))


def _page_assets(app, pagename, templatename, context, doctree):
    body = context.get("body", "")
    if vega.SHARED_MARKER in body:
        app.add_js_file(vega.SHARED_SCRIPT)
    if vega.CHART_CLASS in body:
        app.add_js_file(STATIC_NAME)
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [a for a in context[key] if not _is_thebe(a)]


def _no_math(self, node):
    raise SphinxError(
        f"{node.source}:{node.line}: math is not supported: MathJax would be loaded from the internet. "
        "Write the formula in words or with plain characters (e.g. v / (1 - p/100)).")


def setup(app):
    from usrubook.seedtext import SeedTextDirective

    app.add_directive("seed-text", SeedTextDirective)
    app.add_css_file("usrubook.css")
    app.connect("builder-inited", _write_css)
    app.connect("config-inited", _latex_preamble)
    app.add_post_transform(_symbol_font_transform())
    app.add_html_math_renderer("usrubook-offline", (_no_math, None), (_no_math, None))
    app.config.html_math_renderer = "usrubook-offline"
    app.connect("source-read", _note_dependencies)
    app.connect("env-before-read-docs", _pre_execute)
    app.connect("builder-inited", _start_bundle)
    app.connect("env-updated", _finish_bundle)
    app.connect("html-page-context", _page_assets)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
