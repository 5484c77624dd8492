"""Print the coverage report (``make coverage``): the share of candidate facts accounted for, and the gaps.

Reads ``data/coverage.csv`` as derived by ``make data``. Exits 1 if any candidate fact is a gap.
``make coverage SEED=seed005`` reports one seed and prints its gaps as a coding checklist, by paragraph.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter

from usrubook.pipeline.csvio import read_table
from usrubook.paths import book_root
from usrubook.pipeline.provenance import SeedText
from usrubook.pipeline.schema import DERIVED

KINDS = ("year", "date", "money", "percent", "entity")
KIND_WORDS = {"year": "year", "date": "date", "money": "amount", "percent": "percentage", "entity": "actor or place"}


def summary(rows: list[dict]) -> dict:
    status = Counter(r["status"] for r in rows)
    total = len(rows)
    accounted = status["covered"] + status["excluded"]
    return {"total": total, "covered": status["covered"], "excluded": status["excluded"], "gaps": status["gap"],
            "share": 100.0 * accounted / total if total else 100.0}


def checklist(seed: SeedText, gaps: list[dict], file: str) -> str:
    """The gaps of one seed as a Markdown checklist, one item per paragraph, each with the paragraph's opening."""
    by_paragraph: dict[int, list[dict]] = {}
    for r in sorted(gaps, key=lambda r: (r["paragraph"], r["start"])):
        by_paragraph.setdefault(r["paragraph"], []).append(r)
    lines = [f"# Coding checklist: {seed.source_id} ({file})", "",
             f"{len(gaps)} candidate fact{'' if len(gaps) == 1 else 's'} in {len(by_paragraph)} "
             f"paragraph{'' if len(by_paragraph) == 1 else 's'} "
             "not yet accounted for. Tick a fact off when a row of data/curated/*.csv with source_id "
             f"{seed.source_id} quotes the passage that holds it, or when data/curated/exclusions.csv excludes the "
             "passage with a reason; page furniture goes in data/curated/noise.csv. Actors and places are found "
             "through the aliases in data/curated/actors.csv and places.csv: read the text for any they do not "
             "name yet. Paragraph numbers (¶) are those of the Source texts page.", ""]
    for number, facts in by_paragraph.items():
        start = seed.paragraphs[number - 1]
        end = seed.text.find("\n", start)
        text = " ".join(seed.text[start:end if end >= 0 else len(seed.text)].split())
        opening = text if len(text) <= 90 else text[:90].rsplit(" ", 1)[0] + " …"
        found = "; ".join(f"{KIND_WORDS[r['kind']]} {r['text']}" for r in facts)
        lines.append(f"- [ ] ¶{number} “{opening}”: {found}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make coverage", description=__doc__.splitlines()[0])
    parser.add_argument("--seed", help="report only this seed (e.g. seed005), with its gaps as a checklist")
    args = parser.parse_args(argv)
    table = DERIVED["coverage"]
    rows = read_table(book_root() / table.path, table, table.path)
    if args.seed:
        known = sorted({r["source_id"] for r in rows})
        if args.seed not in known:
            print(f"make coverage: no candidate facts for '{args.seed}'. The seeds are: {', '.join(known)}.",
                  file=sys.stderr)
            return 2
        rows = [r for r in rows if r["source_id"] == args.seed]
    s = summary(rows)
    print(f"coverage: {s['share']:.1f} % of {s['total']} candidate facts accounted for "
          f"({s['covered']} covered by data rows, {s['excluded']} excluded with a reason, {s['gaps']} gaps)")
    by = Counter((r["source_id"], r["kind"], r["status"]) for r in rows)
    for source_id in sorted({r["source_id"] for r in rows}):
        parts = []
        for kind in KINDS:
            n = sum(v for (sid, k, _), v in by.items() if sid == source_id and k == kind)
            ok = sum(v for (sid, k, st), v in by.items() if sid == source_id and k == kind and st != "gap")
            if n:
                parts.append(f"{kind} {ok}/{n}")
        print(f"  {source_id}: " + ", ".join(parts))
    excluded = [r for r in rows if r["status"] == "excluded"]
    if excluded and not args.seed:
        print("excluded:")
        for r in excluded:
            print(f"  {r['source_id']} paragraph {r['paragraph']}: {r['kind']} {r['text']!r} ({r['accounted_by']})")
    gaps = [r for r in rows if r["status"] == "gap"]
    if gaps and args.seed:
        from usrubook.pipeline.seeds import load_seeds

        sources, texts = load_seeds(book_root())
        file = next(f"seeds/{r['file']}" for r in sources if r["source_id"] == args.seed)
        print("\n" + checklist(texts[args.seed], gaps, file))
        return 1
    if gaps:
        print("gaps (code a row that quotes the passage, or add an exclusion with its reason):")
        for r in gaps:
            print(f"  {r['source_id']} paragraph {r['paragraph']}: {r['kind']} {r['text']!r}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
