"""Citation labels a reader can decode: "[Seed 003]" for a seed (the number the Source texts page gives it) and
"[Reuters 2022]" for a public reference (its author, often an outlet or agency, and the year it was published),
with a, b, … when one author has several references of one year.

Registered as the pybtex style ``usrubook`` (``bibtex_default_style`` in ``_config.yml``): the ``plain``
formatting style with these labels, sorted by label.
"""
from __future__ import annotations

import re
from collections import Counter

from pybtex.plugin import register_plugin
from pybtex.style.formatting.plain import Style as Plain
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting import BaseSortingStyle

_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")


def _author(entry) -> str:
    persons = entry.persons.get("author") or []
    if persons:
        p = persons[0]
        name = " ".join(p.last_names) if p.last_names else str(p)
        name = name.replace("{", "").replace("}", "").strip()
        return name + (" et al." if len(persons) > 2 else " and " + " ".join(persons[1].last_names).strip("{}")
                       if len(persons) == 2 else "")
    return ""


def _year(entry) -> str:
    for field in ("year", "date", "howpublished"):
        m = _YEAR.search(str(entry.fields.get(field, "")))
        if m:
            return m.group(1)
    m = _YEAR.search(entry.key)
    return m.group(1) if m else "n.d."


def base_label(entry) -> str:
    if entry.key.startswith("seed") and "url" not in entry.fields:
        return str(entry.fields.get("key", entry.key))          # "Seed 003"
    return f"{_author(entry) or entry.fields.get('title', entry.key)} {_year(entry)}"


class Labels(BaseLabelStyle):
    def format_labels(self, sorted_entries):
        entries = list(sorted_entries)
        bases = [base_label(e) for e in entries]
        total = Counter(bases)
        seen: Counter = Counter()
        for b in bases:
            if total[b] > 1:
                seen[b] += 1
                yield b + "abcdefghijklmnopqrstuvwxyz"[seen[b] - 1] if seen[b] <= 26 else f"{b}-{seen[b]}"
            else:
                yield b


class Sorting(BaseSortingStyle):
    """Seeds first, then by label (author and year), then by key."""

    def sorting_key(self, entry):
        seed = entry.key.startswith("seed") and "url" not in entry.fields
        return (0 if seed else 1, base_label(entry).lower(), entry.key)

    def sort(self, entries):
        return sorted(entries, key=self.sorting_key)


class Style(Plain):
    default_label_style = Labels
    default_sorting_style = Sorting


def register() -> None:
    for group, name, cls in (("pybtex.style.labels", "usrubook", Labels),
                             ("pybtex.style.sorting", "usrubook", Sorting),
                             ("pybtex.style.formatting", "usrubook", Style)):
        try:
            register_plugin(group, name, cls)
        except Exception:       # already registered (a second Sphinx application in one process)
            pass
