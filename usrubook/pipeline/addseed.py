"""Add an article to the book as a new seed (``make add-seed FILE=path/to/article.txt``).

The file is copied byte for byte to ``seeds/NNN_<first 16 hex digits of its SHA-256>.txt`` (NNN: the next
number) and its row is appended to ``seeds/sources.csv``: the next ``seedNNN``, the checksum and word count,
the title and genre if given (``TITLE=…``, ``GENRE=…``), and the dating fields left for the maintainer, with
date_confidence ``not yet dated``. The book builds with such a seed and says that it is not yet dated.
The seed's candidate facts (the rules of ``make coverage``) are printed as a coding checklist and written to
``_build/coding/seedNNN.md``.

Nothing is written if the file is missing, empty, not UTF-8 or already a seed.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import io
import os
import sys
from pathlib import Path

from usrubook.errors import DataError
from usrubook.paths import book_root
from usrubook.pipeline.csvio import read_table, records, write_if_changed
from usrubook.pipeline.provenance import SeedText
from usrubook.pipeline.schema import CURATED, NOT_YET_DATED, SOURCES
from usrubook.pipeline.seeds import MANIFEST, SEED_NAME, seed_file_name

CHECKLIST_DIR = "_build/coding"


def _manifest(root: Path) -> tuple[str, list[dict]]:
    """The manifest's text and rows, read loosely: a row added earlier may still lack its title or date."""
    text = (root / MANIFEST).read_text(encoding="utf-8")
    found = records(text)
    _, header = next(found, (1, []))
    if header != SOURCES.names:
        raise DataError(MANIFEST, "the header is not the manifest's.", line=1,
                        fix=f"the header must be exactly: {','.join(SOURCES.names)}")
    rows = [{**dict(zip(header, row + [""] * (len(header) - len(row)), strict=False)), "_line": line}
            for line, row in found
            if any(v.strip() for v in row)]
    return text, rows


def _decode(data: bytes, shown: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(shown, f"the file is not UTF-8 (byte {exc.start} cannot be decoded).",
                        line=data[: exc.start].count(b"\n") + 1,
                        fix="save it as UTF-8 (in an editor, or with iconv -f WINDOWS-1252 -t UTF-8 "
                            f"{shown} > article.txt, naming the file's own encoding) and run make add-seed "
                            "FILE=article.txt again.") from None


def plan(root: Path, src: Path, shown: str, title: str = "", genre: str = "") -> dict:
    """Check everything and say what to write; raise a DataError (and write nothing) if the file cannot be added."""
    if not src.is_file():
        raise DataError(shown, "the file is missing." if not src.exists() else "this is not a file.",
                        fix="give the path of the article's text file: make add-seed FILE=path/to/article.txt")
    data = src.read_bytes()
    text = _decode(data, shown)
    words = len(text.split())
    if words == 0:
        raise DataError(shown, "the file holds no text.", fix="give the file that holds the article's text.")
    for value, name in ((title, "TITLE"), (genre, "GENRE")):
        if "\n" in value or "\r" in value:
            raise DataError(shown, f"{name} runs over more than one line.", fix=f"give {name} on one line.")
    manifest, rows = _manifest(root)
    digest = hashlib.sha256(data).hexdigest()
    seeds = (root / "seeds").resolve()
    inside = src.resolve().parent == seeds
    for r in rows:
        if r["sha256"] == digest:
            raise DataError(shown, f"the article is already in the book: it is {r['source_id']} "
                                   f"(seeds/{r['file']}), line {r['_line']} of {MANIFEST}.",
                            fix="nothing to do; to add another article, give its file.")
        if inside and r["file"] == src.name:
            raise DataError(shown, f"the file is {r['source_id']}, already in {MANIFEST}, and it has changed since "
                                   "it was added.", fix=f"seeds are never edited: restore it (git checkout -- "
                                                        f"seeds/{src.name}). A revised article is a new source: "
                                                        "keep it outside seeds/ and add it with make add-seed.")
    numbers = [int(r["source_id"][4:]) for r in rows if r["source_id"][4:].isdigit()]
    numbers += [int(m.group(1)) for p in seeds.glob("*.txt") if (m := SEED_NAME.match(p.name)) and p != src.resolve()]
    number = max(numbers, default=-1) + 1
    if number > 999:
        raise DataError(MANIFEST, "the seed numbers have run out (seed999 is the last).",
                        fix="seed identifiers have three digits: see usrubook/pipeline/schema.py.")
    name = seed_file_name(number, digest)
    dest = seeds / name
    if dest.exists() and dest != src.resolve():
        raise DataError(f"seeds/{name}", "the file is already there, but no row of the manifest names it.",
                        fix=f"remove seeds/{name} and run make add-seed again.")
    row = {"source_id": f"seed{number:03d}", "file": name, "title": title.strip(), "genre": genre.strip(),
           "stated_date": "", "estimated_date": "", "date_confidence": NOT_YET_DATED, "date_evidence": "",
           "date_reasoning": "", "sha256": digest, "words": str(words)}
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\n").writerow([row[n] for n in SOURCES.names])
    new_manifest = manifest + ("" if manifest.endswith("\n") else "\n") + buf.getvalue()
    return {"row": row, "data": data, "text": text, "dest": dest, "move": inside, "src": src,
            "manifest": new_manifest, "line": new_manifest.count("\n")}


def candidate_facts(root: Path, source_id: str, text: str) -> list[dict]:
    """The candidate facts of a seed that no row covers yet, found by the rules of ``make coverage``."""
    from usrubook.pipeline import evidence

    actors = read_table(root / CURATED["actors"].path, CURATED["actors"], CURATED["actors"].path)
    places = read_table(root / CURATED["places"].path, CURATED["places"], CURATED["places"].path)
    seed = SeedText(source_id, text)
    mentions = {source_id: evidence.find_mentions(seed, evidence.gazetteer(actors, places), [])}
    return evidence.coverage({source_id: seed}, {}, mentions, {}, {})


def write(root: Path, p: dict) -> None:
    """Put the seed in place, then the manifest row; if the manifest cannot be written, take the seed back."""
    dest = p["dest"]
    if p["move"]:
        os.replace(p["src"], dest)
    else:
        tmp = dest.with_name(f".{dest.name}.tmp")
        tmp.write_bytes(p["data"])
        os.replace(tmp, dest)
    try:
        write_if_changed(root / MANIFEST, p["manifest"])
    except BaseException:
        if p["move"]:
            os.replace(dest, p["src"])
        else:
            dest.unlink(missing_ok=True)
        raise


def next_steps(p: dict, checklist_path: str, facts: int) -> str:
    row, line = p["row"], p["line"]
    sid = row["source_id"]
    missing = {"title": "title (as the page prints it)", "genre": "genre (the kind of page, e.g. 'blog post')"}
    missing = [text for name, text in missing.items() if not row[name]]
    steps = []
    if missing:
        steps.append(f"In {MANIFEST}, line {line}, fill in {' and '.join(missing)}: make data refuses the row "
                     "until then.")
    steps += [
        f"Date the seed when you can: on line {line} of {MANIFEST}, write estimated_date (YYYY, YYYY-MM or "
        "YYYY-MM-DD), date_confidence (high, medium or low), date_evidence (a passage copied verbatim from the "
        "seed) and date_reasoning, and stated_date if the page prints a date. Until then date_confidence stays "
        f"'{NOT_YET_DATED}': the book builds, says so, and leaves the seed out of every comparison of dates.",
        f"Code rows in data/curated/*.csv with source_id {sid}, each with a verbatim quote: the checklist "
        f"({checklist_path}) lists the seed's {facts} candidate fact{'' if facts == 1 else 's'} by paragraph.",
        f"make data, then make coverage SEED={sid} to see what is still to code; make html builds the book.",
        f"When the seed is dated and coded: describe it in evidence/sources.md (\"Each seed\"), add its entry "
        "to references.bib where the book cites it, and update the number of seeds in README.md "
        "(tests/test_seeds.py checks it).",
    ]
    return "Next steps (README.md, \"Adding a seed\"):\n" + "\n".join(
        f"  {i}. {s}" for i, s in enumerate(steps, 1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make add-seed", description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", default="", help="the article's text file (UTF-8)")
    parser.add_argument("--title", default="", help="the title as the page prints it")
    parser.add_argument("--genre", default="", help="the kind of page, e.g. 'blog post'")
    args = parser.parse_args(argv)
    if not args.file:
        print("make add-seed: give the article's file: make add-seed FILE=path/to/article.txt", file=sys.stderr)
        return 2
    from usrubook.pipeline.coverage import checklist

    root = book_root()
    try:
        p = plan(root, Path(args.file).expanduser(), args.file, args.title, args.genre)
        facts = candidate_facts(root, p["row"]["source_id"], p["text"])
    except DataError as exc:
        print(f"make add-seed: the seed was not added, nothing was written.\n{exc}", file=sys.stderr)
        return 1
    write(root, p)
    sid, rel = p["row"]["source_id"], f"seeds/{p['row']['file']}"
    seed = SeedText(sid, p["text"])
    listing = checklist(seed, facts, rel)
    checklist_path = f"{CHECKLIST_DIR}/{sid}.md"
    write_if_changed(root / checklist_path, listing)
    print(f"make add-seed: added {sid}: {rel} ({p['row']['words']} words, "
          f"{'moved' if p['move'] else 'copied byte for byte'}) and line {p['line']} of {MANIFEST}.\n")
    print(next_steps(p, checklist_path, len(facts)) + "\n")
    print(listing, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
