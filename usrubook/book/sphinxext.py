"""Sphinx extension of the book: wires the build modules together.

* :mod:`usrubook.book.execution`: chapters re-execute when their data change; stale ones run in parallel; a failing
  chapter is reported in brief (page, line, cell, cause), and a failed build keeps the saved environment;
* :mod:`usrubook.book.html`: what each web page loads, all from the book itself;
* :mod:`usrubook.book.latex`: the PDF's preamble and LaTeX-only transforms;
* :mod:`usrubook.book.seedtext`: the ``seed-text`` and ``seed-texts`` directives (a seed, or every seed,
  verbatim, with numbered paragraphs);
* :mod:`usrubook.book.figures`: each chart figure's "Get the data" files (rows, spec, SVG, PNG, README) and
  the whole data package;
* :mod:`usrubook.book.metadata`: title, author, release and version, the title page and the PDF's metadata, from
  CITATION.cff;
* :mod:`usrubook.book.citeui` (with :mod:`usrubook.book.cite`): the preface's How to cite, and a Cite control
  beside every page, figure and table of the web book, with BibTeX, RIS and CSL-JSON files;
* :mod:`usrubook.book.pagemeta`: citation_* meta tags, schema.org JSON-LD and the page footer;
* :mod:`usrubook.book.rerun`: each chapter page offers its notebook (.ipynb) and a self-contained kit (.zip);
* :mod:`usrubook.book.afterbuild`: the build tells ``make html``'s printer and indexer when its pages are ready;
* :mod:`usrubook.book.chapterpdf`: a printed chapter or evidence page carries the book's title, version and
  address, its citation and the references it cites; a chapter page links its PDF;
* :mod:`usrubook.book.buildcache`: what a rebuild may skip (outputs recorded with the digest of their inputs), and
  pybtex's plugins and formatted references, and the rendered citations, computed once;
* :mod:`usrubook.book.mimerender` (a myst-nb entry point, not set up here): charts as vector PDF;
* the ``eval`` role: ``{eval}`name``` pastes the value a chapter glued under ``name``
  (:func:`usrubook.chapter.prose.glue_value`), as myst-nb's ``glue`` role does. The book executes through
  jupyter-cache, so myst-nb's own ``eval`` role (which asks a live kernel) cannot run here; the same role in
  JupyterLab (jupyterlab-myst) shows the kernel's variable of that name, which the glue helper sets.
"""
from __future__ import annotations

from usrubook.book import (afterbuild, buildcache, chapterpdf, citeui, execution, figures, html, latex, metadata,
                           pagemeta, rerun)
from usrubook.book.seedtext import SeedTextDirective, SeedTextsDirective


def setup(app):
    import gc

    from usrubook.book import labels

    # A build keeps millions of small objects (doctrees, the environment) to its end, and with Python's default
    # thresholds the cyclic garbage collector walks them again and again: 2.1 s of a 25 s clean build, in almost
    # 2,000 collections. Larger young generations: 0.5 s, in 26. (The build is a process of its own.)
    gc.set_threshold(50_000, 20, 100)

    from myst_nb.ext.glue.roles import PasteRoleAny

    labels.register()
    buildcache.setup(app)
    app.add_role("eval", PasteRoleAny(), override=True)     # after myst-nb's, which it replaces
    app.add_directive("seed-text", SeedTextDirective)
    app.add_directive("seed-texts", SeedTextsDirective)
    app.connect("source-read", execution.note_dependencies)
    app.connect("env-before-read-docs", execution.pre_execute)
    app.connect("config-inited", execution.own_doctrees, priority=100)
    app.connect("builder-inited", execution.keep_environment, priority=100)
    app.connect("build-finished", execution.restore_environment, priority=100)
    # the pages and _static are final once the handlers of default priority (500) have run; the printer and the
    # indexer of make html may start then, while the kits are zipped (usrubook.book.rerun, 700)
    app.connect("build-finished", afterbuild.mark_pages_ready, priority=600)
    metadata.setup(app)
    html.setup(app)
    citeui.setup(app)
    figures.setup(app)
    pagemeta.setup(app)
    latex.setup(app)
    rerun.setup(app)
    chapterpdf.setup(app)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
