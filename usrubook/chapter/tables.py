"""Numbered tables for the chapters: a MyST ``{table}`` rendered from a DataFrame.

The output is ``text/markdown``, which myst-nb parses as MyST, so the table is
a real table in HTML and in the PDF, has a caption and a ``{numref}`` label,
and its text diff is readable when nbval compares it.
"""
from __future__ import annotations

import re

import pandas as pd
from IPython.display import Markdown


LINE_CHARS = 95   # characters of body text in one line of the PDF


def passage(anchor: str, label: str | None = None) -> str:
    """A link to a seed paragraph on the Source texts page, for a table cell or prose."""
    number = anchor.rsplit("-p", 1)[1]
    return f"{{ref}}`{label or '¶' + number} <{anchor}>`"


def cite(keys: str) -> str:
    """A citation of bibliography keys separated by ';' (as the data stores them), for a table cell or prose."""
    keys = [k.strip() for k in keys.split(";") if k.strip()]
    return "{cite}`" + ",".join(keys) + "`" if keys else ""


def _shown(text: str) -> str:
    """What a reader sees of a cell: the label of a ``{ref}`label <target>``` role, not its markup; a citation
    shows as numbers, "[12, 134]", which break after each comma."""
    text = re.sub(r"\{cite\}`([^`]*)`", lambda m: "[" + ", ".join("000" for _ in m.group(1).split(",")) + "]", text)
    return re.sub(r"\{\w+\}`([^`<]*?)\s*(?:<[^>]*>)?`", r"\1", text)


def _cell(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value).replace("|", "\\|").replace("\n", " ")


def table(frame: pd.DataFrame, caption: str, name: str, data: str | None = None) -> Markdown:
    """A numbered, captioned table; format the numbers in ``frame`` before calling.

    ``data`` is the path of the CSV the table comes from, relative to the page;
    a download link to it follows the table.
    """
    header = "| " + " | ".join(_cell(c) for c in frame.columns) + " |"
    # Relative column widths from the content, so that LaTeX wraps long cells instead of
    # running off the page.
    widths = []
    for column in frame.columns:
        lengths = sorted(len(_shown(_cell(v))) for v in frame[column]) or [0]
        # short columns (dates, codes) keep their full width; long ones wrap at their 90th percentile
        typical = lengths[-1] if lengths[-1] <= 16 else lengths[int(0.9 * (len(lengths) - 1))]
        widths.append(max(8, min(60, max(len(str(column)), typical))))
    # Each column must hold its longest unbreakable word; a PDF line holds about 95 characters.
    longest = [max([len(w) for v in [c, *frame[c]] for w in re.split(r"[\s\-–]+", _shown(_cell(v)))] + [1]) + 2
               for c in frame.columns]
    # each column's padding and rule take about three characters of the line
    line = LINE_CHARS - 3 * len(frame.columns)
    for _ in range(10):
        total = sum(widths)
        widths = [max(w, -(-need * total // line)) for w, need in zip(widths, longest, strict=True)]
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(_cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return Markdown("\n".join([f":::{{table}} {caption}", f":name: {name}", ":align: left",
                               ":widths: " + " ".join(str(w) for w in widths), "",
                               header, rule, *body, ":::"]
                            + (["", f"Data: {{download}}`{data.rsplit('/', 1)[-1]} <{data}>`."] if data else [])))
