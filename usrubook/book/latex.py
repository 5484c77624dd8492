"""The PDF's LaTeX: the preamble the book adds, and transforms of the doctree for the LaTeX builder only.

What the transforms do to the printed book:

* every table is a ``longtable``, so that a table longer than a page breaks across pages instead of
  running off the bottom of it (Sphinx makes only tables over 30 rows long by itself);
* paragraphs with ids (the seed passages of the Source texts page) get a LaTeX label, so that
  ``{ref}`` links to them work in the PDF as they do on the web;
* the preface (the root document, whose title Sphinx uses as the book's title) gets its heading
  back, an entry in the contents and its own running head;
* text marked with the ``{web}`` role is left out of the PDF, text marked ``{print}`` out of every
  other output (the HTML): web-only instructions such as "hover" are not printed;
* runs of emoji and pictographs are set in Symbola.

In the preamble, besides: the PDF's page labels are the printed page numbers (:data:`PAGE_LABELS_LATEX`).

Outside the transforms: the build date of the PDF is fixed (``SOURCE_DATE_EPOCH``), and the chart
PDFs that vl-convert writes are rewritten in a canonical object order (:func:`canonical_pdf`), so
that two builds of the same sources give the same PDF, byte for byte.
"""
from __future__ import annotations

import datetime as _dt
import os
import re
from pathlib import Path

# Emoji and pictographs (seed 000's bullets) are missing from the PDF's text font; Symbola (Debian fonts-symbola)
# has them. Only the LaTeX output is touched: browsers choose their own fallback fonts.
_SYMBOLS = re.compile("[\u2600-\u27bf\ufe0f\U0001F000-\U0001FAFF]+")
SYMBOL_LATEX = r"""
\newfontfamily\usrubooksymbols{Symbola}
\newcommand{\DUrolesymbol}[1]{{\usrubooksymbols #1}}
"""

# Table cells are set ragged right (hyphenation allowed): justified text in narrow columns left wide gaps.
# The column type is Sphinx's \X (sphinxlatextables.sty) with \RaggedRight in front.
# The log line gives the tests the text block: what scale a chart is printed at, where running heads are.
LAYOUT_LATEX = r"""
\usepackage{ragged2e}
\makeatletter
\newcolumntype{\X}[2]{>{\RaggedRight\arraybackslash}p{\dimexpr
      (\linewidth-\spx@arrayrulewidth)*#1/#2-\tw@\tabcolsep-\spx@arrayrulewidth\relax}}
\makeatother
\AtBeginDocument{\typeout{usrubook-layout: linewidth=\the\linewidth, textheight=\the\textheight,
  texttop=\the\dimexpr 1in+\voffset+\topmargin+\headheight+\headsep\relax, paperheight=\the\paperheight}}
"""


WEB_CLASS, PRINT_CLASS = "usrubook-web-only", "usrubook-print-only"
REFERENCES_PAGE = "references"


def _latex_text(text: str) -> str:
    from sphinx.util.texescape import escape

    return escape(text)


def _ancestors(node):
    while node.parent is not None:
        node = node.parent
        yield node


def print_transforms():
    from docutils import nodes
    from sphinx import addnodes
    from sphinx.transforms.post_transforms import SphinxPostTransform

    class SymbolFont(SphinxPostTransform):
        """Set every run of symbol characters in a 'symbol' role, which the LaTeX preamble draws in Symbola."""
        default_priority = 200
        formats = ("latex",)

        def run(self, **kwargs):
            for text in list(self.document.findall(nodes.Text)):
                if isinstance(text.parent, (nodes.FixedTextElement, nodes.raw)) or not _SYMBOLS.search(text):
                    continue
                parts, pos = [], 0
                for m in _SYMBOLS.finditer(text):
                    if m.start() > pos:
                        parts.append(nodes.Text(text[pos:m.start()]))
                    parts.append(nodes.inline(m.group(0), m.group(0), classes=["symbol"]))
                    pos = m.end()
                if pos < len(text):
                    parts.append(nodes.Text(text[pos:]))
                text.parent.replace(text, parts)

    class MediumOnly(SphinxPostTransform):
        """Drop ``{web}`` text from the PDF and ``{print}`` text from every other output."""
        default_priority = 1

        def run(self, **kwargs):
            drop = WEB_CLASS if self.app.builder.format == "latex" else PRINT_CLASS
            for node in list(self.document.findall(nodes.inline)):
                if drop in node["classes"]:
                    node.parent.remove(node)
                elif {WEB_CLASS, PRINT_CLASS} & set(node["classes"]):
                    node.parent.replace(node, node.children)

    class ChartsDrawn(SphinxPostTransform):
        """Stop a LaTeX build whose pages were read by another builder, which draws no print PDF of a chart
        (:mod:`usrubook.book.mimerender`): the PDF would silently lose its charts."""
        default_priority = 1
        formats = ("latex",)

        def run(self, **kwargs):
            from sphinx.errors import SphinxError

            from usrubook.book.mimerender import SPEC_ONLY

            for node in self.document.findall(nodes.container):
                if SPEC_ONLY not in node["classes"]:
                    continue
                # the book is one assembled doctree: the page is the one whose start the chart follows
                page = next((up["docname"] for up in _ancestors(node) if isinstance(up, addnodes.start_of_file)),
                            self.env.docname)
                raise SphinxError(f"{page}: its charts were read by another builder, without their print PDFs; "
                                  "give the LaTeX build a doctree folder of its own (sphinx-build -d), as "
                                  "jupyter-book's build does (usrubook.book.execution.own_doctrees)")

    class LongTables(SphinxPostTransform):
        """Every table is a longtable: it breaks across pages instead of running off the page."""
        default_priority = 200
        formats = ("latex",)

        def run(self, **kwargs):
            for table in self.document.findall(nodes.table):
                if "longtable" not in table["classes"]:
                    table["classes"].append("longtable")

    class ParagraphTargets(SphinxPostTransform):
        """A LaTeX label for every paragraph with ids (the Source texts' passages): Sphinx writes none, so
        ``{ref}`` links to them were dead in the PDF."""
        default_priority = 200
        formats = ("latex",)

        def run(self, **kwargs):
            for para in list(self.document.findall(nodes.paragraph)):
                if para["ids"]:
                    para.insert(0, nodes.target("", "", ids=list(para["ids"])))
                    para["ids"] = []

    class BibliographyInReferences(SphinxPostTransform):
        """The bibliography is the References chapter: Sphinx gathers every citation at the tail of the whole
        document (after the last chapter, here Re-run a chapter); this moves the list to the end of the
        References chapter, after its note. The preamble (_config.yml) keeps the list from opening a chapter of
        its own."""
        default_priority = 760          # after Sphinx's BibliographyTransform (750)
        formats = ("latex",)

        def run(self, **kwargs):
            from sphinx.builders.latex.nodes import thebibliography

            lists = [n for n in self.document.children if isinstance(n, thebibliography)]
            target = next((n for n in self.document.findall(addnodes.start_of_file)
                           if n.get("docname") == REFERENCES_PAGE), None)
            if not lists or target is None:
                return
            chapter = next(iter(target.findall(nodes.section)), target)
            for bib in lists:
                bib.parent.remove(bib)
                chapter += bib

    class PrefaceHeading(SphinxPostTransform):
        """The preface keeps its heading, an entry in the contents and the PDF outline, and a running head.

        Sphinx prints the root document's title as the book's title, and sphinx-jupyterbook-latex
        flattens the root document's sections (priority 700), so the preface had no heading and its
        pages were headed "Contents"."""
        default_priority = 800
        formats = ("latex",)

        def run(self, **kwargs):
            root = self.config.root_doc
            if self.env.docname != root:     # the LaTeX builder resolves the whole book as its root document
                return
            top = next((s for s in self.document.findall(nodes.section) if s.get("docname") == root), None)
            if top is None:
                top = next(iter(self.document.findall(nodes.section)), None)
            if top is None:
                return
            title = _latex_text(self.env.titles[root].astext())
            raw = nodes.raw("", "\n".join([
                r"\phantomsection\addcontentsline{toc}{chapter}{%s}" % title,
                r"\makeatletter\thispagestyle{plain}\@makeschapterhead{%s}\makeatother" % title,
                r"\markboth{%s}{%s}" % (title, title), ""]), format="latex")
            at = 1 if top.children and isinstance(top[0], nodes.title) else 0
            top.insert(at, raw)

    return [SymbolFont, MediumOnly, ChartsDrawn, LongTables, ParagraphTargets, BibliographyInReferences, PrefaceHeading]


def medium_roles():
    """``{web}`text``` is printed on the web only, ``{print}`text``` in the PDF only."""
    from docutils import nodes

    def make(cls):
        def role(name, rawtext, text, lineno, inliner, options=None, content=None):
            return [nodes.inline(rawtext, text, classes=[cls])], []
        return role

    return {"web": make(WEB_CLASS), "print": make(PRINT_CLASS)}


# PDF page labels (hyperref's pdfpagelabels, on by default) follow the printed numbers: the contents are i-iii
# as printed (Sphinx's \pagenumbering{roman}), the preface starts at 1. The title page prints no number; hyperref
# would label it "1" too, so that a viewer's "go to page 1" opened the title page. It is labelled "Title".
PAGE_LABELS_LATEX = r"""
\AtBeginDocument{\ifdefined\thispdfpagelabel\thispdfpagelabel{Title}\else
  \typeout{usrubook: hyperref has no page labels; the title page is not labelled}\fi}
"""


def latex_preamble(app, config):
    from usrubook.book.seedtext import LATEX

    config.latex_elements = {**config.latex_elements,
                             "preamble": config.latex_elements.get("preamble", "") + LATEX + SYMBOL_LATEX
                             + LAYOUT_LATEX + PAGE_LABELS_LATEX}


# -- deterministic PDF ----------------------------------------------------------------------------------


def release_epoch(srcdir) -> int | None:
    """The book's release date (``date-released`` in CITATION.cff) as seconds since the epoch, at 00:00 UTC."""
    path = Path(srcdir) / "CITATION.cff"
    if not path.exists():
        return None
    m = re.search(r'^date-released:\s*"?(\d{4})-(\d{2})-(\d{2})"?\s*$', path.read_text(encoding="utf-8"), re.M)
    if not m:
        return None
    day = _dt.datetime(*map(int, m.groups()), tzinfo=_dt.timezone.utc)
    return int(day.timestamp())


def fix_pdf_date(app):
    """xelatex and xdvipdfmx take the PDF's dates and its /ID from SOURCE_DATE_EPOCH (with FORCE_SOURCE_DATE=1
    for TeX's own clock). jupyter-book runs LaTeX in a child process after Sphinx, which inherits these.
    A SOURCE_DATE_EPOCH set by the caller wins; otherwise the book's release date is used."""
    if app.builder.format != "latex":
        return
    if "SOURCE_DATE_EPOCH" not in os.environ:
        epoch = release_epoch(app.srcdir)
        if epoch is None:
            return
        os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    os.environ["FORCE_SOURCE_DATE"] = "1"


_TOKEN = re.compile(rb"\s*(?:%[^\r\n]*[\r\n]\s*)*(<<|>>|\[|\]|\(|<|/[^\s/\[\]()<>{}%]*|[^\s/\[\]()<>{}%]+)")


class _Ref:
    __slots__ = ("num",)

    def __init__(self, num):
        self.num = num


class _Parser:
    """Just enough of PDF's object syntax to read the files vl-convert (svg2pdf) writes: numbered objects
    with dictionaries, arrays, names, numbers, strings and uncompressed-xref streams."""

    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def token(self):
        """The next token, or None at the end of the file."""
        m = _TOKEN.match(self.data, self.pos)
        if not m:
            return None
        self.pos = m.end()
        return m.group(1)

    def peek(self, n=1):
        pos = self.pos
        out = [self.token() for _ in range(n)]
        self.pos = pos
        return out

    def string(self):
        depth, i, data = 1, self.pos, self.data
        while depth:
            c = data[i:i + 1]
            if c == b"\\":
                i += 2
                continue
            depth += {b"(": 1, b")": -1}.get(c, 0)
            i += 1
        raw, self.pos = data[self.pos - 1:i], i
        return ("str", raw)

    def value(self):
        tok = self.token()
        if tok is None:
            raise ValueError(f"PDF ends inside an object (byte {self.pos})")
        if tok == b"<<":
            out = {}
            while self.peek()[0] != b">>":
                key = self.token()
                out[key] = self.value()
            self.token()
            return out
        if tok == b"[":
            out = []
            while self.peek()[0] != b"]":
                out.append(self.value())
            self.token()
            return out
        if tok == b"(":
            return self.string()
        if tok == b"<":
            end = self.data.index(b">", self.pos)
            raw, self.pos = self.data[self.pos - 1:end + 1], end + 1
            return ("str", raw)
        if re.fullmatch(rb"\d+", tok):
            nxt = self.peek(2)
            if len(nxt) == 2 and re.fullmatch(rb"\d+", nxt[0]) and nxt[1] == b"R":
                self.token(), self.token()
                return _Ref(int(tok))
        return ("atom", tok)

    def objects(self):
        objs, trailer = {}, None
        while (tok := self.token()) is not None:
            if re.fullmatch(rb"\d+", tok) and self.peek(2)[1:] == [b"obj"]:
                self.token(), self.token()
                value = self.value()
                stream = None
                if self.peek()[0] == b"stream":
                    self.token()
                    self.pos += 2 if self.data[self.pos:self.pos + 2] == b"\r\n" else 1
                    length = value[b"/Length"]
                    if not (isinstance(length, tuple) and length[0] == "atom"):
                        raise ValueError("indirect stream /Length")
                    stream = self.data[self.pos:self.pos + int(length[1])]
                    self.pos += len(stream)
                    if self.token() != b"endstream":
                        raise ValueError("stream /Length does not match")
                if self.token() != b"endobj":
                    raise ValueError("missing endobj")
                objs[int(tok)] = (value, stream)
            elif tok == b"trailer":
                trailer = self.value()
        if trailer is None:
            raise ValueError("no trailer (cross-reference streams are not supported)")
        return objs, trailer


def canonical_pdf(data: bytes) -> bytes:
    """The same PDF with its objects numbered in the order they are reached from the trailer and every
    dictionary's keys sorted. svg2pdf (inside vl-convert) writes fonts and resource dictionaries in an
    order that changes from run to run; rewritten, the same chart gives the same bytes."""
    objs, trailer = _Parser(data).objects()
    order: list[int] = []
    seen: set[int] = set()

    def visit(value):
        if isinstance(value, _Ref):
            if value.num not in seen and value.num in objs:
                seen.add(value.num)
                order.append(value.num)
                visit(objs[value.num][0])
        elif isinstance(value, dict):
            for key in sorted(value):
                visit(value[key])
        elif isinstance(value, list):
            for item in value:
                visit(item)

    visit({k: v for k, v in trailer.items() if k in (b"/Root", b"/Info")})
    number = {old: new for new, old in enumerate(order, 1)}

    def dump(value) -> bytes:
        if isinstance(value, _Ref):
            return b"%d 0 R" % number[value.num] if value.num in number else b"null"
        if isinstance(value, dict):
            return b"<<" + b"".join(b"%s %s" % (k, dump(value[k])) for k in sorted(value)) + b">>"
        if isinstance(value, list):
            return b"[" + b" ".join(dump(v) for v in value) + b"]"
        return value[1]

    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for old in order:
        value, stream = objs[old]
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number[old]
        if stream is None:
            out += dump(value)
        else:
            out += dump({**value, b"/Length": ("atom", b"%d" % len(stream))}) + b"\nstream\n" + stream + b"\nendstream"
        out += b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(order) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    new_trailer = {b"/Size": ("atom", b"%d" % (len(order) + 1))}
    new_trailer.update({k: v for k, v in trailer.items() if k in (b"/Root", b"/Info")})
    out += b"trailer\n" + dump(new_trailer) + b"\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def canonical_chart_pdfs(app, exception):
    """Before LaTeX runs (jupyter-book calls make after Sphinx), rewrite each chart PDF canonically."""
    if exception is not None or app.builder.format != "latex":
        return
    for name in sorted(set(getattr(app.builder, "images", {}).values())):
        path = Path(app.builder.outdir) / name
        if path.suffix.lower() != ".pdf" or not path.exists():
            continue
        data = path.read_bytes()
        if b"svg2pdf" not in data:
            continue
        canonical = canonical_pdf(data)
        if canonical != data:
            path.write_bytes(canonical)


def parts_numbering_first(app, config):
    """``config-inited``, after sphinx-external-toc has read the table of contents, before Sphinx compares the
    settings with those the last build saved: for the LaTeX build (written to ``_build/latex``) of a book in parts,
    ``numfig_secnum_depth = 2``, the value sphinx-jupyterbook-latex sets for it later (``builder-inited``,
    ``setup_latex_transforms``), under the same conditions. Set only then, it made every LaTeX build find its
    settings changed since the last ("config changed ('numfig_secnum_depth')") and read every page again."""
    if Path(app.outdir).name != "latex":
        return
    site = getattr(config, "external_site_map", None)
    to_parts = config["jblatex_captions_to_parts"]
    if to_parts is True or (to_parts is None and site is not None and site.file_format == "jb-book"
                            and len(site.root.subtrees) > 1):
        config["numfig_secnum_depth"] = 2


def setup(app):
    app.connect("config-inited", latex_preamble)
    app.connect("config-inited", parts_numbering_first, priority=950)     # after sphinx-external-toc's (900)
    app.connect("builder-inited", fix_pdf_date)
    app.connect("build-finished", canonical_chart_pdfs)
    for name, role in medium_roles().items():
        app.add_role(name, role)
    for transform in print_transforms():
        app.add_post_transform(transform)
