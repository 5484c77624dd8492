"""The house chart theme and renderer: one renderer, two outputs.

* HTML: a ``<div class="usrubook-chart">``, the chart compiled to a Vega spec at build time
  (as wide as its container, with a dark-mode theme) and a Data view
  (:mod:`usrubook.chapter.dataview`); texts the Data view shows are not repeated in the spec, which names
  their cells (:func:`usrubook.chapter.dataview.share_cells`). The build draws the chart into the div as SVG
  and moves the spec to a file of its own (:func:`usrubook.book.figures.static_first`);
  ``_static/usrubook-charts.js`` draws it live with the Vega runtime the book serves
  (``_static/usrubook-vega.js``, see :mod:`usrubook.book.vega`) when a reader points at or taps it.
  Nothing is fetched from outside the book. The chart's files (rows, spec, SVG, PNG) are written at
  build time and offered after its caption (:mod:`usrubook.book.figures`).
* PDF: the chart's Vega-Lite spec (``application/vnd.usrubook.vegalite+json``) with the rows
  it draws, which the LaTeX build converts to a vector PDF figure and a data table with
  vl-convert (:mod:`usrubook.book.mimerender`), made once at build time.
* Element ids come from a hash of the spec, so outputs are the same on every run.

``setup()`` (called by each chapter's first cell) enables both. In Jupyter (:func:`usrubook.chapter.mode.jupyter_mode`:
``USRUBOOK_CHARTS=jupyter``, which ``make lab`` sets, or a chapter's kit) charts are instead the spec compiled
to Vega 5 (``application/vnd.vega.v5+json``), which JupyterLab 4 draws interactively, with tooltips, with the
Vega it ships (it draws Vega-Lite only up to v5, and the book's specs are v6; Altair's own interactive
renderer loads its scripts from a CDN), and a static SVG from vl-convert for other front ends.
"""
from __future__ import annotations

import hashlib
import html
import json
from collections import Counter

import altair as alt

from usrubook.book.protocol import CHART_CLASS, MIME, convert, vl_version     # convert: vl-convert, or the build's
from usrubook.chapter.dataview import PASSAGE_PAGE, data_tables, html_tables, share_cells, views
from usrubook.chapter.mode import jupyter_mode

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


# Dark mode: the page script re-draws each chart with this configuration merged into the spec's and
# these colours swapped wherever the spec names them (marks drawn in black, light grid lines).
DARK = {
    "config": {
        "background": "transparent",
        "axis": {"labelColor": "#d4d4d4", "titleColor": "#e4e4e4", "gridColor": "#3d3d3d",
                 "domainColor": "#9a9a9a", "tickColor": "#9a9a9a"},
        "legend": {"labelColor": "#d4d4d4", "titleColor": "#e4e4e4"},
        "title": {"color": "#e4e4e4", "subtitleColor": "#d4d4d4"},
        "text": {"fill": "#e4e4e4"},
        "style": {"guide-label": {"fill": "#d4d4d4"}, "guide-title": {"fill": "#e4e4e4"}},
    },
    "colours": {"#000000": "#e4e4e4", "black": "#e4e4e4", "#333333": "#d4d4d4", "#555555": "#c4c4c4",
                "#666666": "#b4b4b4", "#e6e6e6": "#3d3d3d", "#888888": "#9a9a9a", "#ffffff": "#1e1e1e",
                "white": "#1e1e1e"},
}

# The drawing made at build time (usrubook.book.figures) has the light theme's colours; in dark mode the page's
# stylesheet (usrubook.css, "charts: static first") turns each of these fills and strokes into its dark colour.
# Keys and values are lower-case #rrggbb, as the build writes the drawing's colours. Text drawn black (axis and
# legend labels, titles) takes the dark theme's label colour.
STATIC_DARK = {**{c: d for c, d in DARK["colours"].items() if c.startswith("#")},
               "#000000": DARK["config"]["axis"]["labelColor"]}

# Labels keep at least 10 px (the theme draws them at 12); on a narrow screen long labels are
# shortened with an ellipsis rather than squeezing the plot, and legends wrap into one column.
_NARROW_LABELS = "clamp(containerSize()[0] * 0.4, 90, 320)"
_LEGEND_LIMIT = "clamp(containerSize()[0] - 40, 120, 400)"


def _single_view(spec: dict) -> bool:
    return not any(k in spec for k in ("hconcat", "vconcat", "concat", "facet", "repeat"))


def responsive(spec: dict) -> dict:
    """The spec for the web page: as wide as its container (single and layered views: Vega-Lite's
    container sizing), axis and legend labels limited relative to that width, no per-mark ARIA text
    (the chart has one description, and the Data view lists every row). Concatenated views keep
    their widths here; the page script fits them to the container."""
    out = json.loads(json.dumps(spec))
    config = out.setdefault("config", {})
    config["aria"] = False
    config.setdefault("axis", {})["labelLimit"] = {"expr": _NARROW_LABELS}
    config.setdefault("legend", {})["labelLimit"] = {"expr": _LEGEND_LIMIT}
    # room at the right for a last axis label centred on its tick
    out.setdefault("padding", {"left": 5, "top": 5, "bottom": 5, "right": 14})
    if _single_view(out):
        out["width"] = "container"
        out["autosize"] = {"type": "fit-x", "contains": "padding"}
    return out


def _strip_hrefs(node) -> None:
    """Marks keep their cursor but lose Vega's own link handling: the page script opens the passage
    (at once with a mouse; on touch, after the quote has been shown)."""
    if isinstance(node, dict):
        node.pop("href", None)
        for value in node.values():
            _strip_hrefs(value)
    elif isinstance(node, list):
        for value in node:
            _strip_hrefs(value)


# Long labels wrap onto several lines instead of being cut short with an ellipsis. Vega has no text measurement in
# its expressions, so a line holds as many characters as fit the label's width limit at CHAR_PX pixels each (the
# mean of the 12 px house font in mixed case), and the text breaks at spaces (a word longer than a line stays
# whole). A line may be a little wider than that estimate: it is cut only beyond LINE_SLACK times the limit.
CHAR_PX = 6.0
LINE_SLACK = 1.25
LINE_HEIGHT = 13


def wrap_expr(text: str, limit: str) -> str:
    """A Vega expression: ``text`` (an expression) with its spaces turned into line breaks wherever the text is
    wider than ``limit`` (an expression, pixels), greedily; the last line is never broken."""
    chars = f"max(6, floor(({limit}) / {CHAR_PX}))"
    return (f"replace({text}, regexp('(?![^\\\\n]{{1,' + {chars} + '}}$)([^\\\\n]{{1,' + {chars} + '}})\\\\s', 'g'), "
            "'$1\\n')")


def _scales(node: dict, inherited: dict) -> dict:
    return {**inherited, **{s["name"]: s for s in node.get("scales", [])}}


def _limit(value, default: str) -> str:
    """The label width limit of an axis or legend as an expression: its own (a number or a signal) within the
    responsive default."""
    if isinstance(value, (int, float)):
        return f"min({value}, {default})"
    if isinstance(value, dict) and "signal" in value:
        return f"({value['signal']})"
    return default


def _wrap_text(owner: dict, part: str, limit: str) -> None:
    """Wrap the labels (``part``) of an axis or legend at ``limit`` pixels."""
    owner["labelLimit"] = {"signal": f"({limit}) * {LINE_SLACK}"}
    update = owner.setdefault("encode", {}).setdefault(part, {}).setdefault("update", {})
    current = update.get("text", {}).get("signal") if isinstance(update.get("text"), dict) else None
    update["text"] = {"signal": wrap_expr(f"({current})" if current else "datum.label", limit)}
    update["lineBreak"] = {"value": "\n"}
    update["lineHeight"] = {"value": LINE_HEIGHT}


def _wrap_axes(node: dict, scales: dict | None = None) -> None:
    """Labels of discrete axes (categories, usually long) wrap within the axis' label limit."""
    scales = _scales(node, scales or {})
    for axis in node.get("axes", []):
        scale = scales.get(axis.get("scale"), {})
        if scale.get("type") in ("band", "point", "ordinal") and axis.get("labels", True) is not False:
            _wrap_text(axis, "labels", _limit(axis.get("labelLimit"), _NARROW_LABELS))
    for child in node.get("marks", []):
        if child.get("type") == "group":
            _wrap_axes(child, scales)


def _values(vega: dict, name: str, field: str) -> list:
    """The values of ``field`` in the dataset ``name`` (following its sources back to inline rows)."""
    data = {d["name"]: d for d in vega.get("data", [])}
    d = data.get(name)
    while d is not None and "values" not in d and d.get("source") in data:
        d = data[d["source"]]
    values = d.get("values") if d else None
    return [r.get(field) for r in values if isinstance(r, dict)] if isinstance(values, list) else []


def _scale_values(vega: dict, scale: dict) -> list[str]:
    """The values of a discrete scale's domain: listed, or found in the rows of the dataset it names."""
    domain = scale.get("domain")
    if isinstance(domain, list):
        return [str(v) for v in domain]
    if isinstance(domain, dict) and "data" in domain and "field" in domain:
        return sorted({str(v) for v in _values(vega, domain["data"], domain["field"]) if v is not None})
    return []


def _legend_labels(vega: dict, legend: dict, scales: dict) -> list[str]:
    for channel in ("fill", "stroke", "shape", "size", "strokeDash", "opacity"):
        if legend.get(channel) in scales:
            return _scale_values(vega, scales[legend[channel]])
    return []


def _wrap_legends(vega: dict, node: dict | None = None, scales: dict | None = None) -> None:
    """Symbol legends set their entries in as many columns as the container holds (each column as wide as the
    longest label needs), and a label wider than the container wraps."""
    node = vega if node is None else node
    scales = _scales(node, scales or {})
    # A legend below a view starts at the plot's left edge, after the left axis: its room is the container less
    # that axis' labels (at most their limit) and title. (Not the plot's width: that is fitted to the legend.)
    left = 0
    for axis in node.get("axes", []):
        if axis.get("orient") != "left" or axis.get("labels", True) is False:
            continue
        scale = scales.get(axis.get("scale"), {})
        discrete = scale.get("type") in ("band", "point", "ordinal")
        names = _scale_values(vega, scale) if discrete else []
        widest = f"min({_limit(axis.get('labelLimit'), _NARROW_LABELS)}, {max(map(len, names)) * CHAR_PX:.0f})" \
            if names else _limit(axis.get("labelLimit"), _NARROW_LABELS)
        extent = f"{widest} + 16" if discrete else "45"
        left = f"({extent} + {20 if axis.get('title') else 0})"
    room = f"(containerSize()[0] - {left})"
    limit = f"clamp({room} - 30, 80, 400)"
    for legend in node.get("legends", []):
        if "gradientLength" in legend or legend.get("type") == "gradient":
            continue
        labels = _legend_labels(vega, legend, scales)
        # symbol, its gap to the label, and the gap between columns
        column = max([len(label) for label in labels] or [20]) * CHAR_PX + 16 + 4 + 10
        legend["columns"] = {"signal": f"max(1, min({max(1, len(labels))}, floor({room} / {column:.0f})))"}
        _wrap_text(legend, "labels", limit)
    default = vega.get("config", {}).get("legend", {}).get("orient", "right")
    if node is vega and len([g for g in vega.get("legends", []) if g.get("orient", default) == "bottom"]) > 1:
        # several legends below a chart stand one above the other, not side by side past its right edge
        vega.setdefault("config", {}).setdefault("legend", {})["layout"] = {
            "bottom": {"direction": "vertical", "anchor": "start", "margin": 6}}
    for child in node.get("marks", []):
        if child.get("type") == "group":
            _wrap_legends(vega, child, scales)


def _compile(spec: dict) -> dict:
    vega = convert("vegalite_to_vega", responsive(spec), vl_version=VL_VERSION)
    vega.pop("$schema", None)
    for mark in vega.get("marks", []):
        _strip_hrefs(mark)
    _wrap_axes(vega)
    _wrap_legends(vega)
    return vega


def web_spec(spec: dict) -> dict:
    """The compiled Vega spec the page draws: responsive, with labels that wrap, and the dark theme.
    Panels set side by side (``hconcat``) also get a compact variant, one above the other, which the
    page draws when its container is narrower than the side-by-side design."""
    vega = _compile(spec)
    vega["usermeta"] = {"dark": DARK}
    if "hconcat" in spec:
        narrow = {k: v for k, v in spec.items() if k != "hconcat"}
        narrow["vconcat"] = spec["hconcat"]
        widths = [c.get("width", 200) for c in spec["hconcat"] if isinstance(c.get("width"), (int, float))]
        vega["usermeta"]["narrow"] = _compile(narrow)
        vega["usermeta"]["narrow_below"] = sum(widths) + 120 * len(spec["hconcat"])
    return vega


def html_output(spec: dict, elem: str) -> str:
    tables = data_tables(spec)
    # texts the Data view shows are sent once: the spec names their cells (dataview.share_cells)
    payload = json.dumps(share_cells(web_spec(_canonical(spec)), tables), sort_keys=True, ensure_ascii=False,
                         allow_nan=False).replace("</", "<\\/")
    label = html.escape(spec.get("description") or "Chart", quote=True)
    details = html_tables(tables, elem)
    return (f'<div class="usrubook-chart-block">\n'
            f'<div class="{CHART_CLASS}" id="{elem}" role="img" aria-label="{label}"'
            + (f' aria-details="{elem}-data"' if details else "") + '></div>\n'
            f'<div class="usrubook-chart-card" id="{elem}-card" aria-live="polite" hidden></div>\n'
            + details +
            f'<script type="application/json" id="{elem}-spec">{payload}</script>\n</div>')


def render(spec: dict, **metadata) -> dict:
    """Altair renderer: text/html for the web book; for the PDF, the spec and the rows it draws, which
    the LaTeX build turns into a vector figure and a data table (:mod:`usrubook.book.mimerender`);
    text/plain for the rest."""
    spec = _canonical(spec)
    check_legends(spec)
    elem = element_id(spec)
    pdf = {**spec, "usermeta": {**spec.get("usermeta", {}), "usrubook_data": data_tables(spec)}}
    return {"text/html": html_output(spec, elem), MIME: pdf,
            "text/plain": spec.get("description") or "Chart"}


def used_scale(order: list, colours: list, values) -> dict:
    """Domain and colours for a legend that lists only the categories a chart draws, in ``order``."""
    present = set(values)
    used = [v for v in order if v in present]
    return {"domain": used, "range": [colours[order.index(v)] for v in used]}


def check_legends(spec: dict) -> None:
    """A legend lists only the categories drawn: an explicit scale domain must not name a value that
    none of the view's rows has."""
    for view, rows in views(spec):
        for channel in ("color", "fill", "stroke", "shape", "strokeDash"):
            enc = view.get("encoding", {}).get(channel)
            if not isinstance(enc, dict) or "field" not in enc:
                continue
            domain = (enc.get("scale") or {}).get("domain")
            if not isinstance(domain, list) or not rows or enc["field"] not in rows[0]:
                continue
            present = {r.get(enc["field"]) for r in rows}
            unused = [d for d in domain if d not in present]
            if unused:
                raise ValueError(
                    f"chart '{(spec.get('description') or '')[:60]}…': the {channel} legend lists "
                    f"{', '.join(map(repr, unused))}, which no row of field '{enc['field']}' has; "
                    "give the scale only the values drawn (e.g. verdict_scale(frame[field]))")


alt.renderers.register("usrubook", render)

VEGA_MIME = "application/vnd.vega.v5+json"


def jupyter_render(spec: dict, **metadata) -> dict:
    """Renderer for Jupyter: the chart compiled to Vega 5 (JupyterLab draws it, with tooltips, offline), a static
    SVG for front ends without a Vega renderer, and the chart's description as text. Marks lose their links,
    which point into the web book."""
    spec = _canonical(spec)
    check_legends(spec)
    vega = convert("vegalite_to_vega", spec, vl_version=VL_VERSION)
    vega.pop("$schema", None)
    for mark in vega.get("marks", []):
        _strip_hrefs(mark)
    svg = convert("vegalite_to_svg", spec, vl_version=VL_VERSION)
    return {VEGA_MIME: vega, "image/svg+xml": svg, "text/plain": spec.get("description") or "Chart"}


alt.renderers.register("usrubook-jupyter", jupyter_render)


def setup() -> None:
    """Enable the house theme and renderer (the Jupyter renderer in :func:`jupyter_mode`)."""
    alt.theme.enable("usrubook")
    alt.renderers.enable("usrubook-jupyter" if jupyter_mode() else "usrubook")




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
