"""Per-figure "Get the data": the files behind every chart, written at build time, offered beside its caption.

Every chart of the web book is a numbered figure. For each one the HTML build writes, under
``_figures/<figure name>/`` (the name is the figure's label, e.g. ``fig-trade-flows``):

* ``us-russia-relations-<name>.csv``: the rows the chart draws (each dataset of the spec that its marks
  draw, not the whole table it was made from); a chart whose layers draw different datasets gets one
  file per dataset, ``…-<name>-1.csv``, ``…-2.csv``;
* ``us-russia-relations-<name>.vl.json``: the chart's Vega-Lite spec, with its data inline, which the
  Vega Editor or Altair (``alt.Chart.from_dict``) opens as it is;
* ``us-russia-relations-<name>.svg`` and ``.png``: the chart drawn by vl-convert (the light theme; the PNG
  at twice the CSS size);
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
"""
from __future__ import annotations

import csv
import html
import io
import json
import posixpath
from pathlib import Path

from docutils import nodes
from sphinx.errors import SphinxError
from sphinx.transforms.post_transforms import SphinxPostTransform

from usrubook.book.archive import deterministic_zip, release_time
from usrubook.book.metadata import LICENCE_URLS, book_metadata
from usrubook.book.mimerender import SPEC_ATTRIBUTE
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
            files = self._write_files(out, docname, name, number, spec, _caption_text(figure, self.env), package)
            # after the figure, not in its caption: the caption stays the figure's accessible name
            figure.parent.insert(figure.parent.index(figure) + 1,
                                 nodes.raw("", self._markup(docname, name, number, files, package), format="html"))

    def _write_files(self, out: Path, docname: str, name: str, number: str, spec: dict, caption: str,
                     package: str) -> list[tuple[str, str]]:
        import vl_convert

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
        if not (spec_path.exists() and spec_path.read_bytes() == vl_bytes and all(p.exists() for p in pictures)):
            write_if_changed(pictures[0], vl_convert.vegalite_to_svg(vl, vl_version=vl_version()).encode("utf-8"))
            write_if_changed(pictures[1], vl_convert.vegalite_to_png(vl, vl_version=vl_version(), scale=PNG_SCALE))
            write_if_changed(spec_path, vl_bytes)
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


def setup(app) -> None:
    app.add_post_transform(FigureDownloads)
    app.connect("build-finished", _write_data_package)
