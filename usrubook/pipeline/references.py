"""The bibliography as the data see it: every entry's key, its kind and its outlet, and the rules a row's
references must keep.

* every external entry of ``references.bib`` carries ``kind`` (see :data:`~usrubook.pipeline.schema.REFERENCE_KINDS`);
* a fact rests on a reference of a kind a historian would accept: the row's first reference, the one its excerpt
  comes from, is an official document, a wire, newspaper of record or public broadcaster, a scholarly or
  think-tank analysis, or a reference work;
* state-affiliated media support only their own government's words, and the row says so ("according to TASS");
* aggregators, mirrors and unknown sites are never cited: cite the original instead.

Every failure raises :class:`~usrubook.errors.DataError` with the file, line and field, and a fix.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from usrubook.errors import DataError
from usrubook.pipeline.schema import FACT_KINDS, REFERENCE_KINDS

BIB = "references.bib"
_ENTRY = re.compile(r"^@(\w+)\{([^,\s]+),", re.M)
_FIELD = re.compile(r"^\s*(\w+)\s*=\s*\{(.*)\},?\s*$", re.M)


@dataclass(frozen=True)
class Entry:
    key: str
    kind: str          # "" for the seeds
    outlet: str        # the author field, without braces: "TASS", "Reuters"
    line: int


def read_bib(root: Path) -> dict[str, Entry]:
    """Every entry of references.bib, with its kind; an external entry without a valid kind is an error."""
    text = (root / BIB).read_text(encoding="utf-8")
    starts = [(m.start(), m.group(2)) for m in _ENTRY.finditer(text)] + [(len(text), None)]
    out = {}
    for (start, key), (end, _) in zip(starts, starts[1:]):
        body = text[start:end]
        fields = {m.group(1).lower(): m.group(2) for m in _FIELD.finditer(body)}
        line = text.count("\n", 0, start) + 1
        if key in out:
            raise DataError(BIB, f"the key '{key}' is used twice (first on line {out[key].line}).", line=line,
                            field="key", fix="give each entry its own key, or remove the copy.")
        seed = key.startswith("seed") and "url" not in fields
        kind = fields.get("kind", "").strip()
        if not seed and kind not in REFERENCE_KINDS:
            raise DataError(BIB, f"the entry '{key}' has " + (f"the kind '{kind}', which is not one of ours."
                                                                 if kind else "no kind."), line=line, field="kind",
                            fix="add kind = {…} with one of: " + ", ".join(REFERENCE_KINDS) + ".")
        out[key] = Entry(key, "" if seed else kind, fields.get("author", "").strip("{} "), line)
    return out


def check_row(shown: str, r: dict, keys: list[str], bib: dict[str, Entry], field: str = "reference") -> None:
    """The kind rules for one row whose ``field`` cites ``keys`` (the first is the one its excerpt comes from)."""
    external = [k for k in keys if bib[k].kind]
    for k in external:
        e = bib[k]
        if e.kind == "aggregator":
            raise DataError(shown, f"'{k}' is an aggregator, mirror or unknown site ({BIB}, line {e.line}); such "
                            "pages are not cited.", line=r["_line"], field=field,
                            fix="find the original report or another public reference, read it, and cite that.")
    said = " ".join(str(v) for f, v in r.items() if not f.startswith("_") and isinstance(v, str)
                    and f not in ("reference", "reference_excerpt", "quote"))

    def attributed(e):
        return re.search(r"according to\s+" + re.escape(e.outlet), said, re.I)
    if external and bib[external[0]].kind not in FACT_KINDS and not (
            bib[external[0]].kind == "state-media" and attributed(bib[external[0]])):
        e = bib[external[0]]
        raise DataError(shown, f"the row rests on '{e.key}', which is {REFERENCE_KINDS[e.kind]}; a fact rests on "
                        "an official document, a wire, newspaper of record or public broadcaster, a scholarly or "
                        "think-tank analysis, or a reference work.", line=r["_line"], field=field,
                        fix="put first a reference of one of those kinds (its excerpt in reference_excerpt), or "
                            "find one; a state-affiliated outlet may be the first reference only for its own "
                            "government's words, attributed in the row (\"the Kremlin said, according to TASS\").")
    for k in external:
        e = bib[k]
        if e.kind == "state-media" and not attributed(e):
            raise DataError(shown, f"'{k}' is state-affiliated media ({e.outlet}); it can support only what its "
                            "own government said, and the row must say so.", line=r["_line"], field=field,
                            fix=f"attribute the words in the row's text (\"the Kremlin said, according to "
                                f"{e.outlet}\"), or cite an independent reference instead.")
