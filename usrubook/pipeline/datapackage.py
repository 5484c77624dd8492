"""Write ``data/datapackage.json`` (Frictionless Data Package) from :mod:`usrubook.pipeline.schema`."""
from __future__ import annotations

import json

from usrubook.pipeline.schema import CURATED, DERIVED, Table

LICENSE = {"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
           "title": "Creative Commons Attribution 4.0"}


def _field(f) -> dict:
    # Table Schema's "date" type takes only full dates; partial ISO dates are strings with a pattern.
    out = {"name": f.name, "type": "string" if f.type == "date" else f.type, "description": f.description}
    if f.unit:
        out["unit"] = f.unit
    constraints = {}
    if f.required:
        constraints["required"] = True
    if f.enum:
        constraints["enum"] = list(f.enum)
    if f.pattern:
        constraints["pattern"] = f.pattern
    if isinstance(f.maximum, str):
        # A partial ISO date is a string to Table Schema, which has no maximum for strings: the latest date
        # allowed is written into the pattern instead.
        constraints["pattern"] = not_after_pattern(f.maximum)
    if f.minimum is not None:
        constraints["minimum"] = int(f.minimum) if f.type == "integer" else f.minimum
    if isinstance(f.maximum, (int, float)):
        constraints["maximum"] = int(f.maximum) if f.type == "integer" else f.maximum
    if f.max_length is not None:
        constraints["maxLength"] = f.max_length
    if constraints:
        out["constraints"] = constraints
    if f.type == "boolean":
        out["trueValues"], out["falseValues"] = ["true"], ["false"]
    return out


def _smaller(digits: str) -> list[str]:
    """Regular expressions that together match the strings of len(digits) digits less than ``digits``."""
    out = []
    for i, d in enumerate(digits):
        if d != "0":
            low = "0" if d == "1" else f"[0-{int(d) - 1}]"
            rest = len(digits) - i - 1
            out.append(digits[:i] + low + (rf"\d{{{rest}}}" if rest else ""))
    return out


def _below(digits: str) -> str:
    return "(?:" + "|".join(_smaller(digits) or ["(?!)"]) + ")"


def _at_most(digits: str) -> str:
    return "(?:" + "|".join([digits, *_smaller(digits)]) + ")"


def not_after_pattern(latest: str) -> str:
    """A pattern for ISO 8601 dates (YYYY, YYYY-MM, YYYY-MM-DD) not after ``latest`` (YYYY-MM-DD); a partial
    date counts as its first day."""
    year, month, day = latest.split("-")
    earlier_year = rf"{_below(year)}(?:-\d{{2}}(?:-\d{{2}})?)?"
    earlier_month = rf"{year}-{_below(month)}(?:-\d{{2}})?"
    same_month = rf"{year}-{month}(?:-{_at_most(day)})?"
    return rf"^(?:{earlier_year}|{year}|{earlier_month}|{same_month})$"


def _resource(table: Table, name: str) -> dict:
    schema = {"fields": [_field(f) for f in table.fields], "primaryKey": list(table.primary_key),
              "missingValues": [""]}
    if table.foreign_keys:
        schema["foreignKeys"] = [{"fields": fld, "reference": {"resource": ref, "fields": ref_fld}}
                                 for fld, ref, ref_fld in table.foreign_keys]
    return {"name": name, "path": "../" + table.path if not table.path.startswith("data/")
            else table.path[len("data/"):], "title": table.title, "description": table.description,
            "format": "csv", "mediatype": "text/csv", "encoding": "utf-8", "schema": schema}


_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _seeds_phrase(seeds: list[dict]) -> str:
    """'five web articles on US–Russia relations (2023–2026)', from the manifest; a seed not yet dated is counted
    but gives no year."""
    def number(n):
        return _WORDS[n] if n < len(_WORDS) else f"{n:,d}"

    years = sorted(s["estimated_date"][:4] for s in seeds if s["estimated_date"])
    span = (years[0] if years[0] == years[-1] else f"{years[0]}–{years[-1]}") if years else ""
    undated = len(seeds) - len(years)
    if undated:
        span += ("; " if span else "") + f"{number(undated)} not yet dated"
    return (f"{number(len(seeds))} web article{'' if len(seeds) == 1 else 's'} on US–Russia relations"
            + (f" ({span})" if span else ""))


def render(seeds: list[dict]) -> str:
    """The descriptor; ``seeds`` are the rows of the seed manifest, as derive has read them."""
    resources = [_resource(t, t.name) for t in DERIVED.values()]
    for t in CURATED.values():
        r = _resource(t, f"{t.name}_curated")
        r["schema"].pop("foreignKeys", None)
        resources.append(r)
    package = {
        "name": "us-russia-relations-book",
        "title": "US–Russia Relations: an executable research book — data",
        "description": (f"Tidy tables coded from {_seeds_phrase(seeds)}. "
                        "Every row carries its seed and a verbatim quote located by character offsets."),
        "licenses": [LICENSE],
        "sources": [{"title": s["title"], "path": f"../seeds/{s['file']}", "description": s["source_id"]}
                    for s in seeds],
        "resources": resources,
    }
    return json.dumps(package, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
