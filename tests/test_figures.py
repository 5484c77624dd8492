"""Per-figure "Get the data": every chart figure of the web book offers the rows it draws (CSV), its Vega-Lite
spec, SVG and PNG made at build time, a read-me with its licence and citation, and the whole data package;
the files exist, say what the chart draws, and the data package validates."""
import csv
import io
import json
import posixpath
import re
import struct
import zipfile
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from usrubook.book.archive import release_time
from usrubook.book.figures import (
    STATIC_WIDTHS,
    absolute_links,
    data_package_name,
    datasets,
    download_spec,
    encodings,
    page_svg,
    read_spec_script,
    rows_csv,
)

PAGES = ["intro.html", "chapters/history.html", "chapters/current-state.html", "chapters/europe-asia.html",
         "chapters/trade.html", "chapters/outlook.html", "evidence/sources.html", "evidence/verification.html",
         "evidence/methods.html"]


def _figures(html_dir: Path):
    """(page, figure element, its Get the data element) for every chart figure of the book."""
    out = []
    for rel in PAGES:
        soup = BeautifulSoup((html_dir / rel).read_text(encoding="utf-8"), "html.parser")
        for chart in soup.select("div.usrubook-chart"):
            figure = chart.find_parent("figure")
            assert figure is not None and figure.get("id"), f"{rel}: chart {chart['id']} is not in a named figure"
            getdata = soup.find(id=f"{figure['id']}-getdata")
            out.append((rel, figure, getdata))
    return out


def _links(html_dir: Path, rel: str, getdata) -> dict[str, Path]:
    base = (html_dir / rel).parent
    return {a.get_text(" ", strip=True): (base / a["href"]).resolve() for a in getdata.select("a[download]")}


def _release(root: Path) -> str:
    return re.search(r"^version:\s*\"?([^\"\s]+)", (root / "CITATION.cff").read_text(encoding="utf-8"), re.M).group(1)


def test_every_chart_figure_offers_its_files(html_dir):
    figures = _figures(html_dir)
    assert len(figures) >= 14
    for rel, figure, getdata in figures:
        where = f"{rel}#{figure['id']}"
        assert getdata is not None, f"{where}: no Get the data"
        # next to the figure, not inside its caption (which names the figure for screen readers)
        assert getdata.find_parent("figure") is None, where
        assert getdata.name == "details" and getdata.find("summary").get_text(" ", strip=True).startswith(
            "Get the data"), where
        links = _links(html_dir, rel, getdata)
        kinds = {label.split(" (")[0].split(" as ")[0] for label in links}
        assert {"Rows drawn", "Vega-Lite spec", "Chart", "Read me: licence and citation",
                "Whole data package"} <= kinds, f"{where}: {sorted(links)}"
        for label, path in links.items():
            assert path.is_file() and path.stat().st_size > 0, f"{where}: '{label}' links a missing file {path}"
            assert html_dir.resolve() in path.parents, f"{where}: '{label}' links outside the book"
        names = {p.name for p in links.values()}
        stem = f"us-russia-relations-{figure['id']}"
        assert {f"{stem}.vl.json", f"{stem}.svg", f"{stem}.png", "README.txt"} <= names, f"{where}: {names}"
        assert "CC BY 4.0" in getdata.get_text(), where


def test_csv_files_hold_exactly_the_rows_the_spec_draws(html_dir):
    for rel, figure, getdata in _figures(html_dir):
        folder = html_dir / "_figures" / figure["id"]
        spec = json.loads((folder / f"us-russia-relations-{figure['id']}.vl.json").read_text(encoding="utf-8"))
        drawn = datasets(spec)
        page_url = re.search(r"^Page: (\S+)$", (folder / "README.txt").read_text(encoding="utf-8"), re.M).group(1)
        assert page_url.startswith("https://") and page_url.endswith("#" + figure["id"]), page_url
        files = sorted(folder.glob("*.csv"))
        assert len(files) == len(drawn), f"{figure['id']}: {len(files)} CSV files for {len(drawn)} datasets"
        for path, (rows, _marks) in zip(sorted(files, key=lambda p: (len(p.name), p.name)), drawn, strict=True):
            read = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
            assert len(read) == len(rows), f"{path.name}: {len(read)} rows, the chart draws {len(rows)}"
            for got, row in zip(read, absolute_links(rows, page_url), strict=True):
                for key, value in row.items():
                    if isinstance(value, str):
                        assert got[key] == value, f"{path.name}: {key} {got[key]!r} != {value!r}"
                        assert not got[key].startswith("../"), f"{path.name}: {key} is a relative link"
                    elif isinstance(value, (int, float)) and not isinstance(value, bool):
                        assert float(got[key]) == pytest.approx(value), f"{path.name}: {key}"


def test_the_data_view_lists_no_more_rows_than_the_csv(html_dir):
    """The Data view beside a chart shows the drawn rows that have a tooltip; the CSV has them all."""
    for rel, figure, getdata in _figures(html_dir):
        view = figure.select("details.usrubook-chart-data tbody tr")
        csv_rows = sum(len(list(csv.DictReader(io.StringIO(p.read_text(encoding="utf-8"))))) for p in
                       (html_dir / "_figures" / figure["id"]).glob("*.csv"))
        assert len(view) <= csv_rows, f"{rel}#{figure['id']}: Data view {len(view)} rows, CSV {csv_rows}"


def test_specs_compile_and_pictures_are_real(html_dir):
    import vl_convert

    from usrubook.book.protocol import vl_version

    for rel, figure, getdata in _figures(html_dir):
        folder = html_dir / "_figures" / figure["id"]
        stem = f"us-russia-relations-{figure['id']}"
        spec = json.loads((folder / f"{stem}.vl.json").read_text(encoding="utf-8"))
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v"), figure["id"]
        assert "usrubook_data" not in json.dumps(spec.get("usermeta", {})), figure["id"]
        assert vl_convert.vegalite_to_vega(spec, vl_version=vl_version())["marks"], figure["id"]
        svg = (folder / f"{stem}.svg").read_text(encoding="utf-8")
        assert svg.lstrip().startswith("<svg") and "</svg>" in svg, figure["id"]
        png = (folder / f"{stem}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n", figure["id"]
        width, height = struct.unpack(">II", png[16:24])
        svg_width = float(re.search(r'<svg[^>]*\bwidth="([\d.]+)', svg).group(1))
        assert abs(width - 2 * svg_width) <= 2, f"{figure['id']}: PNG {width} px wide, SVG {svg_width}"


def test_readme_names_the_figure_its_licence_and_citation(html_dir, root):
    for rel, figure, getdata in _figures(html_dir):
        number = figure.select_one(".caption-number").get_text(strip=True).removeprefix("Fig.").strip()
        text = (html_dir / "_figures" / figure["id"] / "README.txt").read_text(encoding="utf-8")
        assert text.startswith(f"Figure {number} of "), f"{figure['id']}: {text[:60]!r} (caption: Fig. {number})"
        assert "CC BY 4.0" in text and "Cite this figure" in text, figure["id"]
        spec = json.loads((html_dir / "_figures" / figure["id"] / f"us-russia-relations-{figure['id']}.vl.json")
                          .read_text(encoding="utf-8"))
        for line in encodings(spec):      # what the chart encodes, column by column
            assert f"  {line}\n" in text, f"{figure['id']}: README lacks '{line}'"
        assert re.search(r"^  https://\S+/_downloads/us-russia-relations-data-[\d.]+\.zip$", text, re.M), figure["id"]
        assert _release(root) in text, f"{figure['id']}: the citation names no version"
        for line in text.splitlines():
            m = re.match(r"\s+(\S+\.(?:csv|json|svg|png|zip))\s", line)
            if m:
                assert (html_dir / "_figures" / figure["id"] / m.group(1)).resolve().is_file(), line


def test_the_data_package_is_whole_and_valid(html_dir, root, tmp_path):
    from frictionless import Package

    path = html_dir / "_downloads" / data_package_name(_release(root))
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert names == sorted(names)
        # dated the book's release (CITATION.cff), so that an unzipped file shows a real date, the same on every build
        assert all(info.date_time == release_time(root) for info in archive.infolist())
        archive.extractall(tmp_path)
    (top,) = list(tmp_path.iterdir())
    package = json.loads((top / "datapackage.json").read_text(encoding="utf-8"))
    for resource in package["resources"]:
        assert (top / resource["path"]).read_bytes() == (root / "data" / resource["path"]).read_bytes()
    assert (top / "LICENSE-TEXT").is_file()
    assert (top / "CITATION.cff").read_bytes() == (root / "CITATION.cff").read_bytes()
    readme = (top / "README.txt").read_text(encoding="utf-8")
    assert _release(root) in readme and "curated/" in readme and "@book{" in readme
    report = Package(str(top / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]


def test_rows_csv_writes_what_a_spreadsheet_reads():
    rows = [{"label": "a, b", "value": 2.0, "flag": True, "note": None},
            {"label": "c", "value": 2.5, "extra": [1, 2]}]
    assert rows_csv(rows) == ('label,value,flag,note,extra\n"a, b",2,true,,\nc,2.5,,,"[1, 2]"\n')
    assert rows_csv(rows, ["value", "missing"]).startswith("value,label,flag,note,extra\n")


def test_links_become_web_addresses_and_encodings_are_listed():
    rows = [{"passage": "../evidence/source-texts.html#seed003-p51", "label": "../not-a-page"}]
    page = "https://example.org/book/chapters/trade.html#fig-a"
    assert absolute_links(rows, page) == [{"passage": "https://example.org/book/evidence/source-texts.html#seed003-p51",
                                           "label": "../not-a-page"}]
    spec = {"layer": [{"mark": "bar", "encoding": {"x": {"field": "value", "title": "US$ billion"},
                                                   "y": {"field": "label", "axis": {"title": "Flow"}},
                                                   "tooltip": [{"field": "quote"}]}},
                      {"mark": "text", "encoding": {"x": {"field": "value", "title": "US$ billion"}}}]}
    assert encodings(spec) == ["x: value (US$ billion)", "y: label (Flow)"]


def test_datasets_name_the_marks_that_draw_them():
    rows = [{"x": 1}]
    other = [{"y": 2}]
    spec = {"layer": [{"mark": "bar", "data": {"values": rows}}, {"mark": "text", "data": {"values": rows}},
                      {"mark": {"type": "point"}, "data": {"values": other}}]}
    assert datasets(spec) == [(rows, ["bars", "labels"]), (other, ["points"])]
    spec = {"$schema": "x", "mark": "bar", "usermeta": {"usrubook_data": [1], "keep": 1}}
    assert download_spec(spec)["usermeta"] == {"keep": 1}


def _page_specs(html_dir: Path):
    """(page, chart id, the compiled Vega spec the page draws) for every chart of the book."""
    for rel in PAGES:
        soup = BeautifulSoup((html_dir / rel).read_text(encoding="utf-8"), "html.parser")
        for chart in soup.select("div.usrubook-chart"):
            yield rel, chart["id"], read_spec_script(html_dir / posixpath.dirname(rel) / chart["data-spec"])


def _groups(node):
    yield node
    for mark in node.get("marks", []):
        if mark.get("type") == "group":
            yield from _groups(mark)


def test_long_labels_wrap_in_every_web_chart(html_dir):
    """Every category axis and symbol legend of every chart the web book draws (and of its compact variant)
    breaks long labels into lines within its label limit instead of shortening them; legends set as many
    columns as fit below the plot. (Whether the drawn labels fit is tested in a browser: test_layout.py.)"""
    seen = 0
    for rel, chart, spec in _page_specs(html_dir):
        for variant in (spec, spec.get("usermeta", {}).get("narrow")):
            if not variant:
                continue
            for group in _groups(variant):
                scales = {s["name"]: s for s in variant.get("scales", []) + group.get("scales", [])}
                for axis in group.get("axes", []):
                    if scales.get(axis["scale"], {}).get("type") not in ("band", "point") or axis.get("labels") is False:
                        continue
                    labels = axis.get("encode", {}).get("labels", {}).get("update", {})
                    assert "regexp(" in labels.get("text", {}).get("signal", "") and labels.get("lineBreak") == {
                        "value": "\n"}, f"{rel} {chart}: axis of scale {axis['scale']} does not wrap its labels"
                    assert "signal" in axis.get("labelLimit", {}), f"{rel} {chart}: axis {axis['scale']} has a fixed limit"
                    seen += 1
                for legend in group.get("legends", []):
                    if "gradientLength" in legend:
                        continue
                    labels = legend.get("encode", {}).get("labels", {}).get("update", {})
                    assert "regexp(" in labels.get("text", {}).get("signal", ""), f"{rel} {chart}: legend does not wrap"
                    assert "containerSize()" in legend.get("columns", {}).get("signal", ""), f"{rel} {chart}: {legend}"
                    seen += 1
    assert seen >= 20


def test_wrapped_label_expression_breaks_at_spaces_within_the_limit():
    """The wrapping expression, evaluated by the Vega runtime the book serves (Node), breaks a label into lines of
    at most the limit's characters at spaces, keeps a word longer than a line whole, and leaves short labels."""
    import shutil
    import subprocess

    from usrubook.chapter.charts import CHAR_PX, wrap_expr

    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed (the browser tests' tools need it; see .ci/system-packages)")
    root = Path(__file__).resolve().parent.parent
    cases = ["General Assembly: against (with the United States)", "Sanctions and trade",
             "Internationalisation of everything", "Arms control"]
    # the file the book serves (usrubook.book.vega), run as a page would: it defines the global `vega`
    script = ("const vm = require('vm'), fs = require('fs'); const page = {}; page.self = page; vm.createContext(page);"
              "vm.runInContext(fs.readFileSync('node_modules/vega/build/vega.min.js', 'utf8'), page);"
              "const vega = page.vega;"
              f"const expr = {json.dumps(wrap_expr('datum.label', str(20 * CHAR_PX)))};"
              "const out = [];"
              f"for (const label of {json.dumps(cases)}) {{"
              "  const spec = {signals: [{name: 'x', update: expr.split('datum.label').join(JSON.stringify(label))}]};"
              "  const view = new vega.View(vega.parse(spec), {renderer: 'none'}); view.run(); out.push(view.signal('x')); }"
              "console.log(JSON.stringify(out));")
    result = subprocess.run([node, "-e", script], cwd=root, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    wrapped = json.loads(result.stdout)
    assert wrapped == ["General Assembly:\nagainst (with the\nUnited States)", "Sanctions and trade",
                       "Internationalisation\nof everything", "Arms control"]


def test_every_chart_arrives_drawn_and_its_spec_loads_apart(html_dir):
    """Every chart of the web book holds its two drawings made at build time (a phone's and a laptop's width), with
    no ARIA and no text drawn transparent; its spec is not in the page but in the _charts/ file its div names; and
    no text the Data view shows is sent again in the spec."""
    from usrubook.chapter.dataview import CELL_KEY, SHARED_MIN_CHARS

    seen = 0
    for rel in PAGES:
        page = html_dir / rel
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        assert not soup.select('script[type="application/json"][id$="-spec"]'), f"{rel}: a spec is in the page"
        for chart in soup.select("div.usrubook-chart"):
            svgs = chart.find_all("svg", recursive=False)
            assert [s["class"][-1] for s in svgs] == [f"usrubook-static-{k}" for k in STATIC_WIDTHS], (rel, chart["id"])
            for svg in svgs:
                assert svg["aria-hidden"] == "true" and svg.find("text") is not None, (rel, chart["id"])
                assert not svg.find(attrs={"opacity": "0"}) and not svg.find(attrs={"role": True}), (rel, chart["id"])
            assert int(svgs[0]["width"]) <= STATIC_WIDTHS["narrow"] and int(svgs[1]["width"]) <= STATIC_WIDTHS["wide"]
            spec = read_spec_script(page.parent / chart["data-spec"])
            shown = {td.get_text() for td in soup.select(f"#{chart['id']}-data td")}
            text = json.dumps(spec, ensure_ascii=False)
            repeated = [t for t in shown if len(t) >= SHARED_MIN_CHARS and json.dumps(t, ensure_ascii=False) in text]
            assert not repeated, f"{rel} {chart['id']}: the spec repeats texts of the Data view: {repeated[:2]}"
            seen += CELL_KEY in text
    assert seen >= 5   # the charts with quotes or titles name their cells


def test_page_drawings_are_small_and_their_colours_have_dark_rules(html_dir):
    """The page's drawing of a chart is vl-convert's with the bytes a page does not need left out, and every colour
    it is drawn in that the dark theme changes has its rule in the stylesheet (usrubook.css)."""
    from usrubook.chapter.charts import STATIC_DARK

    raw = ('<svg xmlns="http://www.w3.org/2000/svg" class="marks" width="300" height="100" viewBox="0 0 300 100">'
           '<g fill="none"><g class="mark-text role-axis-label" pointer-events="none" role="graphics-object">'
           '<text transform="translate(10.4365019,16)" font-family="Helvetica, Arial" fill="#000" opacity="1">1992</text>'
           '<text transform="translate(31.33,16)" font-family="Helvetica, Arial" fill="#000" opacity="0">1994</text></g>'
           '<path transform="translate(1.43,91.78)" d="M3.708,0A3.708,3.708,0,1,1,-3.708,0A3.708,3.708,0,1,1,3.708,0" '
           'fill="#009E73" stroke="white"/><path class="foreground" aria-hidden="true" d="" pointer-events="none" '
           'display="none"/></g></svg>')
    svg = page_svg(raw, "narrow")
    assert svg == ('<svg class="usrubook-static usrubook-static-narrow" width="300" height="100" viewBox="0 0 300 100" '
                   'aria-hidden="true" focusable="false" font-family="Helvetica, Arial"><g fill="none">'
                   '<g class="mark-text role-axis-label"><text transform="translate(10.4,16)" fill="#000000">1992</text>'
                   '</g><circle cx="1.4" cy="91.8" r="3.7" fill="#009e73" stroke="#ffffff"/></g></svg>'), svg
    css = (Path(__file__).resolve().parent.parent / "usrubook/book/static/usrubook.css").read_text(encoding="utf-8")
    rules = set(re.findall(r'html\[data-theme="dark"\] svg\.usrubook-static \[(fill|stroke)="(#[0-9a-f]{6})"\] '
                           r'\{ \1: (#[0-9a-f]{6}); \}', css))
    assert rules == {(part, light, dark) for light, dark in STATIC_DARK.items() for part in ("fill", "stroke")}
    drawn = set()
    for rel in PAGES:
        for light in re.findall(r' (?:fill|stroke)="(#[0-9a-f]{6})"', (html_dir / rel).read_text(encoding="utf-8")):
            drawn.add(light)
    assert "#000000" in drawn and not {c for c in drawn if c in ("#000", "black", "white")}


def test_pictures_are_drawn_by_a_process_of_their_own_and_a_failure_names_the_chart(tmp_path):
    """The painter's process draws each chart's SVG and PNG and writes its spec last; a chart it cannot draw stops
    it with the chart's name, and that chart's spec is not written (so the next build draws it again)."""
    from usrubook.book.pictures import Painter
    from usrubook.book.protocol import vl_version

    good = {"$schema": "https://vega.github.io/schema/vega-lite/v6.json", "data": {"values": [{"a": 1}, {"a": 2}]},
            "mark": "point", "encoding": {"x": {"field": "a", "type": "quantitative"}}}
    bad = {"$schema": good["$schema"], "data": {"values": [{"a": 1}]}, "mark": "no-such-mark"}

    def job(name, vl):
        return {"vl": vl, "vl_version": vl_version(), "scale": 2, "svg": str(tmp_path / f"{name}.svg"),
                "png": str(tmp_path / f"{name}.png"), "spec": str(tmp_path / f"{name}.vl.json"), "spec_text": "{}\n"}

    painter = Painter()
    painter.draw("fig-good", job("good", good))
    assert painter.finish() is None
    assert (tmp_path / "good.svg").read_text(encoding="utf-8").startswith("<svg")
    assert (tmp_path / "good.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "good.vl.json").read_text(encoding="utf-8") == "{}\n"
    painter.draw("fig-bad", job("bad", bad))
    painter.draw("fig-after", job("after", good))
    problem = painter.finish()
    assert problem and "fig-bad:" in problem, problem
    assert not (tmp_path / "bad.vl.json").exists()
