"""Print the coverage report (``make coverage``): the share of candidate facts accounted for, and the gaps.

Reads ``data/coverage.csv`` as derived by ``make data``. Exits 1 if any candidate fact is a gap.
"""
from __future__ import annotations

import sys
from collections import Counter

from usrubook.pipeline.csvio import read_table
from usrubook.paths import book_root
from usrubook.pipeline.schema import DERIVED


def summary(rows: list[dict]) -> dict:
    status = Counter(r["status"] for r in rows)
    total = len(rows)
    accounted = status["covered"] + status["excluded"]
    return {"total": total, "covered": status["covered"], "excluded": status["excluded"], "gaps": status["gap"],
            "share": 100.0 * accounted / total if total else 100.0}


def main() -> int:
    table = DERIVED["coverage"]
    rows = read_table(book_root() / table.path, table, table.path)
    s = summary(rows)
    print(f"coverage: {s['share']:.1f} % of {s['total']} candidate facts accounted for "
          f"({s['covered']} covered by data rows, {s['excluded']} excluded with a reason, {s['gaps']} gaps)")
    by = Counter((r["source_id"], r["kind"], r["status"]) for r in rows)
    for source_id in sorted({r["source_id"] for r in rows}):
        parts = []
        for kind in ("year", "date", "money", "percent", "entity"):
            n = sum(v for (sid, k, _), v in by.items() if sid == source_id and k == kind)
            ok = sum(v for (sid, k, st), v in by.items() if sid == source_id and k == kind and st != "gap")
            if n:
                parts.append(f"{kind} {ok}/{n}")
        print(f"  {source_id}: " + ", ".join(parts))
    excluded = [r for r in rows if r["status"] == "excluded"]
    if excluded:
        print("excluded:")
        for r in excluded:
            print(f"  {r['source_id']} paragraph {r['paragraph']}: {r['kind']} {r['text']!r} ({r['accounted_by']})")
    gaps = [r for r in rows if r["status"] == "gap"]
    if gaps:
        print("gaps (code a row that quotes the passage, or add an exclusion with its reason):")
        for r in gaps:
            print(f"  {r['source_id']} paragraph {r['paragraph']}: {r['kind']} {r['text']!r}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
