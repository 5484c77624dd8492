"""myst-nb MIME renderer: a chart becomes a vector PDF figure in the LaTeX build.

Chart outputs carry their Vega-Lite spec as ``application/vnd.usrubook.vegalite+json``
besides the ``text/html`` the web book draws; the spec's ``usermeta.usrubook_data``
holds the rows the chart draws (:func:`usrubook.chapter.dataview.data_tables`). Only
the LaTeX builder prefers this output; in the LaTeX build alone, the plugin converts the spec with vl-convert
once, at build time, so neither the kernels nor the HTML build pay for a PDF the web book does not use.
The rows the chart draws are not printed: they are the web page's accessible alternative
to the chart (its Data view) and its CSV, which the figure's caption names.
Registered through the ``myst_nb.mime_renderers`` entry point (pyproject.toml).
"""
from __future__ import annotations

import hashlib
import json

from docutils import nodes

from usrubook.book.protocol import MIME, vl_version

SPEC_ATTRIBUTE = "usrubook_vl"
# The class of the node that, outside the LaTeX build, carries a chart's spec and no PDF
SPEC_ONLY = "usrubook-chart-spec"

# The PDF's text width (US letter with one-inch margins) in points, and the smallest chart text allowed in print.
# A chart wider than the text is scaled down to fit it, so its width is limited to what keeps its smallest text
# at MIN_PRINT_PT or larger; vl-convert draws one CSS pixel as one point.
PRINT_WIDTH_PT = 468
MIN_PRINT_PT = 8


def _font_sizes(node, found: list) -> list:
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("ontSize") and isinstance(value, (int, float)):
                found.append(value)
            else:
                _font_sizes(value, found)
    elif isinstance(node, list):
        for value in node:
            _font_sizes(value, found)
    return found


def _page_width(pdf: bytes) -> float:
    import re

    box = re.search(rb"/MediaBox\s*\[\s*[-\d.]+\s+[-\d.]+\s+([-\d.]+)\s+[-\d.]+\s*\]", pdf)
    if box is None:
        raise ValueError("vl-convert produced a PDF without a MediaBox")
    return float(box.group(1))


def print_pdf(spec: dict) -> bytes:
    """The chart as a vector PDF whose smallest text prints at MIN_PRINT_PT or more: too wide a chart
    narrows side-by-side panels (or, failing that, sets them one above the other), or narrows its plot."""
    import vl_convert

    smallest = min(_font_sizes(spec, [11]))       # Vega-Lite draws unsized text at 11 px
    limit = PRINT_WIDTH_PT * smallest / MIN_PRINT_PT
    spec = json.loads(json.dumps(spec))
    if "hconcat" in spec:     # a legend under a narrow panel lists its entries one per line, not wider than the panel
        spec.setdefault("config", {}).setdefault("legend", {})["direction"] = "vertical"
    for _ in range(4):
        pdf = vl_convert.vegalite_to_pdf(spec, vl_version=vl_version())
        excess = _page_width(pdf) - limit
        if excess <= 0:
            return pdf
        panels = spec.get("hconcat")
        if panels:
            widths = [p.get("width") for p in panels]
            if all(isinstance(w, (int, float)) and w > 80 for w in widths):
                shrink = excess / sum(widths) + 0.01
                for p in panels:
                    p["width"] = max(80, int(p["width"] * (1 - shrink)))
                continue
            spec["vconcat"] = spec.pop("hconcat")      # panels one above the other
            continue
        views = spec.get("vconcat") or [spec]
        narrowed = False
        for view in views:
            if isinstance(view.get("width"), (int, float)) and view["width"] > 120:
                view["width"] = max(120, int(view["width"] - excess - 1))
                narrowed = True
        if not narrowed:
            break
    raise ValueError(f"chart '{(spec.get('description') or '')[:60]}…' is {_page_width(pdf):.0f} pt wide in print, "
                     f"so its {smallest} px text would print below {MIN_PRINT_PT} pt; make it narrower or its text larger")


def _printed(spec: dict) -> bytes:
    """:func:`print_pdf`, kept from one build to the next by the spec, vl-convert's version and this module's code
    (:data:`usrubook.book.buildcache.CHART_PDFS`): a page read again after a prose edit does not draw its charts again."""
    from importlib.metadata import version

    from usrubook.book import buildcache

    key = buildcache.Digest([version("vl-convert-python"), vl_version(), buildcache.code_digest("book/mimerender.py"),
                             spec]).hexdigest()
    pdf = buildcache.CHART_PDFS.get(key)
    if pdf is None:
        pdf = print_pdf(spec)
        buildcache.CHART_PDFS.put(key, pdf)
    return pdf


class ChartPDF:
    mime_priority_overrides = [("latex", MIME, 1)]

    @staticmethod
    def handle_mime(renderer, data, inline):
        if data.mime_type != MIME or inline:
            return None
        spec = data.content if isinstance(data.content, dict) else json.loads(data.content)
        meta = dict(spec.get("usermeta") or {})
        meta.pop("usrubook_data", None)     # the rows drawn: the web page's Data view, not printed
        spec = {**spec, "usermeta": meta} if meta else {k: v for k, v in spec.items() if k != "usermeta"}
        env = renderer.renderer.sphinx_env
        if env is not None and env.app.builder.format != "latex":
            # The web book draws the chart from its text/html output; this output only carries the spec, for
            # the "Get the data" files (usrubook.book.figures), which the HTML build writes from it before
            # myst-nb drops it in favour of text/html. No PDF is drawn: the LaTeX build has its own doctrees.
            holder = nodes.container(classes=[SPEC_ONLY])
        else:
            pdf = _printed(spec)
            uri = renderer.write_file([f"{hashlib.sha256(pdf).hexdigest()}.pdf"], pdf, overwrite=False, exists_ok=True)
            holder = nodes.image(uri=uri, alt=spec.get("description") or "Chart")
        holder[SPEC_ATTRIBUTE] = json.dumps(spec, ensure_ascii=False)   # key order as made: CSV columns in order
        return [holder]
