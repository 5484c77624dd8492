"""Load the derived tables for the chapters: the one way chapters read data."""
from __future__ import annotations

import pandas as pd

from usrubook.pipeline.csvio import read_table
from usrubook.paths import book_root
from usrubook.pipeline.schema import DERIVED

_DTYPES = {"string": "string", "date": "string", "integer": "Int64", "number": "Float64", "boolean": "boolean"}


def load(name: str) -> pd.DataFrame:
    """The derived table ``name`` (e.g. ``"trade"``) as a typed DataFrame.

    The file is validated against its schema first, so a hand-edited value that
    is not a number fails here with the file, line and column.
    """
    if name not in DERIVED:
        raise KeyError(f"unknown table {name!r}; the tables are: {', '.join(sorted(DERIVED))}")
    table = DERIVED[name]
    rows = read_table(book_root() / table.path, table, table.path)
    frame = pd.DataFrame([{k: v for k, v in r.items() if not k.startswith("_")} for r in rows],
                         columns=table.names)
    return frame.astype({f.name: _DTYPES[f.type] for f in table.fields})


def datapackage_descriptor() -> dict:
    """The data package descriptor (``data/datapackage.json``): tables, fields, licence and sources."""
    import json

    return json.loads((book_root() / "data" / "datapackage.json").read_text(encoding="utf-8"))
