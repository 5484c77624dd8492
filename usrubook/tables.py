"""Numbered tables for the chapters: a MyST ``{table}`` rendered from a DataFrame.

The output is ``text/markdown``, which myst-nb parses as MyST, so the table is
a real table in HTML and in the PDF, has a caption and a ``{numref}`` label,
and its text diff is readable when nbval compares it.
"""
from __future__ import annotations

import pandas as pd
from IPython.display import Markdown


def passage(anchor: str, label: str | None = None) -> str:
    """A link to a seed paragraph on the Source texts page, for a table cell or prose."""
    number = anchor.rsplit("-p", 1)[1]
    return f"{{ref}}`{label or '¶' + number} <{anchor}>`"


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
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(_cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return Markdown("\n".join([f":::{{table}} {caption}", f":name: {name}", ":align: left", "",
                               header, rule, *body, ":::"]
                            + (["", f"Data: {{download}}`{data.rsplit('/', 1)[-1]} <{data}>`."] if data else [])))
