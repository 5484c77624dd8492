"""The bibliography as a reader sees it on the Verification page: how many references of each kind the book
cites (in its chapters, evidence pages and data)."""
from __future__ import annotations

import re

import pandas as pd

from usrubook.paths import book_root
from usrubook.pipeline.references import read_bib
from usrubook.pipeline.schema import CURATED, REFERENCE_KINDS

_CITE = re.compile(r"\{cite(?::\w+)?\}`([^`]+)`")


PLURAL = {
    "official": "Official documents (governments, legislatures, courts, international organisations)",
    "press": "Wire agencies, newspapers of record and public broadcasters",
    "scholarly": "Scholarly and think-tank analyses",
    "reference": "Reference works",
    "state-media": "State-affiliated media, cited only for their own government's words",
    "aggregator": "Aggregators, mirrors and unknown sites",
}


def cited_keys(root=None, evidence_only: bool = True) -> set[str]:
    """Every key cited by a page of the book or by a curated row. With ``evidence_only``, the texts that the
    source dependencies compare (a seed's own page, the upstream text it copies) are left out: they are cited
    as the objects compared, not as evidence for a fact."""
    import csv

    root = root or book_root()
    keys: set[str] = set()
    for page in list(root.glob("*.md")) + list((root / "chapters").glob("*.md")) + list((root / "evidence").glob("*.md")):
        for m in _CITE.finditer(page.read_text(encoding="utf-8")):
            keys.update(k.strip() for k in m.group(1).split(","))
    for t in CURATED.values():
        if evidence_only and t.name == "source_dependencies":
            continue
        with open(root / t.path, encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                for field in ("reference", "date_reference"):
                    keys.update(k.strip() for k in (r.get(field) or "").split(";") if k.strip())
    return keys


def kinds_table(root=None) -> pd.DataFrame:
    bib = read_bib(root or book_root())
    used = [bib[k] for k in cited_keys(root) if k in bib and bib[k].kind]
    counts = pd.Series([e.kind for e in used]).value_counts()
    return pd.DataFrame({"Kind of reference": [PLURAL[k] for k in REFERENCE_KINDS],
                         "Cited": [str(int(counts.get(k, 0))) for k in REFERENCE_KINDS]})
