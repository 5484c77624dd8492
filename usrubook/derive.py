"""Derive the tidy tables in ``data/`` from the seeds and ``data/curated/``.

``python -m usrubook.derive`` (or ``make data``) verifies every seed against its
checksum, every curated row against its schema and every quote against its
seed, computes the derived tables, and only then writes ``data/*.csv`` and
``data/datapackage.json``. Each file is replaced atomically and only when its
content changes; nothing is written if any check fails. Curated inputs are
never written.
"""
from __future__ import annotations

import sys
from pathlib import Path

from usrubook import datapackage, trade
from usrubook.csvio import read_table, render_csv, write_if_changed
from usrubook.errors import DataError
from usrubook.paths import book_root
from usrubook.schema import CURATED, DERIVED
from usrubook.seeds import MANIFEST, locate, load_seeds


def _check_trade_numbers(shown: str, rows: list[dict]) -> None:
    """A figure and its stated change must be printed in the row's own quote."""
    for r in rows:
        value = r["_raw"]["value"]
        if f"${value}" not in r["quote"]:
            raise DataError(shown, f"the value {value} does not appear as ${value} in the quote.", line=r["_line"],
                            field="value", fix="copy the number exactly as the quote prints it.")
        change = r["_raw"]["change_pct"]
        if change and f"{change.lstrip('-')}%" not in r["quote"]:
            raise DataError(shown, f"the change {change} does not appear as {change.lstrip('-')}% in the quote.",
                            line=r["_line"], field="change_pct", fix="copy the percentage exactly as the quote prints it.")


def build(root: Path) -> dict[str, str]:
    """Compute every derived file's text, keyed by path relative to ``root``. Raises DataError on bad input."""
    sources, texts = load_seeds(root)
    source_rows = []
    for r in sources:
        loc = locate(MANIFEST, r, texts, field="date_evidence")
        source_rows.append({**r, **loc})

    shown = CURATED["trade"].path
    curated = read_table(root / shown, CURATED["trade"], shown)
    stated = []
    for r in curated:
        loc = locate(shown, r, texts)
        stated.append({**{k: v for k, v in r.items() if not k.startswith("_")}, **loc,
                       "derived": False, "derived_from": None})
    _check_trade_numbers(shown, curated)
    derived = trade.implied_rows([{**r, **s} for r, s in zip(curated, stated, strict=True)])
    reconciliation = trade.reconcile(curated)

    tables = {"sources": source_rows, "trade": stated + derived, "trade_reconciliation": reconciliation}
    out = {DERIVED[name].path: render_csv(DERIVED[name], rows) for name, rows in tables.items()}
    out["data/datapackage.json"] = datapackage.render(root)
    return out


def main(argv: list[str] | None = None) -> int:
    root = book_root()
    try:
        files = build(root)
    except DataError as exc:
        print(f"make data: bad input, nothing was written.\n{exc}", file=sys.stderr)
        return 1
    changed = [rel for rel, text in sorted(files.items()) if write_if_changed(root / rel, text)]
    print(f"make data: {len(files)} files derived, {len(changed)} changed" + (f": {', '.join(changed)}" if changed else "."))
    return 0


if __name__ == "__main__":
    sys.exit(main())
