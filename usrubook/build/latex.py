"""The PDF's LaTeX: the preamble the book adds, and transforms of the doctree for the LaTeX builder only."""
from __future__ import annotations

import re

# Emoji and pictographs (seed 000's bullets) are missing from the PDF's text font; Symbola (Debian fonts-symbola)
# has them. Only the LaTeX output is touched: browsers choose their own fallback fonts.
_SYMBOLS = re.compile("[\u2600-\u27bf\ufe0f\U0001F000-\U0001FAFF]+")
SYMBOL_LATEX = r"""
\newfontfamily\usrubooksymbols{Symbola}
\newcommand{\DUrolesymbol}[1]{{\usrubooksymbols #1}}
"""


def symbol_font_transform():
    from docutils import nodes
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

    return SymbolFont


def latex_preamble(app, config):
    from usrubook.build.seedtext import LATEX

    config.latex_elements = {**config.latex_elements,
                             "preamble": config.latex_elements.get("preamble", "") + LATEX + SYMBOL_LATEX}


def setup(app):
    app.connect("config-inited", latex_preamble)
    app.add_post_transform(symbol_font_transform())
    app.add_post_transform(chart_data_transform())


def chart_data_transform():
    from docutils import nodes
    from sphinx.transforms.post_transforms import SphinxPostTransform

    class ChartDataAfterFigure(SphinxPostTransform):
        """A chart's data tables (:mod:`usrubook.build.mimerender`) cannot stay inside its figure, which
        LaTeX floats and never breaks across pages: they follow the figure as long tables."""
        default_priority = 210
        formats = ("latex",)

        def run(self, **kwargs):
            for box in list(self.document.findall(
                    lambda n: isinstance(n, nodes.container) and "usrubook-chart-data" in n["classes"])):
                figure = next((a for a in _ancestors(box) if isinstance(a, nodes.figure)), None)
                if figure is None:
                    continue
                box.parent.remove(box)
                figure.parent.insert(figure.parent.index(figure) + 1, box)

    return ChartDataAfterFigure


def _ancestors(node):
    while node.parent is not None:
        node = node.parent
        yield node
