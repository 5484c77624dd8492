"""The ``seed-text`` directive: a seed rendered verbatim, one anchored paragraph per line, noise marked.

``` {seed-texts} ``` renders every seed of ``seeds/sources.csv``, in order, each in a section headed
'Seed 003: "<title>"', so that a seed added to the manifest appears on the Source texts page by itself.
``` {seed-text} seed003 ```  renders ``seeds/<file of seed003>`` as paragraphs whose
ids are the anchors used throughout the data (``seed003-p38``); each anchor is
also a Sphinx label, so prose can link a passage with ``{ref}`seed003-p38```.
Text is inserted as text nodes, so nothing in a seed is ever read as markup.
Spans recorded in ``data/noise.csv`` are wrapped in an inline node with the
class ``seednoise`` (struck through and labelled in HTML, grey in the PDF).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from usrubook.pipeline.csvio import read_table
from usrubook.pipeline.provenance import anchor
from usrubook.pipeline.schema import DERIVED
from usrubook.pipeline.seeds import load_seeds

NOISE_CLASS = "seednoise"


@lru_cache(maxsize=1)
def _corpus(root: str, stamp: tuple) -> tuple:
    """Seeds and noise spans, read once while their files are unchanged (``stamp``: their mtimes)."""
    sources, texts = load_seeds(Path(root))
    noise_table = DERIVED["noise"]
    spans = {}
    for r in read_table(Path(root) / noise_table.path, noise_table):
        spans.setdefault(r["source_id"], []).append((r["start"], r["end"]))
    return {r["source_id"]: r for r in sources}, texts, {k: sorted(v) for k, v in spans.items()}


def heading(row: dict) -> str:
    """A seed's section title: 'Seed 003: "Relations Between US and Russia"'."""
    return f'Seed {row["source_id"].removeprefix("seed")}: "{row["title"]}"'


class SeedTextDirective(SphinxDirective):
    required_arguments = 1
    has_content = False

    def corpus(self):
        root = Path(self.env.srcdir)
        inputs = [*sorted((root / "seeds").glob("*.txt")), root / "seeds/sources.csv", root / DERIVED["noise"].path]
        for path in inputs:    # a new, changed or removed seed re-reads the page
            self.env.note_dependency(str(path))
        return _corpus(str(root), tuple((str(p), p.stat().st_mtime_ns) for p in inputs))

    def run(self):
        source_id = self.arguments[0]
        rows, texts, noise = self.corpus()
        if source_id not in texts:
            raise self.error(f"unknown seed '{source_id}'; known: {', '.join(sorted(texts))}")
        return [self.render(source_id, texts, noise)]

    def render(self, source_id: str, texts: dict, noise: dict) -> nodes.container:
        spans = noise.get(source_id, [])
        seed = texts[source_id]
        std = self.env.get_domain("std")
        container = nodes.container(classes=["seedtext"])
        container["support_smartquotes"] = False    # verbatim: Sphinx must not curl the seeds' quotes
        for number, start in enumerate(seed.paragraphs, 1):
            end = seed.text.find("\n", start)
            end = len(seed.text) if end < 0 else end
            node_id = anchor(source_id, number)
            para = nodes.paragraph(ids=[node_id], classes=["seedpara"])
            para += nodes.inline(text=f"¶{number}", classes=["seedparanum"])
            para += nodes.Text(" ")
            pos = start
            for s, e in spans:
                if e <= start or s >= end:
                    continue
                s, e = max(s, start), min(e, end)
                if s > pos:
                    para += nodes.Text(seed.text[pos:s])
                para += nodes.inline(text=seed.text[s:e], classes=[NOISE_CLASS])
                pos = e
            if pos < end:
                para += nodes.Text(seed.text[pos:end].rstrip())
            container += para
            title = f"{source_id}, paragraph {number}"
            std.anonlabels[node_id] = (self.env.docname, node_id)
            std.labels[node_id] = (self.env.docname, node_id, title)
        return container


class SeedTextsDirective(SeedTextDirective):
    """Every seed of the manifest, in order, each in its own section."""

    required_arguments = 0

    def run(self):
        rows, texts, noise = self.corpus()
        sections = []
        for source_id, row in rows.items():
            title = heading(row)
            section = nodes.section()
            section += nodes.title(title, title)
            section["names"].append(nodes.fully_normalize_name(title))
            self.state.document.note_implicit_target(section, section)
            section += self.render(source_id, texts, noise)
            sections.append(section)
        return sections


LATEX = r"""
\newcommand{\DUroleseednoise}[1]{{\color{gray}[noise: #1]}}
\newcommand{\DUroleseedparanum}[1]{{\small\color{gray}#1}}
"""
