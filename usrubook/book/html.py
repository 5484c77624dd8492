"""The web book's pages: what each page loads, all served by the book itself.

1. The book's stylesheet and scripts (``usrubook/book/static/``) are copied to
   ``_static/``. Charts are drawn at build time (:mod:`usrubook.book.figures`); the page
   script that makes them live (``usrubook-charts.js`` and its styles) is added only to
   pages that hold a chart, and it loads the Vega runtime (``_static/usrubook-vega.js``,
   from the npm package, see :mod:`usrubook.book.vega`) only when a reader points at or
   taps a chart. Everything is served by the book: charts work with the network off.
2. MathJax, which Sphinx loads from a CDN, is replaced by a math renderer that
   stops the build: the book has no formulas, and a page must work offline.
3. sphinx-thebe's assets are dropped from every page. Jupyter Book always loads
   sphinx-thebe; with live code off it still writes an inline script naming
   thebe's CDN address (twice after an incremental build: a page error), and at the end of every page its
   configuration, which names a Binder repository of someone else's examples, and a script that sets a kernel
   name (:func:`_drop_thebe_config`).
4. Page weight: no page loads Font Awesome (a 1.45 MB script and a 153 KB font).
   ``_templates/layout.html`` drops the script through the ``usrubook_trim_head``
   filter, the theme's stylesheet is served without Font Awesome's rules (a copy
   written at build time that shadows the theme's), and ``usrubook.css`` draws
   the icons the theme uses as CSS masks. No page loads Sphinx's search index
   or search scripts: the book's search is :mod:`usrubook.book.search`
   (a Pagefind index written after the build, searched by the search page).
   sphinx-design's assets load only on pages that use it (none do now).
5. A page opens with its text (:func:`text_first`): the hidden set-up cells' "Show code cell content" toggles
   follow the page's first text (a chapter's key points) instead of filling a phone's first screen.
6. The parser never stops for a script (issue 19): every script file a page loads runs deferred, after the
   page is parsed and in the order listed (:func:`deferred`), Sphinx's, the theme's, the extensions' and the
   book's alike. Every script still runs before ``DOMContentLoaded``, which is when they set up the page.
7. Accessibility fixes of generated markup: myst-nb's "Show code cell"
   summaries take their name from their visible text (no ``aria-label`` that
   differs from it), and bibliography entries are list items of their list
   (docutils writes the deprecated role ``doc-biblioentry``, which axe-core
   reports as a critical error of the list).
"""
from __future__ import annotations

import re
from pathlib import Path

from sphinx.errors import SphinxError

from usrubook.book import search, vega
from usrubook.book.protocol import CHART_CLASS

STATIC = Path(__file__).resolve().parent / "static"
BUNDLE_NAME = "usrubook-vega.js"

THEME_CSS = "styles/pydata-sphinx-theme.css"
# pydata-sphinx-theme's stylesheet bundles Font Awesome's CSS (about 91 KB of icon rules and the
# @font-face rules) between its first licence comment and the theme's own rules.
_FA_START = "/*!\n * Font Awesome Free"
_FA_END = "html{--pst-header-height"
# The one rule of that block that is not about icons (the theme's templates use .sr-only).
_FA_KEEP = (".sr-only,.sr-only-focusable:not(:focus){height:1px;margin:-1px;overflow:hidden;padding:0;"
            "position:absolute;width:1px;clip:rect(0,0,0,0);border-width:0;white-space:nowrap}")
# Files of the theme that no page loads any more; removed from the output.
UNUSED_THEME_FILES = ("scripts/fontawesome.js", "scripts/fontawesome.js.map", "scripts/fontawesome.js.LICENSE.txt",
                      "vendor/fontawesome")
_HEAD_SCRIPTS = re.compile(
    r'\s*<script[^>]*\bsrc="[^"]*(?:/scripts/fontawesome\.js|/searchtools\.js|/language_data\.js|searchindex\.js)'
    r'[^"]*"[^>]*>\s*</script>')



def _generated(app) -> Path:
    """The folder of files made at build time (the Vega bundle, the theme's stylesheet), beside the output."""
    return Path(app.outdir).parent / ".usrubook_static"


def _write_bundle(app):
    if app.builder.format != "html":
        return
    from usrubook.pipeline.csvio import write_if_changed

    write_if_changed(_generated(app) / BUNDLE_NAME, vega.bundle(Path(app.srcdir)))
    # A file of the book's own static folder left here by an older build would override it (this folder is
    # copied last).
    for name in (p.name for p in STATIC.iterdir()):
        (_generated(app) / name).unlink(missing_ok=True)
    app.config.html_static_path.extend([str(STATIC), str(_generated(app))])


def theme_css_without_fontawesome() -> str:
    """pydata-sphinx-theme's stylesheet less the Font Awesome CSS bundled into it."""
    import pydata_sphinx_theme

    src = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static" / THEME_CSS
    css = src.read_text(encoding="utf-8")
    start, end = css.find(_FA_START), css.find(_FA_END)
    if start < 0 or end < start:
        raise SphinxError(f"usrubook: cannot find Font Awesome's rules in {src}; the theme changed. "
                          "Update usrubook/book/html.py (_FA_START, _FA_END).")
    css = css[:start] + _FA_KEEP + "\n" + css[end:]
    if "Font Awesome" in css:
        raise SphinxError(f"usrubook: {src} still names Font Awesome outside the block that was removed.")
    return re.sub(r"/\*# sourceMappingURL=[^*]*\*/\s*$", "", css)


def trim_head(markup):
    """The theme's <head> assets less the Font Awesome script and Sphinx's search scripts and index
    (``usrubook_trim_head`` filter)."""
    from markupsafe import Markup

    return Markup(_HEAD_SCRIPTS.sub("", str(markup)))


def _write_theme_css(app):
    if app.builder.format != "html":
        return
    from usrubook.pipeline.csvio import write_if_changed

    write_if_changed(_generated(app) / THEME_CSS, theme_css_without_fontawesome())
    app.builder.templates.environment.filters["usrubook_trim_head"] = trim_head


# pydata-sphinx-theme's styles/theme.css holds only `@import "../basic.css"`: a page found the stylesheet it
# imports only once theme.css had arrived, and waited for the two, one after the other, before it could paint. The
# theme.css served is basic.css itself, in the same place among the page's stylesheets (its addresses made
# relative to styles/), so that every stylesheet of a page is asked for at once.
_THEME_IMPORT = re.compile(r'\s*(?:/\*.*?\*/\s*)?@import "\.\./basic\.css";\s*', re.S)


def inline_basic_css(static: Path) -> None:
    """Make ``static/styles/theme.css`` the contents of ``static/basic.css`` instead of an @import of it."""
    theme, basic = static / "styles" / "theme.css", static / "basic.css"
    css = re.sub(r"""url\((['"]?)(?![a-z]+:|/|#)""", r"url(\1../", basic.read_text(encoding="utf-8"))
    text = theme.read_text(encoding="utf-8")
    if text == css:
        return
    if not _THEME_IMPORT.fullmatch(text):
        raise SphinxError(f"usrubook: {theme} is no longer only an @import of basic.css; the theme changed. "
                          "Update usrubook/book/html.py (inline_basic_css).")
    theme.write_text(css, encoding="utf-8")


def _remove_unused_theme_files(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    import shutil

    inline_basic_css(Path(app.outdir) / "_static")

    for rel in UNUSED_THEME_FILES:
        path = Path(app.outdir) / "_static" / rel
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    # the theme's stylesheet less the rules no page can use (usrubook.book.cssprune), from the full copy
    from usrubook.book import cssprune
    from usrubook.book.buildcache import cache_dir

    full = (_generated(app) / THEME_CSS).read_text(encoding="utf-8")
    served = Path(app.outdir) / "_static" / THEME_CSS
    memo = cache_dir(Path(app.doctreedir).parent) / "cssprune.pickle"
    served.write_text(cssprune.prune_served(full, Path(app.outdir), memo), encoding="utf-8")


def _static_digest() -> str:
    import hashlib

    from usrubook.book.buildcache import code_digest

    digest = hashlib.sha256()
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(STATIC).as_posix().encode() + b"\0" + path.read_bytes())
    digest.update(b"\0code\0" + code_digest(*sorted(f"book/{p.name}" for p in STATIC.parent.glob("*.py"))).encode())
    return digest.hexdigest()


def _static_changed(app, env, added, changed, removed):
    """Every page when the book's own CSS or JavaScript, or the code of the build (``usrubook/book/*.py``),
    changed: Sphinx copies static files only when it writes a page, and each page links them with a checksum
    (``?v=``) of their content; and Sphinx writes again only the pages whose sources changed, so a page the
    build's code writes differently (its head, its cite controls, what it drops) would keep its old HTML."""
    digest = _static_digest()
    if getattr(env, "usrubook_static_digest", None) == digest:
        return []
    env.usrubook_static_digest = digest
    return sorted(env.found_docs)


_THEBE_NODES = re.compile(r'^\s*<script type="text/x-thebe-config">|^<script>kernelName = ')


def _drop_thebe_config(app, doctree, docname):
    """``doctree-resolved``, after sphinx-thebe's: remove the two raw HTML nodes it appends to every page (its
    configuration, naming a Binder repository, and ``kernelName``). The book has no live code (``thebe: false``
    in _config.yml), so nothing reads them."""
    from docutils import nodes

    for node in list(doctree.children):
        if isinstance(node, nodes.raw) and node.get("format") == "html" and _THEBE_NODES.match(node.astext()):
            doctree.remove(node)


def _is_thebe(asset) -> bool:
    body = getattr(asset, "attributes", {}).get("body", "") or ""
    return "THEBE_JS_URL" in body or "thebe" in (getattr(asset, "filename", None) or str(asset))


def _is_design(asset) -> bool:
    name = getattr(asset, "filename", None) or str(asset)
    return "sphinx-design" in name or "design-tabs" in name


def deferred(asset):
    """``asset`` loaded with ``defer`` if it is a script file loaded neither ``async`` nor ``defer`` already
    (inline scripts, stylesheets and anything else unchanged)."""
    from sphinx.builders.html._assets import _JavaScript

    if (isinstance(asset, _JavaScript) and asset.filename and not asset.attributes.get("body")
            and not {"async", "defer"} & set(asset.attributes) and asset.attributes.get("type") != "module"):
        return _JavaScript(asset.filename, priority=asset.priority, **asset.attributes, defer="defer")
    return asset


def _page_assets(app, pagename, templatename, context, doctree):
    body = context.get("body", "")
    if CHART_CLASS in body:
        # not the Vega runtime: usrubook-charts.js loads it when a reader reaches for a chart
        app.add_js_file("usrubook-charts.js")    # deferred, as every script file (deferred())
        app.add_css_file("usrubook-charts.css")
    uses_design = 'class="sd-' in body or ' sd-' in body
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [deferred(a) for a in context[key]
                            if not _is_thebe(a) and (uses_design or not _is_design(a))]
    if "doc-biblioentry" in body:
        context["body"] = body.replace('role="doc-biblioentry"', 'role="listitem"')


def _visit_hidden_cell(self, node):
    """myst-nb's "Show code cell …" summary, named by its visible text (myst-nb labels it "Toggle hidden content")."""
    from html import escape

    self.body.append(f'<details class="admonition hide {" ".join(node["classes"])}">\n<summary>\n')
    self.body.append(f'<p class="collapsed admonition-title">{escape(node["prompt_show"])}</p>\n')
    self.body.append(f'<p class="expanded admonition-title">{escape(node["prompt_hide"])}</p>\n')
    self.body.append("</summary>\n")


def _is_hidden_cell(node) -> bool:
    """A code cell shown only as a "Show code cell content" toggle (tagged hide-cell: nothing of it is visible)."""
    from docutils import nodes

    return isinstance(node, nodes.container) and node.get("nb_element") == "cell_code" and node.get("hide_mode") == "all"


def _is_prose(node) -> bool:
    from docutils import nodes

    return isinstance(node, (nodes.paragraph, nodes.Admonition, nodes.bullet_list, nodes.enumerated_list,
                             nodes.block_quote, nodes.definition_list))


def text_first(document) -> None:
    """A page opens with its text: hidden code cells that come before the page's first text (a chapter's set-up
    cells, above its key points; an evidence page's, above its first section) move to just after that text. The
    notebook keeps its order (the cells have run); only the web page shows the toggles later."""
    from docutils import nodes

    section = next(iter(document.findall(nodes.section)), None)
    if section is None:
        return

    def in_cell(node) -> bool:
        while node is not None and node is not section:
            if isinstance(node, nodes.container) and node.get("nb_element") == "cell_code":
                return True
            node = node.parent
        return False

    leading, text = [], None
    for node in section.findall(include_self=False):
        if _is_hidden_cell(node) and not in_cell(node.parent):
            leading.append(node)
        elif _is_prose(node) and not in_cell(node):
            text = node
            break
    if not leading or text is None:
        return
    for cell in leading:
        cell.parent.remove(cell)
    at = text.parent.index(text) + 1
    text.parent[at:at] = leading


def _text_first(app, doctree, docname):
    if app.builder.format == "html":
        text_first(doctree)


def _no_math(self, node):
    raise SphinxError(
        f"{node.source}:{node.line}: math is not supported: MathJax would be loaded from the internet. "
        "Write the formula in words or with plain characters (e.g. v / (1 - p/100)).")


def setup(app):
    from myst_nb.sphinx_ import HideCodeCellNode, depart_HideCellInput

    app.add_node(HideCodeCellNode, override=True, html=(_visit_hidden_cell, depart_HideCellInput))
    app.add_css_file("usrubook.css")
    app.add_html_math_renderer("usrubook-offline", (_no_math, None), (_no_math, None))
    app.config.html_math_renderer = "usrubook-offline"
    app.connect("builder-inited", _write_bundle)
    app.connect("builder-inited", _write_theme_css)
    app.connect("build-finished", _remove_unused_theme_files)
    app.connect("env-get-outdated", _static_changed)
    app.connect("html-page-context", _page_assets)
    search.setup(app)
    app.connect("doctree-resolved", _text_first)
    app.connect("doctree-resolved", _drop_thebe_config, priority=900)    # after sphinx-thebe's (500)
