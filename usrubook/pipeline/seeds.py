"""The seed manifest (``seeds/sources.csv``) and the verified seed texts.

Every ``seeds/*.txt`` file is listed in the manifest and every listed file is there, byte for byte as its
checksum pins it. A seed file is named ``NNN_<16 hex digits>.txt``: the original seeds came with an identifier
of their own; a seed added with ``make add-seed`` takes the first 16 hex digits of its SHA-256, so that a
changed file can be told from a mistyped checksum. A seed is either dated (estimated
date, confidence, verbatim evidence and reasoning) or, while a maintainer has yet to date it, ``not yet dated``
with all four dating fields empty.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from usrubook.pipeline.csvio import read_table, read_text, records
from usrubook.errors import DataError
from usrubook.pipeline.provenance import SeedText
from usrubook.pipeline.schema import DATING_FIELDS, NOT_YET_DATED, SOURCES

MANIFEST = "seeds/sources.csv"
SEED_NAME = re.compile(r"^(\d{3})_([0-9a-f]{16})\.txt$")
ADD_SEED = "make add-seed FILE=path/to/article.txt"


def seed_file_name(number: int, digest: str) -> str:
    """The file name of seed ``number`` whose bytes have the SHA-256 ``digest``: ``005_0123456789abcdef.txt``."""
    return f"{number:03d}_{digest[:16]}.txt"


def is_dated(row: dict) -> bool:
    return row["date_confidence"] != NOT_YET_DATED


def _read_manifest(root: Path) -> list[dict]:
    try:
        return read_table(root / MANIFEST, SOURCES, MANIFEST)
    except DataError as exc:
        if exc.field in ("title", "genre") and exc.problem.startswith("the value is empty"):
            file = _file_on_line(root, exc.line)
            fix = (f"copy the page's title, as it is printed in {file}." if exc.field == "title" else
                   f"describe the kind of web page {file} is, in a few words, as the other rows do "
                   "(e.g. 'blog post').")
            raise DataError(exc.file, f"the seed on this line has no {exc.field} yet.", line=exc.line,
                            field=exc.field, fix=fix) from None
        raise


def _file_on_line(root: Path, line: int) -> str:
    """The seed file named by the manifest row that starts on ``line``."""
    found = records((root / MANIFEST).read_text(encoding="utf-8"))
    _, header = next(found)
    for start, row in found:
        if start == line and len(row) == len(header) and row[header.index("file")]:
            return f"seeds/{row[header.index('file')]}"
    return "the seed file named in the 'file' column"


def _check_dating(row: dict) -> None:
    line = row["_line"]
    if not is_dated(row):
        given = [f for f in ("stated_date", *DATING_FIELDS) if row[f] is not None]
        if given:
            raise DataError(MANIFEST, f"{given[0]} is filled in, but date_confidence says that {row['source_id']} "
                                      f"is '{NOT_YET_DATED}'.", line=line, field=given[0],
                            fix="now that the seed is dated, set date_confidence to high, medium or low and fill in "
                                "estimated_date, date_evidence and date_reasoning; or clear " + given[0] + ".")
        return
    missing = [f for f in DATING_FIELDS if row[f] is None]
    if missing:
        names = ", ".join(missing[:-1]) + (" and " if len(missing) > 1 else "") + missing[-1]
        raise DataError(MANIFEST, f"{names} {'is' if len(missing) == 1 else 'are'} empty, but date_confidence is "
                                  f"'{row['date_confidence']}'.", line=line, field=missing[0],
                        fix="fill in the estimated writing date (YYYY, YYYY-MM or YYYY-MM-DD), a passage copied "
                            "verbatim from the seed that the date rests on, and the reasoning; until then, set "
                            f"date_confidence to '{NOT_YET_DATED}' and leave all three empty.")


def _check_checksum(row: dict, rel: str, digest: str) -> None:
    """A changed seed and a mistyped checksum get different messages where the file's name tells them apart."""
    if digest == row["sha256"]:
        return
    m = SEED_NAME.match(row["file"])
    named = m.group(2) if m else None
    line = row["_line"]
    if named == digest[:16]:
        raise DataError(MANIFEST, f"the sha256 of {row['source_id']} is not the checksum of {rel}: the file's SHA-256 "
                                  f"is {digest}, as its name says, and the manifest has {row['sha256']}.",
                        line=line, field="sha256", fix=f"write {digest}.")
    # The file's name pins the manifest's checksum (a seed added with make add-seed), or it cannot tell (the
    # original seeds' names are not checksums): the likelier case is a changed file.
    unsure = "" if named == row["sha256"][:16] else (
        " If the file is as it was added and it is the sha256 on this line that was edited, restore the manifest "
        "instead (git checkout -- seeds/sources.csv).")
    raise DataError(MANIFEST, f"the seed file {rel} has changed: its SHA-256 is {digest}, the manifest pins "
                              f"{row['sha256']}.", line=line, field="sha256",
                    fix=f"seeds are never edited: restore the file (git checkout -- {rel}). To add a revised "
                        f"version of the article as a new source, keep it outside seeds/ and run {ADD_SEED}."
                        + unsure)


def load_seeds(root: Path) -> tuple[list[dict], dict[str, SeedText]]:
    """Read the manifest and every seed; fail if a seed is missing, changed, not UTF-8 or not in the manifest,
    or if a row is neither dated nor marked as not yet dated."""
    rows = _read_manifest(root)
    texts: dict[str, SeedText] = {}
    for row in rows:
        _check_dating(row)
        rel = f"seeds/{row['file']}"
        path = root / rel
        if not path.is_file():
            raise DataError(MANIFEST, f"the seed file {rel} is missing.", line=row["_line"], field="file",
                            fix=f"restore it (git checkout -- {rel}); if the row was added by mistake, delete "
                                f"line {row['_line']}.")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        _check_checksum(row, rel, digest)
        text = read_text(path, rel)
        words = len(text.split())
        if words != row["words"]:
            raise DataError(MANIFEST, f"{rel} has {words} words, the manifest says {row['words']}.",
                            line=row["_line"], field="words", fix=f"write {words}.")
        seed = SeedText(row["source_id"], text)
        texts[row["source_id"]] = seed
    listed = {r["file"] for r in rows}
    for path in sorted((root / "seeds").glob("*.txt")):
        if path.name not in listed:
            raise DataError(f"seeds/{path.name}", "the file is not in seeds/sources.csv.",
                            fix=f"to add it as a new source, run make add-seed FILE=seeds/{path.name}; "
                                "otherwise move it out of seeds/.")
    return rows, texts


def locate_dating(row: dict, texts: dict) -> dict:
    """Where a seed's date_evidence is (start, end, paragraph, anchor); all None while it is not yet dated."""
    if not is_dated(row):
        return {"start": None, "end": None, "paragraph": None, "anchor": None}
    return locate(MANIFEST, row, texts, field="date_evidence")


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
