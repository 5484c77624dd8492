"""Re-run a chapter anywhere: each chapter page offers its notebook and a self-contained kit.

At the end of an HTML build, for every page under ``chapters/``, the book writes to ``_build/html/notebooks/``:

* ``<chapter>.ipynb``: the chapter converted by jupytext (no outputs), with fixed notebook metadata and cell
  ids, so that two builds give the same bytes;
* ``usrubook-<chapter>.zip``: a folder ``usrubook-<chapter>/`` holding that notebook, the tables its code
  loads (:func:`usrubook.build.execution.dependencies`) with ``data/datapackage.json``, the ``usrubook``
  package's source, ``references.bib``, the licences, a
  ``requirements.txt`` with the exact pins (from the book's ``requirements.txt``) of the packages the
  chapter needs and of everything they depend on, a README, and ``usrubook-kit.json``, which marks the
  folder as a root for :mod:`usrubook.paths`. Entries are sorted and carry a fixed time.

The chapter page gets a line under its title that links both files and the page that explains the routes
(``rerun.md``); it is HTML only (the PDF has no such line).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from usrubook.build.archive import EARLIEST, deterministic_zip
from usrubook.paths import KIT_MARKER
from usrubook.pipeline.csvio import write_if_changed

OUT = "notebooks"                       # folder of _build/html
HOWTO = "rerun"                         # the page that explains the three routes
ZIP_TIME = EARLIEST
PACKAGE = Path(__file__).resolve().parent.parent
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
# What a chapter's code imports (directly or through usrubook.chapter), and what runs a notebook
# (``jupyter execute``, a kernel); their dependencies are added from the installed packages' metadata.
NEEDS = ["altair", "pandas", "vl-convert-python", "ipython", "ipykernel", "nbclient", "nbformat"]
LICENCES = ["LICENSE", "LICENSE-CODE", "LICENSE-TEXT"]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(root: Path) -> dict[str, str]:
    """``{normalised name: "name==version"}`` from the book's requirements.txt."""
    out = {}
    for line in (root / "requirements.txt").read_text(encoding="utf-8").splitlines():
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


def notebook(root: Path, rel: str) -> bytes:
    """The page ``rel`` (e.g. ``chapters/trade.md``) as an .ipynb without outputs, the same bytes on every build."""
    import jupytext
    import nbformat

    nb = jupytext.reads((root / rel).read_text(encoding="utf-8"), fmt="md:myst")
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:03d}"
    nbformat.validate(nb)
    return (nbformat.writes(nb) + "\n").encode("utf-8")


def title_of(root: Path, rel: str) -> str:
    match = re.search(r"^# (.+)$", (root / rel).read_text(encoding="utf-8"), re.M)
    return match.group(1).strip() if match else Path(rel).stem


def _readme(name: str, title: str, book: str, version: str, tables: list[str]) -> str:
    data = ", ".join(f"`{t}`" for t in tables) or "none"
    return f"""# {title}: a chapter of "{book}" (version {version}), to re-run

This folder runs the chapter's code without the book's repository.

- `{name}.ipynb`: the chapter as a Jupyter notebook (no outputs; run it to make them).
- `data/`: the tables the chapter loads ({data}) and `datapackage.json`, which describes every table of
  the book (fields, types, units, sources).
- `usrubook/`: the book's Python package (source), which the notebook imports; it finds `data/` through
  `{KIT_MARKER}` in this folder.
- `requirements.txt`: exact versions of the packages the chapter needs and of their dependencies (as
  the book's build resolves them on Linux; on another system pip adds any dependency that system needs).
- `references.bib`: the book's bibliography; `{{cite}}` keys in the prose name its entries.
- `LICENSE`, `LICENSE-CODE`, `LICENSE-TEXT`: the licences (text and data: CC BY 4.0; code: MIT).

## Run it

With Python 3.11 or later, in this folder:

    python3 -m venv .venv
    .venv/bin/pip install -r requirements.txt
    .venv/bin/jupyter execute --inplace {name}.ipynb

The last command runs every cell and stores the outputs in `{name}.ipynb`. To run it cell by cell, open
`{name}.ipynb` in any Jupyter front end (JupyterLab, Notebook, VS Code) started in this folder, with a
kernel from this environment (or any Python environment with these packages). JupyterLab is not among the
requirements; to use it, `.venv/bin/pip install jupyterlab` and run `.venv/bin/jupyter lab`.

Charts are Vega 5 specifications, which JupyterLab draws with tooltips and no network access, together with
a static SVG image for front ends that do not draw Vega. The prose is MyST Markdown: `{{glue}}` roles name
values that the cells compute (the web book prints them in place; here each cell that computes them lists
them, name and value, below it), `{{cite}}` roles name entries of `references.bib`, and `{{numref}}` and
`{{ref}}` roles refer to figures and pages of the web book.
"""


def kit(root: Path, rel: str, meta: dict) -> bytes:
    """The chapter's self-contained kit, a zip archive with sorted entries and fixed times."""
    from usrubook.build.execution import dependencies

    source = (root / rel).read_text(encoding="utf-8")
    name = Path(rel).stem
    data = sorted(set(dependencies(source)) | {"data/datapackage.json"})
    tables = [Path(p).stem for p in data if p.endswith(".csv")]
    title = title_of(root, rel)
    files: dict[str, bytes] = {
        f"{name}.ipynb": notebook(root, rel),
        "README.md": _readme(name, title, meta["book"], meta["version"], tables).encode("utf-8"),
        "requirements.txt": ("".join(line + "\n" for line in requirements(root, NEEDS)))
        .encode("utf-8"),
        KIT_MARKER: (json.dumps({"book": meta["book"], "version": meta["version"], "chapter": rel, "title": title,
                                 "tables": tables}, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"),
        "references.bib": (root / "references.bib").read_bytes(),
    }
    for rel_path in data + LICENCES:
        files[rel_path] = (root / rel_path).read_bytes()
    for py in sorted(PACKAGE.rglob("*.py")):
        files["usrubook/" + py.relative_to(PACKAGE).as_posix()] = py.read_bytes()
    return deterministic_zip({f"usrubook-{name}/{path}": content for path, content in files.items()}, ZIP_TIME)


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


def _write_all(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    root = Path(app.srcdir)
    meta = {"book": app.config.html_title, "version": app.config.version}   # both from CITATION.cff (metadata.py)
    out = Path(app.outdir) / OUT
    for docname in chapter_pages(app.env.found_docs):
        rel = docname + ".md"
        name = Path(rel).stem
        write_if_changed(out / f"{name}.ipynb", notebook(root, rel))
        write_if_changed(out / f"usrubook-{name}.zip", kit(root, rel, meta))


def setup(app):
    app.connect("html-page-context", _page_links)
    app.connect("build-finished", _write_all)
