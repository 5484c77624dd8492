"""Re-run a chapter anywhere: each chapter page offers its notebook and a self-contained kit.

At the end of an HTML build, for every page under ``chapters/``, the book writes to ``_build/html/notebooks/``:

* ``<chapter>.ipynb``: the chapter converted by jupytext (no outputs), with fixed notebook metadata and cell
  ids, so that two builds give the same bytes; its prose gives citations and cross-references as the web book's
  text (:mod:`usrubook.book.labtext`), and its ``{eval}`` roles show the values the cells compute once the
  Markdown cells have run in JupyterLab with jupyterlab-myst;
* ``usrubook-<chapter>.zip``: a folder ``usrubook-<chapter>/`` holding that notebook, the tables its code
  loads (:func:`usrubook.book.execution.dependencies`) with ``data/datapackage.json``, the ``usrubook``
  package's source, ``references.bib``, the licences, a
  ``requirements.txt`` with the exact pins (from the book's ``requirements.txt``) of the packages the
  chapter needs and of everything they depend on, JupyterLab and jupyterlab-myst (pinned as the book's
  ``requirements-lab.txt`` pins them), and the kit's own folder (``-e .``, with the kit's ``pyproject.toml``),
  so that the kit's ``usrubook`` imports whatever folder Jupyter or the kernel starts in; a README; and
  ``usrubook-kit.json``, which marks the folder as a root for :mod:`usrubook.paths`. Entries are sorted and
  carry the book's release date (CITATION.cff), the same on every build.

The chapter page gets a line under its title that links both files and the page that explains the routes
(``rerun.md``); it is HTML only (the PDF has no such line).
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from usrubook.book import labtext
from usrubook.book.archive import deterministic_zip, release_time
from usrubook.paths import KIT_MARKER
from usrubook.pipeline.csvio import write_if_changed

OUT = "notebooks"                       # folder of _build/html
HOWTO = "rerun"                         # the page that explains the three routes
# The front end that renders the prose as the book does (MyST, {eval} values), pinned as requirements-lab.txt pins it.
LAB_NEEDS = ["jupyterlab", "jupyterlab-myst"]
PACKAGE = Path(__file__).resolve().parent.parent
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
# What a chapter's code imports (directly or through usrubook.chapter), and what runs a notebook
# (``jupyter execute``, a kernel); their dependencies are added from the installed packages' metadata.
NEEDS = ["altair", "pandas", "vl-convert-python", "ipython", "ipykernel", "nbclient", "nbformat"]
LICENCES = ["LICENSE", "LICENSE-CODE", "LICENSE-TEXT"]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(root: Path, name: str = "requirements.txt") -> dict[str, str]:
    """``{normalised name: "name==version"}`` from the book's requirements.txt (or ``name``)."""
    out = {}
    for line in (root / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            out[_norm(line.split("==", 1)[0].split("[", 1)[0])] = line
    return out


def requirements(root: Path, roots: list[str]) -> list[str]:
    """The exact pins of ``roots`` and of all they depend on (for this platform and Python), as the book pins them."""
    from importlib.metadata import distribution

    from packaging.requirements import Requirement

    pinned = pins(root)
    seen: set[str] = set()
    todo = [_norm(r) for r in roots]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in pinned:
            raise RuntimeError(f"usrubook: {name} is needed to re-run a chapter but is not pinned in requirements.txt")
        seen.add(name)
        for text in distribution(name).requires or []:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(_norm(req.name))
    return sorted((pinned[n] for n in seen), key=str.lower)


def notebook(root: Path, rel: str, look: dict | None = None) -> bytes:
    """The page ``rel`` (e.g. ``chapters/trade.md``) as an .ipynb without outputs, the same bytes on every build;
    citations and cross-references in its prose as text (``look``: :func:`usrubook.book.labtext.lookups`)."""
    import jupytext
    import nbformat

    from usrubook.book import labtext

    look = labtext.lookups(root) if look is None else look
    nb = jupytext.reads((root / rel).read_text(encoding="utf-8"), fmt="md:myst")
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:03d}"
        if cell.cell_type == "markdown":
            cell.source = labtext.to_lab(cell.source, look)
    nbformat.validate(nb)
    return (nbformat.writes(nb) + "\n").encode("utf-8")


def title_of(root: Path, rel: str) -> str:
    match = re.search(r"^# (.+)$", (root / rel).read_text(encoding="utf-8"), re.M)
    return match.group(1).strip() if match else Path(rel).stem


def _readme(name: str, title: str, book: str, version: str, tables: list[str]) -> str:
    data = ", ".join(f"`{t}`" for t in tables) or "none"
    return f"""# {title}: a chapter of "{book}" (version {version}), to re-run

This folder runs the chapter's code without the book's repository, on Linux, macOS or Windows.

- `{name}.ipynb`: the chapter as a Jupyter notebook (no outputs; run it to make them).
- `data/`: the tables the chapter loads ({data}) and `datapackage.json`, which describes every table of
  the book (fields, types, units, sources).
- `usrubook/`: the book's Python package (source), which the notebook imports; it finds `data/` beside
  itself (`{KIT_MARKER}` marks this folder).
- `requirements.txt`: exact versions of the packages the chapter needs and of their dependencies (as the
  book's build resolves them on Linux; on macOS and Windows pip adds the few that those systems need), of
  JupyterLab and jupyterlab-myst, and last this folder itself (`-e .`, described by `pyproject.toml`), so
  that the notebook's kernel imports this `usrubook` whatever folder it starts in.
- `references.bib`: the book's bibliography, which the citations in the prose name.
- `LICENSE`, `LICENSE-CODE`, `LICENSE-TEXT`: the licences (text and data: CC BY 4.0; code: MIT).

## Run it

You need Python 3.11 or later (the book is built with 3.11) and about 450 MB of disk space
for the packages. In this folder, the commands below make a virtual environment, `.venv`, install the pinned
packages into it (a few minutes, once), then run every cell and store the outputs in `{name}.ipynb`.

On Linux or macOS, in a terminal:

    python3 -m venv .venv
    .venv/bin/python -m pip install -r requirements.txt
    .venv/bin/jupyter execute --inplace {name}.ipynb

`python3 --version` must print 3.11 or later. The `python3` that macOS itself provides (with the Xcode
command line tools) is older: install Python from python.org or Homebrew and use, for example,
`python3.12 -m venv .venv`. On Debian or Ubuntu, `python3 -m venv` needs the `python3-venv` package.

On Windows, in PowerShell or the Command Prompt, with Python from python.org (which installs the `py`
launcher):

    py -3 -m venv .venv
    .venv\\Scripts\\python -m pip install -r requirements.txt
    .venv\\Scripts\\jupyter execute --inplace {name}.ipynb

`py --list` shows the Pythons installed; pick one with, for example, `py -3.12 -m venv .venv`.

To read and run the chapter cell by cell, start JupyterLab from the environment, `.venv/bin/jupyter lab`
(on Windows `.venv\\Scripts\\jupyter lab`), open `{name}.ipynb` and choose *Run → Run All Cells*. Another
front end (Notebook, VS Code) runs it too, with this folder's `.venv` as its kernel.

In JupyterLab, jupyterlab-myst renders the prose as the book does. The numbers in the prose are `{{eval}}`
roles: each shows the value the cells compute once the cells before it have run (in another front end, the
role's name is shown instead). Citations and cross-references read as in the web book: the references'
labels, and the numbers of figures and tables. Charts are Vega 5 specifications, which JupyterLab draws with
tooltips and no network access, together with a static SVG image for front ends that do not draw Vega.
"""


def kit_pyproject(name: str, root: Path) -> str:
    """The kit as a Python project, so that ``pip install -e .`` (a line of its requirements.txt) makes its
    ``usrubook`` importable from any folder; the package then finds the kit's data beside itself."""
    setuptools = pins(root)["setuptools"]
    return f"""[build-system]
requires = ["{setuptools}"]
build-backend = "setuptools.build_meta"

[project]
name = "usrubook-{name}"
version = "0"
description = "The code of one chapter's re-run kit of the book"
requires-python = ">=3.11"

[tool.setuptools.packages.find]
include = ["usrubook*"]
"""


def kit_requirements(root: Path) -> str:
    """A kit's requirements.txt. The dependencies of the installed packages decide it, and the book's pins decide
    those, so in a build it is kept (:data:`usrubook.book.buildcache.KIT_REQUIREMENTS`) by the pins, the names it
    starts from, this module's code, and the Python and platform whose markers choose among them."""
    import platform

    from usrubook.book.buildcache import KIT_REQUIREMENTS, Digest, code_digest

    key = Digest([code_digest("book/rerun.py"), NEEDS, LAB_NEEDS, sys.version, platform.platform()]).files(
        [root / "requirements.txt", root / "requirements-lab.txt"], root).hexdigest()
    text = KIT_REQUIREMENTS.get(key)
    if text is None:
        lab = pins(root, "requirements-lab.txt")
        lines = requirements(root, NEEDS) + [lab[_norm(n)] for n in LAB_NEEDS]
        text = "".join(line + "\n" for line in sorted(lines, key=str.lower)) + "-e .\n"
    KIT_REQUIREMENTS.put(key, text)
    return text


def kit_data(root: Path, rel: str) -> list[str]:
    """The data files of a chapter's kit: the tables its code loads, and ``data/datapackage.json``."""
    from usrubook.book.execution import dependencies

    return sorted(set(dependencies((root / rel).read_text(encoding="utf-8"))) | {"data/datapackage.json"})


def kit(root: Path, rel: str, meta: dict, look: dict | None = None, requirements_txt: str | None = None) -> bytes:
    """The chapter's self-contained kit, a zip archive with sorted entries dated the book's release."""
    name = Path(rel).stem
    data = kit_data(root, rel)
    tables = [Path(p).stem for p in data if p.endswith(".csv")]
    title = title_of(root, rel)
    files: dict[str, bytes] = {
        f"{name}.ipynb": notebook(root, rel, look),
        "README.md": _readme(name, title, meta["book"], meta["version"], tables).encode("utf-8"),
        "requirements.txt": (requirements_txt or kit_requirements(root)).encode("utf-8"),
        "pyproject.toml": kit_pyproject(name, root).encode("utf-8"),
        KIT_MARKER: (json.dumps({"book": meta["book"], "version": meta["version"], "chapter": rel, "title": title,
                                 "tables": tables}, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"),
        "references.bib": (root / "references.bib").read_bytes(),
    }
    for rel_path in data + LICENCES:
        files[rel_path] = (root / rel_path).read_bytes()
    for py in sorted(PACKAGE.rglob("*.py")):
        files["usrubook/" + py.relative_to(PACKAGE).as_posix()] = py.read_bytes()
    return deterministic_zip({f"usrubook-{name}/{path}": content for path, content in files.items()}, release_time(root))


def chapter_pages(docnames) -> list[str]:
    return sorted(d for d in docnames if d.startswith("chapters/"))


def links(pagename: str) -> str:
    """The line under a chapter's title (HTML only)."""
    name = pagename.split("/", 1)[1]
    return (f'<p class="usrubook-rerun">Re-run this chapter: '
            f'<a href="../{OUT}/{name}.ipynb" download>notebook (.ipynb, runs in a clone of the repository)</a> · '
            f'<a href="../{OUT}/usrubook-{name}.zip" download>self-contained kit (.zip)</a> · '
            f'<a href="../{HOWTO}.html">how to re-run a chapter</a></p>\n')


def _page_links(app, pagename, templatename, context, doctree):
    if app.builder.format != "html" or not pagename.startswith("chapters/") or "body" not in context:
        return
    body = context["body"]
    end = body.find("</h1>")
    if end < 0:
        return
    end += len("</h1>")
    context["body"] = body[:end] + "\n" + links(pagename) + body[end:]


def _inputs(root: Path, rel: str, meta: dict, requirements_txt: str) -> str:
    """Digest of everything a chapter's notebook and kit are made from (see :func:`notebook`, :func:`kit`): the
    chapter, the titles and numbers its cross-references show (every page's headings, the last build's numbers),
    the references, its data, the licences, the pins, the book's metadata and release date, the package's code
    (which the kit holds, and which makes both files) and the versions of jupytext and nbformat."""
    from importlib.metadata import version

    from usrubook.book.buildcache import Digest, code_digest

    digest = Digest([code_digest(), version("jupytext"), version("nbformat"), meta, requirements_txt,
                     labtext._heading_titles(root)])
    return digest.files([root / rel, root / labtext.XREFS, root / "references.bib", root / "CITATION.cff",
                         *(root / p for p in kit_data(root, rel) + LICENCES)], root).hexdigest()


def _write_all(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    from usrubook.book.buildcache import Record, cache_dir

    root = Path(app.srcdir)
    meta = {"book": app.config.html_title, "version": app.config.version}   # both from CITATION.cff (metadata.py)
    out = Path(app.outdir) / OUT
    labtext.write_xrefs(root, app.env)          # the numbers and titles cross-references show, also for make lab
    record = Record(cache_dir(Path(app.doctreedir).parent), "kits", Path(app.outdir))
    requirements_txt = kit_requirements(root)
    look = None
    for docname in chapter_pages(app.env.found_docs):
        rel = docname + ".md"
        name = Path(rel).stem
        files = [out / f"{name}.ipynb", out / f"usrubook-{name}.zip"]
        inputs = _inputs(root, rel, meta, requirements_txt)
        if record.fresh(name, inputs, files):
            continue
        look = labtext.lookups(root) if look is None else look
        write_if_changed(files[0], notebook(root, rel, look))
        write_if_changed(files[1], kit(root, rel, meta, look, requirements_txt))
        record.update(name, inputs, files)
    record.save()


def setup(app):
    app.connect("html-page-context", _page_links)
    # after the pages are marked ready (usrubook.book.afterbuild, 600): the kits are not printed or indexed
    app.connect("build-finished", _write_all, priority=700)
