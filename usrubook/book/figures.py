"""Per-figure "Get the data": the files behind every chart, written at build time, offered beside its caption.

Every chart of the web book is a numbered figure. For each one the HTML build writes, under
``_figures/<figure name>/`` (the name is the figure's label, e.g. ``fig-trade-flows``):

* ``us-russia-relations-<name>.csv``: the rows the chart draws (each dataset of the spec that its marks
  draw, not the whole table it was made from); a chart whose layers draw different datasets gets one
  file per dataset, ``…-<name>-1.csv``, ``…-2.csv``;
* ``us-russia-relations-<name>.vl.json``: the chart's Vega-Lite spec, with its data inline, which the
  Vega Editor or Altair (``alt.Chart.from_dict``) opens as it is;
* ``us-russia-relations-<name>.svg`` and ``.png``: the chart drawn by vl-convert (the light theme; the PNG
  at twice the CSS size), in a process of its own while the pages are written (:mod:`usrubook.book.pictures`);
* ``README.txt``: what the figure is (its number, caption and page), the files, the licence, and the
  figure's citation.

Besides these, each build writes the whole data package once, ``_downloads/us-russia-relations-data-
<version>.zip`` (``data/datapackage.json`` and every table it lists, with the data licence), and every
figure links it. All files are deterministic: rows in the order the chart holds them, JSON with sorted
keys, zip entries sorted with a fixed date.

The chart's Vega-Lite spec reaches the build in the notebook output the PDF uses
(:data:`usrubook.book.protocol.MIME`); :mod:`usrubook.book.mimerender` keeps it on the node it renders
(``usrubook_vl``), and :class:`FigureDownloads`, a post-transform of the HTML builder that runs before
myst-nb selects one output per builder, writes the files and puts a ``Get the data`` disclosure after the
figure's caption. Figure numbers are Sphinx's own (``env.toc_fignumbers``), as in the caption.

Static first (:func:`static_first`): the same post-transform draws each chart of the web page at build time, as
inline SVG, twice: at the width of the page's column on a phone and on a laptop (:data:`STATIC_WIDTHS`); the
stylesheet shows the one that fits its column and switches its colours in dark mode. The chart's Vega spec leaves
the page for ``_charts/<chart id>.js``, which the page script loads, with the Vega runtime, only when a reader
points at, taps or focuses the chart (``usrubook-charts.js``); then Vega draws it live, with tooltips.
"""
from __future__ import annotations

import csv
import html
import io
import json
import hashlib
import math
import posixpath
import re
from pathlib import Path

from docutils import nodes
from sphinx.errors import SphinxError
from sphinx.transforms.post_transforms import SphinxPostTransform

from usrubook.book.archive import deterministic_zip, release_time
from usrubook.book.metadata import LICENCE_URLS, book_metadata
from usrubook.book.mimerender import SPEC_ATTRIBUTE
from usrubook.book.pictures import Painter
from usrubook.book.protocol import MIME, vl_version
from usrubook.pipeline.csvio import write_if_changed

FOLDER = "_figures"
PACKAGE_FOLDER = "_downloads"
PREFIX = "us-russia-relations-"
VL_SCHEMA = "https://vega.github.io/schema/vega-lite/v{major}.json"
PNG_SCALE = 2
PACKAGE_LABEL = "Whole data package (ZIP: every table, its schema and sources)"
LICENCE = "Creative Commons Attribution 4.0 International (CC BY 4.0), " + LICENCE_URLS["CC-BY-4.0"]


_MARKS = {"bar": "bars", "rect": "cells", "point": "points", "circle": "points", "square": "points",
          "tick": "ticks", "rule": "rules", "line": "lines", "area": "areas", "geoshape": "areas",
          "text": "labels", "trail": "lines", "arc": "arcs", "image": "images"}


def datasets(spec: dict) -> list[tuple[list[dict], list[str]]]:
    """The distinct row lists the chart's marks draw, in the order the spec first uses them, each with the
    kinds of mark that draw it ("bars", "labels", …)."""
    from usrubook.chapter.dataview import views

    out: dict[str, tuple[list[dict], list[str]]] = {}
    for view, rows in views(spec):
        if not rows:
            continue
        mark = view["mark"] if isinstance(view["mark"], str) else view["mark"].get("type", "")
        rows_, marks = out.setdefault(json.dumps(rows, sort_keys=True, ensure_ascii=False), (rows, []))
        name = _MARKS.get(mark, "marks")
        if name not in marks:
            marks.append(name)
    return list(out.values())


def _drawn_as(marks: list[str]) -> str:
    return " and ".join([", ".join(marks[:-1]), marks[-1]] if len(marks) > 1 else marks)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


_CHANNEL_ORDER = ("y", "x", "y2", "x2", "color", "fill", "shape", "size", "text", "row", "column")


def lead_columns(spec: dict, rows: list[dict]) -> list[str]:
    """The columns a reader looks for first, for the views that draw ``rows``: what their tooltips show, in the
    tooltip's order (as the Data view lists them), then the fields their positions and colours encode. (The
    notebook stores a chart's rows with their keys sorted, so the table's own column order is lost.)"""
    from usrubook.chapter.dataview import views

    out: list[str] = []
    for view, drawn in views(spec):
        if drawn is not rows and drawn != rows:
            continue
        encoding = view.get("encoding", {})
        tooltip = encoding.get("tooltip")
        fields = [t.get("field") for t in (tooltip if isinstance(tooltip, list) else [tooltip]) if isinstance(t, dict)]
        fields += [encoding[c].get("field") for c in _CHANNEL_ORDER if isinstance(encoding.get(c), dict)]
        out.extend(f for f in fields if f and f not in out)
    return out


def rows_csv(rows: list[dict], lead: list[str] | None = None) -> str:
    """Rows as CSV: the ``lead`` columns first, then the others in the order the rows first name them; missing
    values empty."""
    columns: list[str] = [c for c in lead or [] if any(c in row for row in rows)]
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()


def absolute_links(rows: list[dict], page_url: str) -> list[dict]:
    """Rows whose links to other pages of the book (``../evidence/source-texts.html#…``, relative to the chart's
    page) are full web addresses, so that they work in a downloaded file."""
    from urllib.parse import urljoin

    def fix(value):
        return urljoin(page_url, value) if isinstance(value, str) and value.startswith("../") and ".html" in value \
            else value

    return [{k: fix(v) for k, v in row.items()} for row in rows]


def encodings(spec: dict) -> list[str]:
    """What the chart draws from which column, once each: 'x: value (US$ billion)', 'color: basis'."""
    from usrubook.chapter.dataview import views

    out: list[str] = []
    for view, _rows in views(spec):
        for channel, enc in view.get("encoding", {}).items():
            if channel in ("tooltip", "href"):
                continue
            for one in enc if isinstance(enc, list) else [enc]:
                if not isinstance(one, dict) or not one.get("field"):
                    continue
                title = one.get("title")
                for guide in ("axis", "legend"):
                    if not title and isinstance(one.get(guide), dict):
                        title = one[guide].get("title")
                line = f"{channel}: {one['field']}" + (f" ({title})" if isinstance(title, str) and title else "")
                if line not in out:
                    out.append(line)
    return out


def download_spec(spec: dict) -> dict:
    """The Vega-Lite spec as a reader downloads it: its ``$schema`` back, the book's private metadata out."""
    out = {k: v for k, v in spec.items() if k not in ("$schema", "usermeta")}
    meta = {k: v for k, v in (spec.get("usermeta") or {}).items() if k != "usrubook_data"}
    if meta:
        out["usermeta"] = meta
    major = vl_version().split(".")[0]
    return {"$schema": VL_SCHEMA.format(major=major), **out}


def data_package_name(release: str) -> str:
    return f"{PREFIX}data-{release}.zip"


PACKAGE_README = """{title}: the data package, version {version} ({released})

datapackage.json describes every table: its fields, types, units, constraints, keys, licence and
sources (Frictionless Data Package; validate it with `frictionless validate datapackage.json`).

curated/ holds the hand-coded observations: one per row, each with the seed it comes from and a
verbatim quote from it. The tables at the top level are derived from them by the book's pipeline
(make data), which checks every quote against its seed; they add computed columns (passage anchors,
verdicts, reconciliations). The seed articles themselves are third-party web pages and are not
included; datapackage.json names them under "sources".

Licence: {licence}. See LICENSE-TEXT.
Web book: {url}

Cite the book (APA):
{apa}

BibTeX:
{bibtex}
"""


def data_package_zip(root: Path, release: str, readme_text: str | None = None) -> bytes:
    """The whole data package as a zip: ``datapackage.json``, every table it lists, the data licence,
    ``CITATION.cff`` and a read-me."""
    package_path = root / "data" / "datapackage.json"
    package = json.loads(package_path.read_text(encoding="utf-8"))
    top = f"{PREFIX}data-{release}/"
    entries = {top + "datapackage.json": package_path.read_bytes(),
               top + "LICENSE-TEXT": (root / "LICENSE-TEXT").read_bytes(),
               top + "CITATION.cff": (root / "CITATION.cff").read_bytes()}
    if readme_text:
        entries[top + "README.txt"] = readme_text.encode("utf-8")
    for resource in package.get("resources", []):
        path = root / "data" / resource["path"]
        if not path.is_file():
            raise SphinxError(f"data/datapackage.json lists {resource['path']!r}, which is not in data/; "
                              "run `make data`")
        entries[top + resource["path"]] = path.read_bytes()
    return deterministic_zip(entries, release_time(root))


def _figure_of(node: nodes.Node) -> nodes.figure | None:
    parent = node.parent
    while parent is not None and not isinstance(parent, nodes.figure):
        parent = parent.parent
    return parent


def _caption_text(figure: nodes.figure, env) -> str:
    from usrubook.book.cite import caption_text

    caption = next(iter(figure.findall(nodes.caption)), None)
    return caption_text(caption, env) if caption is not None else ""


def figure_number(env, docname: str, name: str) -> str:
    numbers = env.toc_fignumbers.get(docname, {}).get("figure", {}).get(name)
    if not numbers:
        raise SphinxError(f"{docname}: figure '{name}' has no number; chart figures must be in a numbered part "
                          "of _toc.yml")
    return ".".join(str(n) for n in numbers)


def readme(book: str, number: str, caption: str, page_url: str, files: list[tuple[str, str]], package: tuple[str, str],
           encoded: list[str], citation: str) -> str:
    lines = [f"Figure {number} of \"{book}\"", "",
             caption, "", f"Page: {page_url}", "", "Files:"]
    lines += [f"  {name}  {what}" for name, what in files]
    lines += [f"  {package[0]}", f"    {package[1]}", ""]
    if encoded:
        lines += ["What the chart draws from which column (channel: column, with its axis or legend title):"]
        lines += [f"  {line}" for line in encoded] + [""]
    lines += ["The CSV files hold every column of the rows the chart draws, including columns computed only to",
              "place marks (a decimal year on a time axis, a lane or an offset); links to source passages are full",
              "web addresses. The columns of the book's tables are described in datapackage.json, in the data",
              "package.", "",
              "Licence: the figure and its data are licensed under the " + LICENCE + ".", "",
              "Cite this figure:", "", citation, ""]
    return "\n".join(lines)


# -- static first: the chart drawn at build time ------------------------------------------------------------------

CHARTS_FOLDER = "_charts"
# The width of a chart's column at 390 px (a phone) and at 1280 px (a laptop), as the book's theme lays pages out;
# usrubook.css shows the wide drawing from WIDE_FROM px of column on (it is then drawn at 92 % of its size or more).
STATIC_WIDTHS = {"narrow": 342, "wide": 672}
WIDE_FROM = 620
_SPEC_SCRIPT = re.compile(r'<script type="application/json" id="(?P<elem>[^"]+)-spec">(?P<json>.*?)</script>\n?', re.S)
_PANEL = re.compile(r"(^|_)width$|^childWidth$")


def _panel_signals(spec: dict) -> list[tuple[str, float]]:
    """The signals that size concatenated panels, with their designed values (as usrubook-charts.js finds them)."""
    names = [(s["name"], s["value"]) for s in spec.get("signals", [])
             if isinstance(s.get("value"), (int, float)) and _PANEL.search(s["name"])]
    if isinstance(spec.get("width"), (int, float)):
        names.append(("width", spec["width"]))
    return names


def _set_panels(spec: dict, values: dict[str, int]) -> None:
    for signal in spec.get("signals", []):
        if signal["name"] in values:
            signal["value"] = values[signal["name"]]
    if "width" in values and isinstance(spec.get("width"), (int, float)):
        spec["width"] = values["width"]


def _svg_width(svg: str) -> float:
    return float(re.search(r'<svg[^>]*\swidth="([\d.]+)"', svg).group(1))


def draw_vega(vega: dict, width: int) -> str:
    """The web chart (a compiled Vega spec, its Data view's texts in place) drawn by vl-convert as the page script
    draws it in a column ``width`` px wide: the narrow variant below its threshold, the container's width put in,
    concatenated panels narrowed until the drawing fits (the same first guess and at most three corrections as
    usrubook-charts.js), no background (the page's shows through)."""
    import vl_convert

    meta = vega.get("usermeta") or {}
    spec = meta["narrow"] if meta.get("narrow") and width < meta.get("narrow_below", 0) else vega
    text = json.dumps({k: v for k, v in spec.items() if k not in ("usermeta", "background")}, ensure_ascii=False)
    spec = json.loads(text.replace("containerSize()[0]", str(width)))
    autosized = (spec.get("autosize") or {}).get("type") == "fit-x"
    panels = [] if autosized else _panel_signals(spec)
    if not panels:
        return vl_convert.vega_to_svg(spec)
    columns = spec.get("layout") is None or (isinstance(spec["layout"], dict) and spec["layout"].get("columns") == 1)
    design_of = dict(panels)
    design = max(design_of.values()) if columns else sum(design_of.values())
    factor = min(1, max(60, width - 110) / design)
    values = {n: math.floor(v * factor) for n, v in panels}
    for step in range(4):
        _set_panels(spec, values)
        svg = vl_convert.vega_to_svg(spec)
        row = max(values.values()) if columns else sum(values.values())
        target = min(design, row + (width - _svg_width(svg)))
        if step > 2 or abs(target - row) < 1:
            return svg
        scale = max(target, 60) / row
        values = {n: min(design_of[n], max(30, math.floor(v * scale))) for n, v in values.items()}
    return svg


_DROP = re.compile(r' (?:opacity="1"|stroke-width="1"|pointer-events="none"|aria-hidden="true"|role="[^"]*"'
                   r'|aria-roledescription="[^"]*"|aria-label="[^"]*")')
_COLOUR = re.compile(r' (fill|stroke)="([^"]*)"')
_NAMED = {"black": "#000000", "white": "#ffffff"}


def _colour(m: re.Match) -> str:
    value = _NAMED.get(m.group(2).lower(), m.group(2).lower())
    if re.fullmatch(r"#[0-9a-f]{3}", value):
        value = "#" + "".join(ch * 2 for ch in value[1:])
    return f' {m.group(1)}="{value}"'


def _round(m: re.Match) -> str:
    value = round(float(m.group(0)), 1)
    return str(int(value)) if value == int(value) else f"{value:g}"


def _tag(m: re.Match) -> str:
    tag = _COLOUR.sub(_colour, _DROP.sub("", m.group(0)))
    tag = re.sub(r"-?\d+\.\d{2,}", _round, tag)
    # a point drawn as a circle path: a circle element says the same in a third of the bytes
    return re.sub(r'<path transform="translate\(([-\d.]+),([-\d.]+)\)" d="M([\d.]+),0A\3,\3,0,1,1,-\3,0A\3,\3,0,1,1,\3,0"',
                  r'<circle cx="\1" cy="\2" r="\3"', tag)


def page_svg(svg: str, kind: str) -> str:
    """A vl-convert drawing made small for the page: labels drawn transparent (hidden to avoid overlaps) and empty
    groups left out, no ARIA (the chart's div is the image, with its Data view), numbers to 0.1 px, colours as
    lower-case #rrggbb (the dark theme's stylesheet matches them), the font named once."""
    svg = re.sub(r'<text[^>]*\sopacity="0"[^>]*>.*?</text>', "", svg, flags=re.S)
    svg = re.sub(r"<[^>]+>", _tag, svg)
    svg = re.sub(r'<path class="background" d="M0,0h0v0h0Z"/>|<path class="foreground" d=""(?: display="none")?/>',
                 "", svg)
    fonts = set(re.findall(r' font-family="([^"]*)"', svg))
    font = fonts.pop() if len(fonts) == 1 else None
    if font:
        svg = svg.replace(f' font-family="{font}"', "")
    width, height = re.search(r'<svg[^>]*\swidth="([\d.]+)" height="([\d.]+)"', svg).groups()
    root = (f'<svg class="usrubook-static usrubook-static-{kind}" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" aria-hidden="true" focusable="false"'
            + (f' font-family="{font}"' if font else "") + ">")
    return re.sub(r"<svg[^>]*>", lambda _m: root, svg, count=1)


def static_first(markup: str, spec: dict, page_dir: str, out: Path, cache: Path) -> str:
    """A chart's web output (usrubook.chapter.charts.html_output) with its drawings put in its div and its Vega
    spec moved to ``out/_charts/<chart id>.js``, which the div names (``data-spec``, relative to the page)."""
    from usrubook.chapter.dataview import data_tables, resolve_cells

    found = _SPEC_SCRIPT.search(markup)
    if found is None:
        raise SphinxError("a chart output has no Vega spec (<script id=\"…-spec\">); re-run its chapter")
    elem, payload = found["elem"], found["json"]
    markup = markup[:found.start()] + markup[found.end():]
    script = f"{CHARTS_FOLDER}/{elem}.js"
    write_if_changed(out / script, (f'(window.usrubookSpecs = window.usrubookSpecs || {{}})["{elem}"] = '
                                    f"{payload};\n").encode("utf-8"))
    vega = resolve_cells(json.loads(payload), data_tables(spec))
    drawings = []
    for kind, width in STATIC_WIDTHS.items():
        key = hashlib.sha256(f"{width}\0{payload}".encode("utf-8")).hexdigest()
        cached = cache / f"{key}.svg"
        if cached.exists():
            svg = cached.read_text(encoding="utf-8")
        else:
            svg = draw_vega(json.loads(json.dumps(vega)), width)
            write_if_changed(cached, svg.encode("utf-8"))
        drawings.append(page_svg(svg, kind))
    div = re.compile(r'(<div class="usrubook-chart" id="' + re.escape(elem) + r'"[^>]*)></div>')
    if not div.search(markup):
        raise SphinxError(f"chart {elem}: its output has no <div class=\"usrubook-chart\" id=\"{elem}\">")
    src = html.escape(posixpath.relpath(script, page_dir or "."), quote=True)
    markup = div.sub(lambda m: f'{m.group(1)} data-spec="{src}">' + "".join(drawings) + "</div>", markup, count=1)
    return markup


def read_spec_script(path: Path) -> dict:
    """The compiled Vega spec in a chart's ``_charts/<chart id>.js`` (as :func:`static_first` writes it)."""
    text = path.read_text(encoding="utf-8")
    return json.loads(text[text.index("] = ") + 4:].rstrip().removesuffix(";"))


class FigureDownloads(SphinxPostTransform):
    """Write each chart figure's files and put a "Get the data" disclosure after its caption (HTML only)."""

    default_priority = 3   # before myst-nb's SelectMimeType (4) drops the PDF output, which carries the spec

    def is_supported(self) -> bool:
        return self.app.builder.format == "html"

    def run(self, **kwargs) -> None:
        docname = self.env.docname
        out = Path(self.app.outdir)
        package = data_package_name(self.config.release)
        for bundle in list(self.document.findall(
                lambda n: isinstance(n, nodes.container) and n.get("nb_element") == "mime_bundle")):
            chart = next((c for c in bundle.children if c.get("mime_type") == MIME), None)
            if chart is None:
                continue
            holder = next(iter(chart.findall(lambda n: SPEC_ATTRIBUTE in n.attributes)), None)
            if holder is None:
                continue
            figure = _figure_of(bundle)
            if figure is None or not figure["ids"]:
                raise SphinxError(f"{docname}: a chart is not in a named figure; give its cell "
                                  "mystnb: figure: name: fig-… and a caption")
            name = figure["ids"][0]
            number = figure_number(self.env, docname, name)
            spec = json.loads(holder[SPEC_ATTRIBUTE])
            self._static_first(bundle, docname, spec)
            files = self._write_files(out, docname, name, number, spec, _caption_text(figure, self.env), package)
            # after the figure, not in its caption: the caption stays the figure's accessible name
            figure.parent.insert(figure.parent.index(figure) + 1,
                                 nodes.raw("", self._markup(docname, name, number, files, package), format="html"))

    def _static_first(self, bundle: nodes.Element, docname: str, spec: dict) -> None:
        web = next((c for c in bundle.children if c.get("mime_type") == "text/html"), None)
        raw = next(iter(web.findall(nodes.raw)), None) if web is not None else None
        if raw is None:
            raise SphinxError(f"{docname}: a chart output has no text/html for the web page; re-run the chapter")
        out = Path(self.app.outdir)
        markup = static_first(raw.astext(), spec, posixpath.dirname(docname), out, out.parent / ".usrubook_charts")
        raw.parent.replace(raw, nodes.raw("", markup, format="html", classes=raw.get("classes", [])))

    def _write_files(self, out: Path, docname: str, name: str, number: str, spec: dict, caption: str,
                     package: str) -> list[tuple[str, str]]:
        folder = out / FOLDER / name
        stem = PREFIX + name
        files: list[tuple[str, str]] = []
        from usrubook.book.cite import citation_for

        citation = citation_for(self.app, docname, "figure", name)
        page_url = citation["csljson"]["URL"]
        vl = download_spec(spec)
        tables = datasets(vl)
        labels = []
        for rows, marks in tables:
            drawn = f"{len(rows)} rows" if len(rows) != 1 else "1 row"
            labels.append(f"Rows drawn as {_drawn_as(marks)} (CSV, {drawn})" if len(tables) > 1
                          else f"Rows drawn (CSV, {drawn})")
        for i, ((rows, _marks), label) in enumerate(zip(tables, labels, strict=True), 1):
            file = f"{stem}.csv" if len(tables) == 1 else f"{stem}-{i}.csv"
            write_if_changed(folder / file, rows_csv(absolute_links(rows, page_url), lead_columns(vl, rows)).encode("utf-8"))
            if labels.count(label) > 1:     # two datasets drawn alike: say which is which
                label = label[:-1] + f"; dataset {i} of {len(tables)})"
            files.append((file, label))
        vl_bytes = (json.dumps(vl, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
        # The pictures depend on the spec alone: drawn again only when it changed (the spec is written last).
        spec_path = folder / f"{stem}.vl.json"
        pictures = [folder / f"{stem}.svg", folder / f"{stem}.png"]
        # They are drawn by a process of their own while the pages are written (usrubook.book.pictures).
        if not (spec_path.exists() and spec_path.read_bytes() == vl_bytes and all(p.exists() for p in pictures)):
            PAINTER.draw(name, {"vl": vl, "vl_version": vl_version(), "scale": PNG_SCALE, "svg": str(pictures[0]),
                                "png": str(pictures[1]), "spec": str(spec_path), "spec_text": vl_bytes.decode("utf-8")})
        files += [(f"{stem}.vl.json", "Vega-Lite spec (JSON, data inline)"),
                  (f"{stem}.svg", "Chart as SVG (vector)"), (f"{stem}.png", f"Chart as PNG ({PNG_SCALE}× size)")]
        cited = "\n\n".join(f"{label}:\n{citation[key]}" for key, label in
                             (("apa", "APA"), ("chicago", "Chicago"), ("bibtex", "BibTeX")))
        meta = book_metadata(self.app.srcdir)
        package_url = f"{meta.url}{PACKAGE_FOLDER}/{package}"
        write_if_changed(folder / "README.txt", readme(meta.title, number, caption, page_url, files,
                                                       (package_url, PACKAGE_LABEL),
                                             encodings(spec), cited).encode("utf-8"))
        files.append(("README.txt", "Read me: licence and citation (text)"))
        return files

    def _markup(self, docname: str, name: str, number: str, files: list[tuple[str, str]], package: str) -> str:
        here = posixpath.dirname(docname)
        base = posixpath.relpath(f"{FOLDER}/{name}", here or ".")
        items = [f'<li><a href="{html.escape(base)}/{html.escape(file)}" download>{html.escape(label)}</a></li>'
                 for file, label in files]
        package_href = posixpath.relpath(f"{PACKAGE_FOLDER}/{package}", here or ".")
        items.append(f'<li><a href="{html.escape(package_href)}" download>{PACKAGE_LABEL}</a></li>')
        return (f'<details class="usrubook-getdata" id="{name}-getdata">'
                f'<summary>Get the data <span class="sr-only">of figure {number}</span></summary>\n'
                f'<div class="usrubook-getdata-body"><ul>{"".join(items)}</ul>\n'
                f'<p class="usrubook-getdata-licence">Figure and data: '
                f'<a href="{LICENCE_URLS["CC-BY-4.0"]}">CC BY 4.0</a>. '
                f'Generated when the book was built; no network needed.</p></div></details>\n')


def _write_data_package(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    from usrubook.book.cite import citation_for

    meta = book_metadata(app.srcdir)
    book = citation_for(app, kind="book")
    readme_text = PACKAGE_README.format(title=meta.title, version=meta.version, released=meta.long_date,
                                        licence=LICENCE, url=meta.url, apa=book["apa"], bibtex=book["bibtex"])
    write_if_changed(Path(app.outdir) / PACKAGE_FOLDER / data_package_name(app.config.release),
           data_package_zip(Path(app.srcdir), app.config.release, readme_text))


PAINTER = Painter()


def _pictures_drawn(app, exception) -> None:
    problem = PAINTER.finish(cancel=exception is not None)
    if problem:
        raise SphinxError(f"usrubook: {problem}")


def setup(app) -> None:
    app.add_post_transform(FigureDownloads)
    # before anything reads the pictures, and before execution.restore_environment (100) forgets the environment
    # kept from the last good build, which a failed drawing must leave in place
    app.connect("build-finished", _pictures_drawn, priority=99)
    app.connect("build-finished", _write_data_package)
