""""Cite this" in the book: the preface's How to cite, and a Cite control beside every page, figure and table.

* The ``how-to-cite`` directive (in the preface) prints the book's citation in APA and Chicago, its BibTeX
  entry, and, as an example, the citation of the chapter named by its ``:chapter:`` option (APA and BibTeX),
  with that chapter's number, in the web book and in the PDF. The directive leaves a placeholder that is
  filled once the book's numbering is known (``doctree-resolved``).
* Web pages only (:func:`add_controls`, on ``doctree-resolved`` for the HTML builder): a Cite control, a
  ``<details>`` element of class ``usrubook-cite`` whose summary ("Cite this page", "Cite this figure", ...)
  opens the APA and Chicago citations and links to the BibTeX, RIS and CSL-JSON files. It goes after the
  page's title (the preface cites the book), after each numbered figure's caption (inside the figure) and
  after each numbered table. The files are written to ``_cite/`` in the HTML output.

Everything comes from :func:`usrubook.book.cite.citation_for`.
"""
from __future__ import annotations

import re

from html import escape

from docutils import nodes
from docutils.parsers.rst import Directive, directives

from usrubook.book.cite import LABELS, citation_for, close_ahead, in_book, render_ahead, write_files

CITE_CLASS = "usrubook-cite"
FORMATS = (("bib", "BibTeX"), ("ris", "RIS"), ("json", "CSL-JSON"))


class how_to_cite(nodes.General, nodes.Element):
    """Placeholder of the ``how-to-cite`` directive, replaced in ``doctree-resolved``."""


class cite_control(nodes.General, nodes.Element):
    """A Cite control (class ``usrubook-cite``); its HTML is in ``node["html"]``. Web pages only."""


def _visit_control(self, node):
    self.body.append(node["html"])
    raise nodes.SkipNode


class HowToCiteDirective(Directive):
    has_content = False
    option_spec = {"chapter": directives.unchanged_required}

    def run(self):
        node = how_to_cite()
        node["chapter"] = self.options.get("chapter", "")
        return [node]


def _emphasis_nodes(markup: str) -> list:
    """Docutils nodes for citeproc-py's HTML (text with <i>…</i>)."""
    import html
    import re

    out = []
    for i, part in enumerate(re.split(r"</?i>", markup)):
        text = html.unescape(part)
        if text:
            out.append(nodes.emphasis(text, text) if i % 2 else nodes.Text(text))
    return out


def _quote(markup: str):
    return nodes.block_quote("", nodes.paragraph("", "", *_emphasis_nodes(markup)))


def _bibtex_block(text: str):
    block = nodes.literal_block(text, text, language="bibtex")
    block["highlight_args"] = {}
    return block


def _label(text: str) -> list:
    """A style's label ("APA:"), kept on one page with the first lines of the citation below it in the PDF."""
    return [nodes.raw("", r"\needspace{4\baselineskip}", format="latex"), nodes.paragraph("", text)]


def _how_to_cite_nodes(app, node) -> list:
    book = citation_for(app, kind="book")
    out = [*_label("APA:"), _quote(book["apa_html"]),
           *_label("Chicago (author-date):"), _quote(book["chicago_html"]),
           *_label("BibTeX:"), _bibtex_block(book["bibtex"])]
    docname = node["chapter"]
    if docname:
        chapter = citation_for(app, docname, "page")
        number = chapter["csljson"].get("chapter-number", "")
        title = chapter["csljson"]["title"]
        out += [*_label(f"To cite a chapter, name it and its number; for example, chapter {number}, "
                        f"{title}, in APA and BibTeX:"),
                _quote(chapter["apa_html"]), _bibtex_block(chapter["bibtex"])]
    return out


_URL = re.compile(r'(https?://[^\s<>"]+?)([.,;]?)(?=\s|<|$)')


def _linked(markup: str) -> str:
    """Web addresses in a formatted citation as links."""
    return _URL.sub(r'<a href="\1">\1</a>\2', markup)


def _control_html(citation: dict, what: str, prefix: str) -> str:
    links = " · ".join(f'<a href="{prefix}{citation["files"][ext]}" download>{name}</a>' for ext, name in FORMATS)
    return (f'<details class="{CITE_CLASS}"><summary>Cite this {what}</summary>'
            f'<div class="usrubook-cite-body">'
            f'<p><span class="usrubook-cite-style">APA</span> {_linked(citation["apa_html"])}</p>'
            f'<p><span class="usrubook-cite-style">Chicago</span> {_linked(citation["chicago_html"])}</p>'
            f'<p class="usrubook-cite-files">Download: {links}</p></div></details>')


def _control(app, citation: dict, what: str, docname: str):
    write_files(app.outdir, citation)
    prefix = "../" * docname.count("/")
    node = cite_control(classes=[CITE_CLASS])
    node["html"] = _control_html(citation, escape(what), prefix)
    return node


def resolve(app, doctree, docname):
    """Fill the how-to-cite placeholders (every builder) and, for the web book, add the Cite controls."""
    for node in list(doctree.findall(how_to_cite)):
        node.replace_self(_how_to_cite_nodes(app, node))
    if app.builder.format != "html" or not in_book(app, docname):
        return
    add_controls(app, doctree, docname)


def add_controls(app, doctree, docname):
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is not None and section.children and isinstance(section[0], nodes.title):
        if docname == app.config.root_doc:
            control = _control(app, citation_for(app, kind="book"), "book", docname)
        else:
            control = _control(app, citation_for(app, docname, "page"), "page", docname)
        section.insert(1, control)
    numbered = app.env.toc_fignumbers.get(docname, {})
    for figure in list(doctree.findall(nodes.figure)):
        ids = [i for i in figure["ids"] if i in numbered.get("figure", {})]
        caption = next((c for c in figure.children if isinstance(c, nodes.caption)), None)
        if ids and caption is not None:
            citation = citation_for(app, docname, "figure", ids[0])
            # right after the figure, before its "Get the data" (usrubook.book.figures): the caption stays the
            # figure's accessible name, and the figure's tools sit together
            figure.parent.insert(figure.parent.index(figure) + 1, _control(app, citation, "figure", docname))
    for table in list(doctree.findall(nodes.table)):
        ids = [i for i in table["ids"] if i in numbered.get("table", {})]
        if ids and table.parent is not None:
            citation = citation_for(app, docname, "table", ids[0])
            table.parent.insert(table.parent.index(table) + 1, _control(app, citation, LABELS["table"].lower(),
                                                                        docname))


def _skip(self, node):
    raise nodes.SkipNode


def setup(app):
    app.add_node(how_to_cite, html=(_skip, None), latex=(_skip, None), text=(_skip, None))
    app.add_node(cite_control, html=(_visit_control, None), latex=(_skip, None), text=(_skip, None))
    app.add_directive("how-to-cite", HowToCiteDirective)
    app.connect("doctree-resolved", resolve)
    app.connect("env-check-consistency", render_ahead)
    app.connect("build-finished", close_ahead)
