"""myst-nb MIME renderer: a chart's Vega-Lite spec becomes a vector PDF figure in the LaTeX build.

Chart outputs carry their spec as ``application/vnd.usrubook.vegalite+json``
besides the ``text/html`` the web book draws. Only the LaTeX builder prefers the
spec; this plugin converts it with vl-convert once, at build time, so kernels
never pay for PDF output that the HTML build does not use.
Registered through the ``myst_nb.mime_renderers`` entry point (pyproject.toml).
"""
from __future__ import annotations

import hashlib
import json

from docutils import nodes

from usrubook.build.protocol import MIME, vl_version



class ChartPDF:
    mime_priority_overrides = [("latex", MIME, 1)]

    @staticmethod
    def handle_mime(renderer, data, inline):
        if data.mime_type != MIME or inline:
            return None
        import vl_convert

        spec = data.content if isinstance(data.content, dict) else json.loads(data.content)
        pdf = vl_convert.vegalite_to_pdf(spec, vl_version=vl_version())
        uri = renderer.write_file([f"{hashlib.sha256(pdf).hexdigest()}.pdf"], pdf, overwrite=False, exists_ok=True)
        return [nodes.image(uri=uri, alt=spec.get("description") or "Chart")]
