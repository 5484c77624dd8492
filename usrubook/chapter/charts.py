"""The house chart theme and renderer: one renderer, two outputs.

* HTML: a ``<div class="usrubook-chart">`` and the chart's Vega-Lite spec as JSON;
  ``_static/usrubook-vega.js`` (Vega, Vega-Lite and vega-embed, served by the book;
  see :mod:`usrubook.build.vega`) draws it as interactive SVG. Nothing is fetched from
  outside the book.
* PDF: the chart's spec (``application/vnd.usrubook.vegalite+json``), which the
  LaTeX build converts to vector PDF with vl-convert (:mod:`usrubook.build.mimerender`):
  vector graphics, never a screenshot, made once at build time.
* Element ids come from a hash of the spec, so outputs are the same on every run.

``setup()`` (called by each chapter's first cell) enables both. Set
``USRUBOOK_CHARTS=jupyter`` in JupyterLab (``make lab`` does): charts are then
static SVG made by vl-convert, since JupyterLab 4 draws Vega-Lite only up to v5
and Altair's interactive widget loads its scripts from a CDN.
"""
from __future__ import annotations

import hashlib
import html
import json
import os
from collections import Counter

import altair as alt

from usrubook.build.protocol import CHART_CLASS, MIME, SHARED_MARKER, vl_version

VL_VERSION = vl_version()  # e.g. "6.4", as vl-convert names it

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
FONT = "Helvetica, Arial, 'Liberation Sans', 'FreeSans', sans-serif"

@alt.theme.register("usrubook", enable=False)
def theme() -> alt.theme.ThemeConfig:
    return {
        "config": {
            "font": FONT,
            "view": {"continuousWidth": 520, "continuousHeight": 300, "stroke": None},
            "range": {"category": PALETTE},
            "axis": {"labelFontSize": 12, "labelLimit": 320, "titleFontSize": 12, "titleFontWeight": "normal",
                     "gridColor": "#e6e6e6", "domainColor": "#888888", "tickColor": "#888888"},
            "legend": {"labelFontSize": 12, "titleFontSize": 12, "labelLimit": 400, "orient": "bottom", "direction": "horizontal"},
            "title": {"fontSize": 14, "anchor": "start", "fontWeight": "normal"},
            "bar": {"color": PALETTE[0]},
        }
    }


_ids: Counter = Counter()


def _canonical(spec: dict) -> dict:
    spec = dict(spec)
    spec.pop("$schema", None)   # a URL; vega-embed is told the mode instead
    return spec


def element_id(spec: dict) -> str:
    """A stable id: a hash of the spec, with a suffix if the same chart is shown twice."""
    text = json.dumps(_canonical(spec), sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    _ids[digest] += 1
    return f"vega-{digest}" + (f"-{_ids[digest]}" if _ids[digest] > 1 else "")


def _share(spec: dict) -> dict:
    """The spec for the web page: shared datasets (see :mod:`usrubook.chapter.geo`) become markers that the
    page's script resolves from ``_static/usrubook-shared.js``, so each page does not carry a copy."""
    from usrubook.chapter.geo import shared_name

    datasets = spec.get("datasets")
    if not datasets:
        return spec
    replaced = {name: (SHARED_MARKER + shared_name(values)) if shared_name(values) else values
                for name, values in datasets.items()}
    return {**spec, "datasets": replaced}


def html_output(spec: dict, elem: str) -> str:
    payload = json.dumps(_share(_canonical(spec)), sort_keys=True, ensure_ascii=False,
                         allow_nan=False).replace("</", "<\\/")
    label = html.escape(spec.get("description") or "Chart", quote=True)
    return (f'<div class="{CHART_CLASS}" id="{elem}" role="img" aria-label="{label}"></div>\n'
            f'<script type="application/json" id="{elem}-spec">{payload}</script>')


def render(spec: dict, **metadata) -> dict:
    """Altair renderer: text/html for the web book; the spec itself for the PDF, which the LaTeX
    build turns into vector graphics (:mod:`usrubook.build.mimerender`); text/plain for the rest."""
    elem = element_id(spec)
    return {"text/html": html_output(spec, elem), MIME: _canonical(spec),
            "text/plain": spec.get("description") or "Chart"}


alt.renderers.register("usrubook", render)


def setup() -> None:
    """Enable the house theme and renderer (or static SVG with ``USRUBOOK_CHARTS=jupyter``)."""
    alt.theme.enable("usrubook")
    if os.environ.get("USRUBOOK_CHARTS") == "jupyter":
        alt.renderers.enable("svg")
    else:
        alt.renderers.enable("usrubook")


# Chart pages sit one folder below the book root (chapters/, evidence/).
PASSAGE_PAGE = "../evidence/source-texts.html"


def frame(df, keep: list[str] | None = None) -> alt.Data:
    """Rows of ``df`` as inline chart data: plain JSON records, missing values as null.

    Rows that carry a seed and paragraph get a ``source`` column such as
    "seed003, paragraph 38" for tooltips, and rows with an ``anchor`` get a
    ``passage`` link to that paragraph on the Source texts page (use it as
    ``href="passage:N"``). Encodings must state their types (``"value:Q"``),
    since records carry none. ``keep`` lists the columns the chart uses (after
    ``source`` and ``passage`` are added); the others are not embedded, which
    keeps pages small.
    """
    out = df.copy()
    if "source" not in out and {"source_id", "paragraph"} <= set(out.columns):
        out["source"] = out["source_id"].astype(str) + ", paragraph " + out["paragraph"].astype(str)
    if "passage" not in out and "anchor" in out:
        out["passage"] = PASSAGE_PAGE + "#" + out["anchor"].astype(str)
    if keep is not None:
        out = out[keep]
    return alt.Data(values=json.loads(out.to_json(orient="records", force_ascii=False)))
