"""Rebuilds do only what a change needs, and never keep an output whose inputs changed.

* make: a no-op `make html` starts nothing, and a change to any kind of file the build reads makes it build
  again (checked with `make -q` on the stamps, in a copy of the book);
* the steps after Sphinx keep an output only while the digest of its inputs and its own bytes are those
  recorded (usrubook/book/buildcache.py): the chapter PDFs, the search index, the chapters' kits;
* end to end (tests/test_build.py, in the folder of the clean build): a prose edit re-reads one page and
  re-prints one chapter; a changed caption reaches the figure's citation; a second `make html` starts nothing.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest

from conftest import ROOT, make_stale, run

PAST = time.time() - 3600


def _age(book: Path) -> None:
    """Every source of the copy an hour old (so that a change made now is newer than any stamp)."""
    for path in [book, *book.rglob("*")]:
        parts = path.relative_to(book).parts
        if not {"_build", "node_modules", ".venv"} & set(parts) and not path.is_symlink():
            os.utime(path, (PAST, PAST))


def _fake_build(book: Path) -> None:
    """The stamps and main outputs of a finished `make html`, made now."""
    make_stale(book)        # make lists the top of the book (_build/.top-level) as it reads the Makefile, first
    html = book / "_build" / "html"
    outputs = ["index.html", "search.html", "pagefind/pagefind.js"]
    outputs += [p.relative_to(book).with_suffix(".html").as_posix() for p in book.glob("chapters/*.md")]
    outputs += [p.relative_to(book).with_suffix(".html").as_posix() for p in book.glob("evidence/*.md")]
    outputs += [p.relative_to(book).with_suffix(".pdf").as_posix() for p in book.glob("chapters/*.md")]
    for rel in outputs:
        (html / rel).parent.mkdir(parents=True, exist_ok=True)
        (html / rel).write_text("built", encoding="utf-8")
    pdf = book / "_build" / "latex" / "us-russia-relations.pdf"
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.write_text("built", encoding="utf-8")
    for stamp in (".system-checked", ".data-checked", ".html-built", ".nbval-passed", ".pdf-built"):
        (book / "_build" / stamp).touch()


def _touch(path: Path) -> None:
    now = time.time()
    os.utime(path, (now, now))


# Every kind of file `make html` reads (Makefile, HTML_SOURCES), and whether the data check runs for it too.
INPUTS = [("chapters/trade.md", False), ("evidence/sources.md", False), ("intro.md", False), ("_toc.yml", False),
          ("_config.yml", False), ("references.bib", True), ("CITATION.cff", False), ("package-lock.json", False),
          ("requirements.txt", False), ("data/trade.csv", True), ("data/curated/trade.csv", True),
          ("data/datapackage.json", True), ("usrubook/book/figures.py", False), ("usrubook/chapter/charts.py", False),
          ("usrubook/pipeline/derive.py", True), ("usrubook/paths.py", True),
          ("usrubook/book/static/usrubook.css", False), ("_templates/layout.html", False),
          ("assets/favicon.svg", False), ("latex/bbm.sty", False)]


NBVAL, PDF_BUILT = "_build/.nbval-passed", "_build/.pdf-built"


def test_make_html_rebuilds_when_any_input_changes_and_only_then(book_copy):
    """And so do nbval and the PDF (their stamps: `make book` after `make book` runs neither again)."""
    book = book_copy
    seeds = sorted(book.glob("seeds/*.txt"))
    _age(book)
    _fake_build(book)
    assert not make_stale(book), "a finished build with no change since must be up to date"
    assert not make_stale(book, NBVAL) and not make_stale(book, PDF_BUILT)
    for rel, data in INPUTS + [(seeds[0].relative_to(book).as_posix(), True)]:
        path = book / rel
        assert path.is_file(), rel
        _touch(path)
        assert make_stale(book), f"a change to {rel} must rebuild the HTML"
        assert make_stale(book, NBVAL) and make_stale(book, PDF_BUILT), f"a change to {rel} must run nbval and the PDF again"
        assert make_stale(book, "_build/.data-checked") == data, f"{rel}: the data check runs again: {not data}"
        os.utime(path, (PAST, PAST))
        assert not make_stale(book), rel
        assert not make_stale(book, NBVAL) and not make_stale(book, PDF_BUILT), rel

    # a reference output of nbval runs nbval again, and only nbval
    reference = sorted(p for p in (book / "tests" / "reference").rglob("*") if p.is_file())[0]
    _touch(reference)
    assert make_stale(book, NBVAL) and not make_stale(book) and not make_stale(book, PDF_BUILT)
    os.utime(reference, (PAST, PAST))
    assert not make_stale(book, NBVAL)

    # a file added to a folder of pages, or removed from data/: the folder's time changes
    added = book / "chapters" / "new-page.md"
    added.write_text("# New\n", encoding="utf-8")
    assert make_stale(book)
    added.unlink()
    os.utime(book / "chapters", (PAST, PAST))
    assert not make_stale(book)
    (book / "data" / "coverage.csv").unlink()
    assert make_stale(book) and make_stale(book, "_build/.data-checked")
    _age(book)
    _fake_build(book)

    # what the build does not read does not rebuild it: a test, or what git ignores at the top of the book (the
    # environment `make test` makes there); a file added at the top of the book does
    _touch(book / "tests" / "test_data.py")
    assert not make_stale(book)
    (book / ".venv-lab").mkdir()
    (book / "chapters" / "trade.ipynb").write_text("{}", encoding="utf-8")
    os.utime(book / "chapters", (PAST, PAST))
    assert not make_stale(book) and not make_stale(book, NBVAL)
    (book / "notes.md").write_text("# Notes\n", encoding="utf-8")
    assert make_stale(book) and make_stale(book, NBVAL)
    (book / "notes.md").unlink()
    _age(book)
    _fake_build(book)
    # so does a folder added there, or a file renamed (whose time stays as it was): the list of names changed
    (book / "extra").mkdir()
    os.utime(book / "extra", (PAST, PAST))
    assert make_stale(book) and make_stale(book, NBVAL)
    (book / "extra").rmdir()
    _fake_build(book)
    (book / "CHANGELOG.md").rename(book / "CHANGES.md")
    assert make_stale(book) and make_stale(book, NBVAL)
    (book / "CHANGES.md").rename(book / "CHANGELOG.md")
    _fake_build(book)

    # a main output missing: rebuilt
    (book / "_build" / "html" / "chapters" / "trade.pdf").unlink()
    assert make_stale(book)
    assert not make_stale(book, PDF_BUILT)
    (book / "_build" / "latex" / "us-russia-relations.pdf").unlink()
    assert make_stale(book, PDF_BUILT)


def test_a_record_keeps_an_output_only_while_its_inputs_and_its_bytes_are_unchanged(tmp_path):
    from usrubook.book.buildcache import Record

    out = tmp_path / "html" / "a.pdf"
    out.parent.mkdir()
    out.write_bytes(b"printed")
    record = Record(tmp_path / "cache", "step", tmp_path / "html")
    record.update("a", "inputs-1", [out])
    record.save()
    again = Record(tmp_path / "cache", "step", tmp_path / "html")
    assert again.fresh("a", "inputs-1", [out])
    assert not again.fresh("a", "inputs-2", [out]), "changed inputs"
    assert not again.fresh("b", "inputs-1", [out]), "never made"
    out.write_bytes(b"edited by hand")
    assert not again.fresh("a", "inputs-1", [out]), "output changed since"
    out.unlink()
    assert not again.fresh("a", "inputs-1", [out]), "output gone"


def test_a_kit_is_made_again_when_anything_it_holds_or_shows_changes(book_copy, monkeypatch):
    from usrubook.book import buildcache, rerun

    book = book_copy
    # the kit holds the code of the package that builds it: here, the copy's
    monkeypatch.setattr(buildcache, "PACKAGE", book / "usrubook")
    xrefs = book / "_build" / "usrubook-xrefs.json"
    xrefs.parent.mkdir(parents=True, exist_ok=True)
    xrefs.write_text(json.dumps({"numref": {}, "ref": {}}), encoding="utf-8")
    meta = {"book": "Book", "version": "1.0.0"}
    requirements = rerun.kit_requirements(book)

    def digest(**kw) -> str:
        return rerun._inputs(book, "chapters/trade.md", kw.get("meta", meta), kw.get("requirements", requirements))

    first = digest()
    assert digest() == first
    changes = ["chapters/trade.md", "data/trade_series.csv", "data/datapackage.json", "references.bib",
               "CITATION.cff", "LICENSE-TEXT", "usrubook/chapter/charts.py", "usrubook/book/rerun.py",
               "_build/usrubook-xrefs.json"]
    for rel in changes:
        path = book / rel
        old = path.read_bytes()
        path.write_bytes(old + b"\n")
        assert digest() != first, f"the trade kit must be made again when {rel} changes"
        path.write_bytes(old)
        assert digest() == first
    # another page's heading, which a cross-reference of the chapter may show
    page = book / "chapters" / "history.md"
    old = page.read_text(encoding="utf-8")
    label = re.search(r"^\(([^()\s]+)\)=\n#+ (.+)$", old, re.M)
    page.write_text(old.replace(label.group(0), f"({label.group(1)})=\n# Another title"), encoding="utf-8")
    assert digest() != first
    page.write_text(old, encoding="utf-8")
    assert digest(meta={**meta, "version": "1.0.1"}) != first
    assert digest(requirements=requirements + "extra==1\n") != first
    # a table the chapter does not load is not in its kit
    (book / "data" / "treaties.csv").write_text("changed\n", encoding="utf-8")
    assert digest() == first


@pytest.fixture(scope="module")
def html_copy(tmp_path_factory, html_dir):
    """A copy of the built web book, in a folder of its own (its cache beside it)."""
    base = tmp_path_factory.mktemp("incremental")
    shutil.copytree(html_dir, base / "_build" / "html")
    return base / "_build" / "html"


@pytest.mark.slow
def test_chapter_pdf_is_printed_again_only_when_its_page_styles_or_pdf_changed(html_copy, capsys):
    from usrubook.book import chapterpdf

    def printed() -> bool:
        chapterpdf.build(ROOT, html_copy, ["trade"])
        out = capsys.readouterr().out
        assert "trade.pdf" in out, out
        return "(up to date)" not in out

    pdf = html_copy / "chapters" / "trade.pdf"
    assert printed(), "no record yet: printed"
    made = pdf.read_bytes()
    assert not printed(), "nothing changed"
    css = html_copy / "_static" / "usrubook.css"
    css.write_bytes(css.read_bytes() + b"\n/* changed */\n")
    assert printed(), "a style the page loads changed"
    assert pdf.read_bytes() == made        # the same bytes: the change prints nothing differently
    pdf.write_bytes(made[:1000])
    assert printed(), "the PDF was damaged"
    assert pdf.read_bytes() == made


@pytest.mark.slow
def test_search_index_is_made_again_only_when_a_page_or_the_index_changed(html_copy):
    from usrubook.book import search

    first = search.build_index(html_copy)
    assert not first["up_to_date"]
    assert search.build_index(html_copy)["up_to_date"]
    page = html_copy / "chapters" / "trade.html"
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("has never been a major trading partner", "has never been a large trading partner"),
                    encoding="utf-8")
    assert not search.build_index(html_copy)["up_to_date"]
    victim = next(p for p in sorted((html_copy / "pagefind").rglob("*")) if p.is_file())
    victim.unlink()
    assert not search.build_index(html_copy)["up_to_date"]
    assert victim.is_file()


def test_the_latex_build_sets_its_numbering_before_sphinx_compares_settings(tmp_path):
    """sphinx-jupyterbook-latex sets numfig_secnum_depth = 2 for a book in parts only once the builder exists,
    after Sphinx has compared the settings with the last build's: every LaTeX build then read every page again.
    usrubook sets it first (config-inited), for the LaTeX build only, under the same conditions."""
    from types import SimpleNamespace

    from usrubook.book.latex import parts_numbering_first

    def site(subtrees):
        return SimpleNamespace(file_format="jb-book", root=SimpleNamespace(subtrees=[None] * subtrees))

    def depth(outdir, to_parts=None, site_map=None):
        config = {"jblatex_captions_to_parts": to_parts, "numfig_secnum_depth": 1}
        holder = type("Config", (dict,), {})(config)
        if site_map is not None:
            holder.external_site_map = site_map
        parts_numbering_first(SimpleNamespace(outdir=str(tmp_path / outdir)), holder)
        return holder["numfig_secnum_depth"]

    assert depth("latex", site_map=site(3)) == 2          # this book: parts in the table of contents
    assert depth("latex", to_parts=True) == 2
    assert depth("latex", site_map=site(1)) == 1          # one part: chapters at the top
    assert depth("latex", to_parts=False, site_map=site(3)) == 1
    assert depth("html", site_map=site(3)) == 1           # the web book's numbering is not touched


def test_a_memo_keeps_what_a_build_did_not_use_until_no_build_has_for_a_month(tmp_path, monkeypatch):
    """The HTML and LaTeX builds share the memos (citations rendered, charts drawn for print) and each uses only
    some of them; a rebuild uses only those of the pages it writes. What one build did not use is there for the next."""
    import pickle
    import time

    from usrubook.book.buildcache import Memo

    html, latex = Memo("m.pickle"), Memo("m.pickle")
    html.load(tmp_path)
    html.put("citation", "APA")
    html.save()
    latex.load(tmp_path)
    assert latex.get("chart") is None
    latex.put("chart", b"%PDF")
    latex.save()                                    # used only the chart
    again = Memo("m.pickle")
    again.load(tmp_path)
    assert again.get("citation") == "APA" and again.get("chart") == b"%PDF"

    # two builds at once (make -j book): the one that saves last keeps what the other saved meanwhile
    one, other = Memo("m.pickle"), Memo("m.pickle")
    one.load(tmp_path)
    other.load(tmp_path)
    one.put("term", "T")
    one.save()
    other.put("figure", "F")
    other.save()
    both = Memo("m.pickle")
    both.load(tmp_path)
    assert both.get("term") == "T" and both.get("figure") == "F" and both.get("citation") == "APA"

    month = Memo.KEEP_DAYS * 86400
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + month + 60)
    later = Memo("m.pickle")
    later.load(tmp_path)
    later.put("chart", b"%PDF")
    later.save()                                    # the citation was last used more than KEEP_DAYS ago
    entries = pickle.loads((tmp_path / "m.pickle").read_bytes())["entries"]
    assert set(entries) == {"chart"}

    (tmp_path / "m.pickle").write_bytes(pickle.dumps({"citation": "APA"}))     # written by an older version
    old = Memo("m.pickle")
    old.load(tmp_path)
    assert old.get("citation") is None


def test_read_only_doctrees_are_unpickled_once_until_the_page_is_read_again(tmp_path):
    """buildcache.read_only_doctree: the figure numbering and each {numref} share one unpickled doctree per page;
    a page Sphinx reads again (env-purge-doc) is unpickled anew, and nothing is kept after the build; while such
    a reader runs, env.get_doctree gives the shared doctree, and afterwards (also after an error) Sphinx's own
    method again. The two Sphinx functions are the ones patched."""
    import pickle

    from docutils import nodes
    from docutils.utils import new_document
    from sphinx.domains.std import StandardDomain
    from sphinx.environment import BuildEnvironment
    from sphinx.environment.collectors.toctree import TocTreeCollector

    from usrubook.book import buildcache

    def save(text):
        document = new_document("page.md")
        document += nodes.paragraph(text, text)
        document.reporter = document.transformer = None
        (tmp_path / "page.doctree").write_bytes(pickle.dumps(document, pickle.HIGHEST_PROTOCOL))

    class Env:      # what BuildEnvironment.get_doctree reads
        doctreedir = str(tmp_path)

        def __init__(self):
            self._pickled_doctree_cache = {}

        def doc2path(self, docname):
            return str(tmp_path / f"{docname}.md")

    env = Env()
    save("first")
    first = buildcache.read_only_doctree(env, "page")
    assert first.astext() == "first" and buildcache.read_only_doctree(env, "page") is first
    assert BuildEnvironment.get_doctree(env, "page") is not first      # Sphinx's own: a new doctree each time
    buildcache._forget_doctree(None, env, "page")                        # Sphinx reads the page again
    second = buildcache.read_only_doctree(env, "page")
    assert second is not first and buildcache.read_only_doctree(env, "page") is second
    buildcache._forget_doctrees(None, None)                              # the build ends
    assert buildcache._SHARED["doctrees"] == {} and buildcache._SHARED["env"] is None
    other = Env()                                                        # another build's environment
    assert buildcache.read_only_doctree(other, "page") is not second

    class Reader:
        @buildcache._reading_doctrees
        def look(self, env, fail=False):
            found = [env.get_doctree("page"), env.get_doctree("page")]
            if fail:
                raise ValueError("stop")
            return found

    shared = buildcache.read_only_doctree(other, "page")
    assert Reader().look(other) == [shared, shared]
    assert "get_doctree" not in vars(other)
    with pytest.raises(ValueError):
        Reader().look(other, fail=True)
    assert "get_doctree" not in vars(other)
    buildcache._forget_doctrees(None, None)
    buildcache.share_doctree_reads()
    assert TocTreeCollector.assign_figure_numbers.usrubook_memo
    assert StandardDomain._resolve_numref_xref.usrubook_memo


def test_a_change_to_the_build_code_writes_every_page_again(monkeypatch):
    """Sphinx writes again only pages whose sources changed; a change to the book's own CSS or JavaScript, or to
    the build's code (usrubook/book/*.py), makes every page outdated (usrubook.book.html._static_changed), so that
    no page keeps HTML that the old code wrote."""
    from types import SimpleNamespace

    from usrubook.book import buildcache, html

    named = []
    real = buildcache.code_digest

    def spy(*modules):
        named.extend(modules)
        return real(*modules)

    monkeypatch.setattr(buildcache, "code_digest", spy)
    env = SimpleNamespace(found_docs={"intro", "chapters/trade"})
    assert html._static_changed(None, env, set(), set(), set()) == ["chapters/trade", "intro"]
    assert html._static_changed(None, env, set(), set(), set()) == []
    assert "book/html.py" in named and "book/cite.py" in named
    assert all((buildcache.PACKAGE / m).is_file() for m in named), named
    monkeypatch.setattr(buildcache, "code_digest", lambda *modules: real(*modules) + "changed")
    assert html._static_changed(None, env, set(), set(), set()) == ["chapters/trade", "intro"]
