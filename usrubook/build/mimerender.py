"""myst-nb MIME renderer: a chart becomes a vector PDF figure and a data table in the LaTeX build.

Chart outputs carry their Vega-Lite spec as ``application/vnd.usrubook.vegalite+json``
besides the ``text/html`` the web book draws; the spec's ``usermeta.usrubook_data``
holds the rows the chart draws (:func:`usrubook.chapter.dataview.data_tables`). Only
the LaTeX builder prefers this output; the plugin converts the spec with vl-convert
once, at build time, so kernels never pay for PDF output that the HTML build does not
use. The rows become a ``usrubook-chart-data`` container of tables, which
:mod:`usrubook.build.latex` moves out of the figure to the end of its chapter: print
readers get the quotes and passages that web readers see in tooltips and the Data view.
Registered through the ``myst_nb.mime_renderers`` entry point (pyproject.toml).
"""
from __future__ import annotations

import hashlib
import json

from docutils import nodes
from sphinx import addnodes

from usrubook.build.protocol import MIME, vl_version

DATA_CLASS = "usrubook-chart-data"


def _passage(anchor: str) -> nodes.Node:
    """A link to a seed paragraph on the Source texts page (a reference resolved like {ref}`...`)."""
    seed, _, number = anchor.rpartition("-p")
    ref = addnodes.pending_xref("", refdomain="std", reftype="ref", reftarget=anchor, refexplicit=True,
                                refwarn=True)
    ref += nodes.inline(text=f"{seed}, ¶{number}")
    return ref


def data_nodes(tables: list[dict]) -> list[nodes.Node]:
    """The rows a chart draws as docutils tables, in a container the LaTeX build places after the figure."""
    if not tables:
        return []
    box = nodes.container(classes=[DATA_CLASS])
    for spec in tables:
        linked = any(spec["passages"])
        columns = spec["columns"] + (["Passage"] if linked else [])
        table = nodes.table(classes=["longtable", "usrubook-data-table"])
        if spec["title"]:
            table += nodes.title(text=spec["title"])
        group = nodes.tgroup(cols=len(columns))
        table += group
        for column in columns:
            group += nodes.colspec(colwidth=max(8, min(40, len(column))))
        head, body = nodes.thead(), nodes.tbody()
        group += head
        group += body
        row = nodes.row()
        for column in columns:
            row += nodes.entry("", nodes.paragraph(text=column))
        head += row
        for cells, anchor in zip(spec["rows"], spec["passages"], strict=True):
            row = nodes.row()
            for cell in cells:
                row += nodes.entry("", nodes.paragraph(text=cell))
            if linked:
                para = nodes.paragraph()
                if anchor:
                    para += _passage(anchor)
                row += nodes.entry("", para)
            body += row
        box += table
    return [box]


class ChartPDF:
    mime_priority_overrides = [("latex", MIME, 1)]

    @staticmethod
    def handle_mime(renderer, data, inline):
        if data.mime_type != MIME or inline:
            return None
        import vl_convert

        spec = data.content if isinstance(data.content, dict) else json.loads(data.content)
        meta = dict(spec.get("usermeta") or {})
        tables = meta.pop("usrubook_data", [])
        spec = {**spec, "usermeta": meta} if meta else {k: v for k, v in spec.items() if k != "usermeta"}
        pdf = vl_convert.vegalite_to_pdf(spec, vl_version=vl_version())
        uri = renderer.write_file([f"{hashlib.sha256(pdf).hexdigest()}.pdf"], pdf, overwrite=False, exists_ok=True)
        return [nodes.image(uri=uri, alt=spec.get("description") or "Chart"), *data_nodes(tables)]
