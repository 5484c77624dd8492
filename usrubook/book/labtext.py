"""A page's prose as JupyterLab reads it: citations and cross-references as the book's text, not as keys.

jupyterlab-myst renders each Markdown cell without the book's bibliography or its numbering, so a ``{cite}``
role shows its key (with a warning sign), and a ``{numref}`` to a figure that a code cell draws shows the
figure's label. Wherever the book's prose goes to JupyterLab (the notebook and kit each chapter page offers,
:mod:`usrubook.book.rerun`; a chapter opened with ``make lab``, :mod:`usrubook.book.labcontents`), its
Markdown cells are given with these roles written as Markdown links that read as the web book reads:

* ``{cite}`a,b``` -> ``[[Reuters 2009](#cite-a "Reuters. FACTBOX: ..."), [Audacy 2022](#cite-b "...")]``: the
  book's labels in brackets, the reference on hover;
* ``{numref}`fig-x``` -> ``[Fig. 4.1](#fig-x)`` (the number the web book gives it);
* ``{ref}`label``` -> ``[Section title](#label)``; ``{ref}`text <label>``` -> ``[text](#label)``;
* ``{term}`seed <seed>``` -> ``[seed](#term-seed)``.

:func:`from_lab` turns such links back into the roles (``make lab`` saves the chapter in the book's markup).
The numbers and titles come from the last HTML build (``_build/usrubook-xrefs.json``, written by
:func:`write_xrefs`); the section titles also from the pages' own ``(label)=`` headings.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, unquote

XREFS = "_build/usrubook-xrefs.json"
ROLE = re.compile(r"\{(cite|numref|ref|term)\}`([^`]+)`")
_EXPLICIT = re.compile(r"^(.*?)\s*<([^<>]+)>$", re.S)
_NUMBERED = ("fig-", "tbl-")
KIND_WORDS = {"figure": "Fig.", "table": "Table"}


def _link_title(text: str) -> str:
    return text.replace("\\", "").replace('"', "'").replace("\n", " ")


@lru_cache(maxsize=4)
def _citations(bib: str, mtime: float) -> dict[str, tuple[str, str]]:
    """{key: (label, short reference)} as the book labels its references (:mod:`usrubook.book.labels`)."""
    from pybtex.database import parse_file
    from pybtex.plugin import find_plugin

    from usrubook.book import labels

    labels.register()
    data = parse_file(bib)
    style = find_plugin("pybtex.style.formatting", "usrubook")()
    entries = style.sort(data.entries.values())
    out = {}
    for entry, label in zip(entries, style.format_labels(entries), strict=True):
        f = entry.fields
        authors = "; ".join(str(p) for p in entry.persons.get("author", []))
        parts = [authors, f.get("title", ""), f.get("journal") or f.get("publisher") or f.get("howpublished", ""),
                 f.get("year", "")]
        out[entry.key] = (label, ". ".join(_link_title(p).replace("{", "").replace("}", "").strip(". ")
                                           for p in parts if p).strip() + ".")
    return out


def citations(root: Path) -> dict[str, tuple[str, str]]:
    bib = root / "references.bib"
    return _citations(str(bib), bib.stat().st_mtime)


def xrefs_from_env(env) -> dict[str, dict[str, str]]:
    """From a Sphinx environment: {"numref": {label: "Fig. 4.1"}, "ref": {label: title}}."""
    from usrubook.book.cite import item_number

    numref = {}
    for docname, kinds in env.toc_fignumbers.items():
        for kind, ids in kinds.items():
            if kind in KIND_WORDS:
                for target in ids:
                    numref[target] = f"{KIND_WORDS[kind]} {item_number(env, docname, kind, target)}"
    ref = {label: str(title) for label, (_doc, _id, title) in env.domaindata["std"]["labels"].items() if title}
    return {"numref": dict(sorted(numref.items())), "ref": dict(sorted(ref.items()))}


def write_xrefs(root: Path, env) -> None:
    from usrubook.pipeline.csvio import write_if_changed

    data = json.dumps(xrefs_from_env(env), indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    write_if_changed(root / XREFS, data.encode("utf-8"))


def _heading_titles(root: Path) -> dict[str, str]:
    """{label: heading} for every ``(label)=`` directly above a heading in the book's pages."""
    out = {}
    for page in [root / "intro.md", *root.glob("*.md"), *root.glob("chapters/*.md"), *root.glob("evidence/*.md")]:
        if page.is_file():
            for m in re.finditer(r"^\(([^()\s]+)\)=\n#+ (.+)$", page.read_text(encoding="utf-8"), re.M):
                out[m.group(1)] = m.group(2).strip()
    return out


def lookups(root: Path, xrefs: dict | None = None) -> dict:
    """What :func:`to_lab` needs: the citations, and the numbers and titles of cross-references."""
    if xrefs is None:
        path = root / XREFS
        xrefs = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"numref": {}, "ref": {}}
    return {"cite": citations(root), "numref": xrefs["numref"], "ref": {**_heading_titles(root), **xrefs["ref"]}}


def _role(kind: str, body: str, look: dict) -> str | None:
    if kind == "cite":
        keys = [k.strip() for k in body.split(",")]
        if not all(k in look["cite"] for k in keys):
            return None
        return "[" + ", ".join(f'[{look["cite"][k][0]}](#cite-{k} "{look["cite"][k][1]}")' for k in keys) + "]"
    explicit = _EXPLICIT.match(body)
    text, label = (explicit.group(1), explicit.group(2)) if explicit else (None, body.strip())
    if kind == "term":
        return f"[{text or label}](#term-{quote(label)})"
    if kind == "numref":
        if not label.startswith(_NUMBERED):
            return None
        number = look["numref"].get(label)
        shown = (text.replace("%s", number.split(" ", 1)[1]) if text else number) if number else \
            (text.replace("%s", "").strip() if text else ("the figure" if label.startswith("fig-") else "the table"))
        return f"[{shown}](#{label})"
    if label.startswith(_NUMBERED) or label.startswith(("cite-", "term-")):
        return None
    shown = text or look["ref"].get(label)
    return f"[{shown}](#{label})" if shown else None


def to_lab(text: str, look: dict) -> str:
    """A Markdown cell's source with its citations and cross-references as text (roles it cannot resolve stay)."""
    return ROLE.sub(lambda m: _role(m.group(1), m.group(2), look) or m.group(0), text)


_CITE_GROUP = re.compile(r'\[((?:\[[^\[\]]+\]\(#cite-[^\s()]+ "[^"]*"\)(?:, )?)+)\]')
_CITE_ONE = re.compile(r'\[[^\[\]]+\]\(#cite-([^\s()]+) "[^"]*"\)')
_LINK = re.compile(r"\[([^\[\]]+)\]\(#([^\s()\"]+)\)")


def from_lab(text: str, look: dict) -> str:
    """The inverse of :func:`to_lab`, for a cell edited in JupyterLab: the links it wrote become roles again."""
    text = _CITE_GROUP.sub(lambda m: "{cite}`" + ",".join(_CITE_ONE.findall(m.group(1))) + "`", text)

    def link(m):
        shown, target = m.group(1), m.group(2)
        if target.startswith("term-"):
            term = unquote(target[len("term-"):])
            return f"{{term}}`{shown}`" if shown == term else f"{{term}}`{shown} <{term}>`"
        if target.startswith(_NUMBERED):
            number = look["numref"].get(target)
            if shown == number or shown in ("the figure", "the table"):
                return f"{{numref}}`{target}`"
            return f"{{numref}}`{shown} <{target}>`"
        if shown == look["ref"].get(target):
            return f"{{ref}}`{target}`"
        return f"{{ref}}`{shown} <{target}>`"

    return _LINK.sub(link, text)


KEY = "usrubook_source"


def _text(source) -> str:
    return "".join(source) if isinstance(source, list) else source


def shown(notebook: dict, look: dict) -> None:
    """The notebook's Markdown cells as JupyterLab shows them (in place)."""
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            source = _text(cell["source"])
            text = to_lab(source, look)
            if text != source:
                cell["metadata"][KEY] = source
                cell["source"] = text


def written(notebook: dict, look: dict) -> None:
    """The notebook's Markdown cells in the book's markup again (in place)."""
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            source = cell["metadata"].pop(KEY, None)
            text = _text(cell["source"])
            cell["source"] = source if source is not None and to_lab(source, look) == text \
                else from_lab(text, look)
