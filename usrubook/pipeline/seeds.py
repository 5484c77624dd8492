"""The seed manifest (``seeds/sources.csv``) and the verified seed texts."""
from __future__ import annotations

import hashlib
from pathlib import Path

from usrubook.pipeline.csvio import read_table, read_text
from usrubook.errors import DataError
from usrubook.pipeline.provenance import SeedText
from usrubook.pipeline.schema import SOURCES

MANIFEST = "seeds/sources.csv"


def load_seeds(root: Path) -> tuple[list[dict], dict[str, SeedText]]:
    """Read the manifest and every seed; fail if a seed is missing, changed or not UTF-8."""
    rows = read_table(root / MANIFEST, SOURCES, MANIFEST)
    texts: dict[str, SeedText] = {}
    for row in rows:
        rel = f"seeds/{row['file']}"
        path = root / rel
        if not path.is_file():
            raise DataError(MANIFEST, f"the seed file {rel} is missing.", line=row["_line"], field="file",
                            fix="copy it byte for byte from ../shared/seeds/ (cp ../shared/seeds/*.txt seeds/).")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != row["sha256"]:
            raise DataError(MANIFEST, f"the seed file {rel} has changed: its SHA-256 is {digest}, "
                                      f"the manifest pins {row['sha256']}.", line=row["_line"], field="sha256",
                            fix="seeds are never edited: restore the file from ../shared/seeds/.")
        text = read_text(path, rel)
        words = len(text.split())
        if words != row["words"]:
            raise DataError(MANIFEST, f"{rel} has {words} words, the manifest says {row['words']}.",
                            line=row["_line"], field="words", fix=f"write {words}.")
        seed = SeedText(row["source_id"], text)
        texts[row["source_id"]] = seed
    return rows, texts


def unknown_source(shown: str, row: dict, texts: dict) -> DataError:
    return DataError(shown, f"unknown seed id '{row['source_id']}'.", line=row["_line"], field="source_id",
                     fix="use one of: " + ", ".join(sorted(texts)) + " (see seeds/sources.csv).")


def locate(shown: str, row: dict, texts: dict, field: str = "quote") -> dict:
    """Find a row's quote in its seed; return start, end, paragraph and anchor, or raise a DataError."""
    from usrubook.pipeline.provenance import anchor

    if row["source_id"] not in texts:
        raise unknown_source(shown, row, texts)
    seed = texts[row["source_id"]]
    quote = row[field] or ""
    if not quote.strip():
        raise DataError(shown, "the quote is empty.", line=row["_line"], field=field,
                        fix=f"copy the passage verbatim from seeds/ for {row['source_id']}.")
    occurrence = row.get("occurrence") or 1
    found = seed.find(quote, occurrence)
    if found is None and occurrence > 1 and seed.find(quote) is not None:
        raise DataError(shown, f"the quote occurs fewer than {occurrence} times in {row['source_id']}.",
                        line=row["_line"], field="occurrence", fix="count the occurrences in the seed again.")
    if found is None:
        near = seed.closest(quote)
        raise DataError(shown, f"the quote is not in {row['source_id']}: \"{quote}\"."
                        + (f"\n  Closest passage in the seed: \"{near}\"" if near else ""),
                        line=row["_line"], field=field,
                        fix="copy the passage verbatim; only whitespace, typographic quotes and dashes may differ.")
    return {"start": found.start, "end": found.end, "paragraph": found.paragraph,
            "anchor": anchor(row["source_id"], found.paragraph)}
