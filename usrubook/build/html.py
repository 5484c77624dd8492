"""The web book's pages: what each page loads, all served by the book itself.

1. The book's stylesheet and scripts (``usrubook/build/static/``) are copied to
   ``_static/``. The Vega runtime (``_static/usrubook-vega.js``, from the npm
   package, see :mod:`usrubook.build.vega`), the page script that draws charts
   (``usrubook-charts.js`` and its styles) and the shared datasets (the world
   outlines) are added only to pages that hold a chart, so that charts draw with
   the network off.
2. MathJax, which Sphinx loads from a CDN, is replaced by a math renderer that
   stops the build: the book has no formulas, and a page must work offline.
3. sphinx-thebe's assets are dropped from every page. Jupyter Book always loads
   sphinx-thebe; with live code off it still writes an inline script naming
   thebe's CDN address (twice after an incremental build: a page error).
"""
from __future__ import annotations

from pathlib import Path

from sphinx.errors import SphinxError

from usrubook.build import vega
from usrubook.build.protocol import CHART_CLASS, SHARED_MARKER, SHARED_SCRIPT

STATIC = Path(__file__).resolve().parent / "static"
BUNDLE_NAME = "usrubook-vega.js"


def _generated(app) -> Path:
    """The folder of files made at build time (the Vega bundle, the shared datasets), beside the output."""
    return Path(app.outdir).parent / ".usrubook_static"


def _write_generated(app):
    if app.builder.format != "html":
        return
    from usrubook.chapter.geo import shared_script
    from usrubook.pipeline.csvio import write_if_changed

    write_if_changed(_generated(app) / SHARED_SCRIPT, shared_script())


def _write_bundle(app):
    if app.builder.format != "html":
        return
    from usrubook.pipeline.csvio import write_if_changed

    write_if_changed(_generated(app) / BUNDLE_NAME, vega.bundle(Path(app.srcdir)))
    app.config.html_static_path.extend([str(STATIC), str(_generated(app))])


def _is_thebe(asset) -> bool:
    body = getattr(asset, "attributes", {}).get("body", "") or ""
    return "THEBE_JS_URL" in body or "thebe" in (getattr(asset, "filename", None) or str(asset))


def _page_assets(app, pagename, templatename, context, doctree):
    body = context.get("body", "")
    if SHARED_MARKER in body:
        app.add_js_file(SHARED_SCRIPT, loading_method="defer")
    if CHART_CLASS in body:
        app.add_js_file(BUNDLE_NAME, loading_method="defer")
        app.add_js_file("usrubook-charts.js", loading_method="defer")
        app.add_css_file("usrubook-charts.css")
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [a for a in context[key] if not _is_thebe(a)]


def _no_math(self, node):
    raise SphinxError(
        f"{node.source}:{node.line}: math is not supported: MathJax would be loaded from the internet. "
        "Write the formula in words or with plain characters (e.g. v / (1 - p/100)).")


def setup(app):
    app.add_css_file("usrubook.css")
    app.add_html_math_renderer("usrubook-offline", (_no_math, None), (_no_math, None))
    app.config.html_math_renderer = "usrubook-offline"
    app.connect("builder-inited", _write_generated)
    app.connect("builder-inited", _write_bundle)
    app.connect("html-page-context", _page_assets)
