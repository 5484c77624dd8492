"""What a rebuild may skip: each output made after Sphinx (and a few made during it) with the digest of its inputs.

The steps that run when the HTML is written, or after it (the chapters' kits, the data package, the chapter
PDFs, the search index, the formatted references and citations), record for every output the SHA-256 of all it
was made from, in ``_build/.usrubook-cache/<step>.json``: the output's inputs (source files, pages, settings)
and the code that makes it. An output is made again unless the record holds the same input digest *and* the
output is still there with the bytes recorded for it (the digest of the output, so that a file deleted or
changed by hand is made again). The record is written only after the step has succeeded. ``make clean``
removes it with the rest of ``_build/``.

Nothing is keyed on a file's time: a digest changes exactly when a byte of an input does.

:func:`memoize_pybtex_plugins` makes pybtex look its plugins up once per process: sphinxcontrib-bibtex asks for
one on every citation it resolves, and each question scans the metadata of every installed package.
:func:`read_only_doctree` unpickles a page's saved doctree once per build for the code that only reads it.
:func:`index_citation_refs` lets sphinxcontrib-bibtex find the pages citing an entry in an index, not by a walk.
"""
from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from usrubook.pipeline.csvio import write_if_changed     # whole or not at all, and only if changed

CACHE = ".usrubook-cache"
PACKAGE = Path(__file__).resolve().parent.parent          # the usrubook package


def cache_dir(build_dir: Path | str) -> Path:
    """``<build_dir>/.usrubook-cache`` (``build_dir`` is ``_build``)."""
    return Path(build_dir) / CACHE


class Digest:
    """A SHA-256 over labelled parts, so that moving a byte from one part to the next changes it."""

    def __init__(self, *parts):
        self._h = hashlib.sha256()
        for part in parts:
            self.add(part)

    def add(self, part, label: str = "") -> "Digest":
        if isinstance(part, Path):
            data = part.read_bytes() if part.is_file() else b"\0missing"
            label = label or part.as_posix()
        elif isinstance(part, bytes):
            data = part
        elif isinstance(part, str):
            data = part.encode("utf-8")
        else:
            data = json.dumps(part, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
        head = label.encode("utf-8")
        self._h.update(len(head).to_bytes(8, "big") + head + len(data).to_bytes(8, "big"))
        self._h.update(data)
        return self

    def files(self, paths, root: Path | None = None) -> "Digest":
        """Add each file (its path, relative to ``root`` if given, and its bytes), in sorted order."""
        for path in sorted(Path(p) for p in paths):
            self.add(path, (path.relative_to(root) if root and path.is_relative_to(root) else path).as_posix())
        return self

    def hexdigest(self) -> str:
        return self._h.hexdigest()


def file_digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def code_digest(*modules: str) -> str:
    """Digest of the source of the named modules of the package (``"book/rerun.py"``), or of all of it (no names)."""
    paths = [PACKAGE / m for m in modules] if modules else sorted(PACKAGE.rglob("*.py"))
    return Digest().files([p for p in paths if "__pycache__" not in p.parts], PACKAGE).hexdigest()


class Record:
    """``{output name: {"inputs": digest, "outputs": {path: digest}}}`` of one step, kept in ``<cache>/<step>.json``.

    ``base`` is the folder the output paths are relative to (``_build/html``)."""

    def __init__(self, cache: Path, step: str, base: Path):
        self.path = Path(cache) / f"{step}.json"
        self.base = Path(base)
        try:
            self.entries = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            self.entries = {}

    def fresh(self, name: str, inputs: str, outputs: list[Path]) -> bool:
        """Whether ``outputs`` were made from inputs of digest ``inputs`` and still hold the bytes they were made with."""
        entry = self.entries.get(name)
        if not entry or entry.get("inputs") != inputs:
            return False
        recorded = entry.get("outputs", {})
        rels = [self._rel(p) for p in outputs]
        return set(rels) == set(recorded) and all(file_digest(self.base / r) == recorded[r] for r in rels)

    def update(self, name: str, inputs: str, outputs: list[Path]) -> None:
        self.entries[name] = {"inputs": inputs, "outputs": {self._rel(p): file_digest(p) for p in outputs}}

    def forget(self, name: str) -> None:
        self.entries.pop(name, None)

    def save(self) -> None:
        write_if_changed(self.path, (json.dumps(self.entries, indent=1, sort_keys=True) + "\n").encode("utf-8"))

    def _rel(self, path: Path) -> str:
        path = Path(path)
        return (path.relative_to(self.base) if path.is_absolute() and path.is_relative_to(self.base) else path).as_posix()


# ---------------------------------------------------------------------------- pybtex

def memoize_pybtex_plugins() -> None:
    """pybtex's plugin lookup with the installed packages' entry points read once per process (they do not change
    while the book builds). Plugins registered at run time (``register_plugin``) are looked up before the entry
    points, as before."""
    import functools

    import pybtex.plugin as plugin

    if getattr(plugin.entry_points, "usrubook_memo", False):
        return
    original = plugin.entry_points

    @functools.lru_cache(maxsize=None)
    def _cached(group, name):
        kwargs = {"group": group} if name is None else {"group": group, "name": name}
        return tuple(original(**kwargs))

    def entry_points(**kwargs):
        if set(kwargs) - {"group", "name"} or "group" not in kwargs:
            return original(**kwargs)
        return _cached(kwargs["group"], kwargs.get("name"))

    entry_points.usrubook_memo = True
    plugin.entry_points = entry_points


class Memo:
    """Results of a pure function kept from one build to the next, in ``<cache>/<name>`` (a pickle), by a key that
    digests everything the result depends on.

    A build saves the results it used and keeps the others it found: the HTML and LaTeX builds share the folder
    and each uses only some (the LaTeX build no citation, the HTML build no chart drawn for print), and a rebuild
    uses only those of the pages it writes. A result no build has used for :data:`KEEP_DAYS` days is dropped, so
    the store does not grow with keys that can no longer come up (those of an older version of the code)."""

    KEEP_DAYS = 30
    FORMAT = 2

    def __init__(self, name: str):
        self.name = name
        self.path: Path | None = None
        self.store: dict = {}       # key: (time last used, result)
        self.used: dict = {}

    def get(self, key: str):
        found = self.used.get(key)
        if found is None:
            stored = self.store.get(key)
            if stored is not None:
                found = self.used[key] = stored[1]
        return found

    def put(self, key: str, value) -> None:
        self.used[key] = value

    def _read(self) -> dict:
        import pickle

        try:
            with open(self.path, "rb") as f:
                saved = pickle.load(f)
            return saved["entries"] if saved.get("format") == self.FORMAT else {}
        except Exception:         # none yet, or unreadable (written by other versions): compute anew
            return {}

    def load(self, cache: Path) -> None:
        self.path, self.used = Path(cache) / self.name, {}
        self.store = self._read()

    def save(self) -> None:
        """The results this build used, and those kept in the file as it is now (another build, such as the LaTeX
        build beside the HTML build in `make -j book`, may have saved since this one loaded it)."""
        import pickle
        import time

        if self.path is None:
            return
        now = time.time()
        entries = {k: v for k, v in {**self.store, **self._read()}.items() if now - v[0] < self.KEEP_DAYS * 86400}
        entries.update((k, (now, v)) for k, v in self.used.items())
        write_if_changed(self.path, pickle.dumps({"format": self.FORMAT, "entries": entries},
                                            protocol=pickle.HIGHEST_PROTOCOL))


class Kept:
    """Values kept from one build to the next in one file (a pickle), each under a name with the digest of all it
    was made from: :meth:`get` gives the kept value while the digest is the same, and makes it anew otherwise.
    :meth:`save` keeps what this build asked for, and only that (the pruned theme stylesheet and each page's words,
    :mod:`usrubook.book.cssprune`; the pages prepared for the search index, :mod:`usrubook.book.search`). A file
    that cannot be read (none yet, or written by another version) counts as empty."""

    def __init__(self, path: Path):
        import pickle

        self.path, self.now = Path(path), {}
        try:
            kept = pickle.loads(self.path.read_bytes())
        except Exception:       # noqa: BLE001 - any unreadable file: made anew
            kept = {}
        self.kept = kept if isinstance(kept, dict) else {}

    def get(self, name: str, digest: str, make):
        found = self.kept.get(name)
        value = found[1] if isinstance(found, tuple) and len(found) == 2 and found[0] == digest else make()
        self.now[name] = (digest, value)
        return value

    def save(self) -> None:
        import pickle

        write_if_changed(self.path, pickle.dumps(self.now, protocol=pickle.HIGHEST_PROTOCOL))


# sphinxcontrib-bibtex formats every entry of references.bib on every build (when it learns the labels, before any
# page is written), twice (for the bibliography and for the tooltip). A formatted entry depends only on the
# formatting style (its class and options, and pybtex's code: its version), the label, and the entry's type,
# fields and names: that is the key.
FORMATTED = Memo("pybtex-formatted.pickle")
# citations rendered by citeproc-py (usrubook.book.cite.render)
RENDERED = Memo("citeproc-rendered.pickle")
# charts drawn as PDF for the LaTeX build, when a page is read (usrubook.book.mimerender)
CHART_PDFS = Memo("chart-pdfs.pickle")
# a kit's requirements.txt: the pins of what a re-run needs and all it depends on (usrubook.book.rerun)
KIT_REQUIREMENTS = Memo("kit-requirements.pickle")
MEMOS = (FORMATTED, RENDERED, CHART_PDFS, KIT_REQUIREMENTS)


def _formatted_key(style, label, entry) -> str:
    import pybtex

    persons = [(role, [str(p) for p in people]) for role, people in entry.persons.items()]
    return Digest([getattr(pybtex, "__version__", ""), f"{type(style).__module__}.{type(style).__qualname__}",
                   f"{type(style.name_style).__module__}.{type(style.name_style).__qualname__}",
                   style.abbreviate_names, style.min_crossrefs, label, entry.key, entry.type,
                   [[k, str(v)] for k, v in entry.fields.items()], persons]).hexdigest()




def _memoize_formatting() -> None:
    from pybtex.style.formatting import BaseStyle

    if getattr(BaseStyle.format_entry, "usrubook_memo", False):
        return
    original = BaseStyle.format_entry

    def format_entry(self, label, entry, bib_data=None):
        if bib_data is not None or FORMATTED.path is None:
            return original(self, label, entry, bib_data=bib_data)
        key = _formatted_key(self, label, entry)
        found = FORMATTED.get(key)
        if found is None:
            found = original(self, label, entry)
            FORMATTED.put(key, found)
        return found

    format_entry.usrubook_memo = True
    BaseStyle.format_entry = format_entry


# The doctrees that code which only reads them has asked for in this build: their environment, {docname: doctree}
_SHARED: dict = {"env": None, "doctrees": {}}


def read_only_doctree(env, docname: str):
    """``docname``'s doctree, for code that only reads it: unpickled once per build and then shared. Sphinx's
    ``env.get_doctree`` unpickles the saved doctree at every call (about 60 ms for a large page), and a build that
    writes every page asked for one about 50 times: to number the figures, for each ``{numref}``, for captions.
    A page that Sphinx reads again is forgotten (``env-purge-doc``), and all are at the end of the build. Never
    change what this returns: the next caller gets the same object."""
    from sphinx.environment import BuildEnvironment

    if _SHARED["env"] is not env:
        _SHARED.update(env=env, doctrees={})
    doctrees = _SHARED["doctrees"]
    if docname not in doctrees:
        doctrees[docname] = BuildEnvironment.get_doctree(env, docname)
    return doctrees[docname]


def _forget_doctree(app, env, docname) -> None:
    if _SHARED["env"] is env:
        _SHARED["doctrees"].pop(docname, None)


def _forget_doctrees(app, exception) -> None:
    _SHARED.update(env=None, doctrees={})


def _reading_doctrees(function):
    """``function(self, env, …)``, during which ``env.get_doctree`` is :func:`read_only_doctree`."""
    @functools.wraps(function)
    def wrapper(self, env, *args, **kwargs):
        env.get_doctree = functools.partial(read_only_doctree, env)     # (neither function calls the other)
        try:
            return function(self, env, *args, **kwargs)
        finally:
            del env.get_doctree
    wrapper.usrubook_memo = True
    return wrapper


def share_doctree_reads() -> None:
    """Sphinx's two readers of saved doctrees that only look things up in them share :func:`read_only_doctree`:
    the figure numbering of every page (``TocTreeCollector.assign_figure_numbers``, after pages are read) and each
    ``{numref}`` (``StandardDomain._resolve_numref_xref``, which looks up the target's node). Other callers of
    ``env.get_doctree`` (writing a page, the LaTeX builder's assembling of the book) change the doctree they get,
    and keep getting their own."""
    from sphinx.domains.std import StandardDomain
    from sphinx.environment.collectors.toctree import TocTreeCollector

    for cls, name in ((TocTreeCollector, "assign_figure_numbers"), (StandardDomain, "_resolve_numref_xref")):
        if not getattr(getattr(cls, name), "usrubook_memo", False):
            setattr(cls, name, _reading_doctrees(getattr(cls, name)))


def _load_memos(app) -> None:
    for memo in MEMOS:
        memo.load(cache_dir(Path(app.doctreedir).parent))


def _save_memos(app, exception) -> None:
    if exception is None:
        for memo in MEMOS:
            memo.save()


def index_citation_refs() -> None:
    """sphinxcontrib-bibtex (2.7.0, pinned) decides which entries of references.bib a bibliography lists by
    asking, for each entry, which pages cite it, and answers by walking every citation of the book each time: 473
    entries times every citation, 0.2 s of every build. The same answer is taken from an index made once per
    question (key to citing pages); the rest of its ``get_filtered_entries`` is as it was."""
    from sphinxcontrib.bibtex import domain

    if getattr(domain.BibtexDomain.get_filtered_entries, "usrubook_memo", False):
        return
    original = domain.BibtexDomain.get_filtered_entries

    def get_filtered_entries(self, bibliography_key):
        bibliography = self.bibliographies[bibliography_key]
        citing: dict[str, set[str]] = {}
        for citation_ref in self.citation_refs:
            for key in {target.key for target in citation_ref.targets}:
                citing.setdefault(key, set()).add(citation_ref.docname)
        for entry in self.get_entries(bibliography.bibfiles):
            key = bibliography.keyprefix + entry.key
            cited_docnames = set(citing.get(key, ()))
            visitor = domain._FilterVisitor(entry=entry, docname=bibliography_key.docname,
                                            cited_docnames=cited_docnames)
            try:
                success = visitor.visit(bibliography.filter_)
            except ValueError as err:
                domain.logger.warning("syntax error in :filter: expression; %s" % err,
                                      location=(bibliography_key.docname, bibliography.line),
                                      type="bibtex", subtype="filter_syntax_error")
                success = bool(cited_docnames)      # as sphinxcontrib-bibtex recovers
            if success or entry.key in bibliography.keys:
                yield key, entry

    get_filtered_entries.usrubook_memo = True
    get_filtered_entries.original = original
    domain.BibtexDomain.get_filtered_entries = get_filtered_entries


def keep_compiled_templates(app) -> None:
    """``builder-inited``: the HTML templates (the page, the theme's layout and sidebars) are compiled once and
    kept, as Jinja's bytecode, in ``<cache>/jinja/``; a rebuild loads them instead of compiling them again
    (0.2 s of a rebuild after a prose edit). Jinja keys each by the template's name and file, and compiles
    again a template whose source changed."""
    templates = getattr(app.builder, "templates", None)
    environment = getattr(templates, "environment", None)
    if environment is None:
        return
    from jinja2 import FileSystemBytecodeCache

    folder = cache_dir(Path(app.doctreedir).parent) / "jinja"
    folder.mkdir(parents=True, exist_ok=True)
    environment.bytecode_cache = FileSystemBytecodeCache(str(folder))


def setup(app) -> None:
    index_citation_refs()
    memoize_pybtex_plugins()
    _memoize_formatting()
    share_doctree_reads()
    app.connect("env-purge-doc", _forget_doctree)
    app.connect("build-finished", _forget_doctrees)
    app.connect("builder-inited", _load_memos)
    app.connect("builder-inited", keep_compiled_templates)
    app.connect("build-finished", _save_memos)
