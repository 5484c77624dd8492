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


_ORG_WORDS = re.compile(r"\b(of|for|in|the|on|and the|Department|Bureau|Office|Agency|Council|Organization|"
                        r"Organisation|Commission|Institute|Center|Centre|Press|News|Protection|Affairs|Service|"
                        r"Association|Foundation|Corporation|Ministry|Union|Nations|Times|Post|Journal|House|Congress|Project|"
                        r"Institution|Radio|Agence|Encyclopaedia|Quotidiano|Nazionale)\b")


def _is_person(name: str) -> bool:
    words = name.split()
    return (2 <= len(words) <= 4 and "/" not in name and not _ORG_WORDS.search(name)
            and all(w[0].isupper() for w in words))


def _author(entry) -> str:
    """The label's author: a person's last name ('Vandiver'), two ('Charap and Priebe'), the first of several
    ('Kofman et al.'), or an organisation's own name without its parent body or its reporters ('Office of the
    Historian', not 'Office of the Historian, U.S. Department of State'; 'Reuters', not 'Reuters (Jeff Mason and
    Lesley Wroughton)')."""
    persons = entry.persons.get("author") or []
    if not persons:
        return ""
    names = [str(p).replace("{", "").replace("}", "").replace("\\&", "&").strip() for p in persons]
    if len(names) == 1:
        name = names[0]
        outer = re.match(r"^([^()]+?)\s*\((.+)\)$", name)
        if outer:
            before, inside = outer.group(1).strip(), outer.group(2).strip()
            people = [x.strip() for x in re.split(r",\s*|\s+and\s+", before) if x.strip()]
            # 'Reuters (Jeff Mason …)' names the outlet; 'John Vandiver (Stars and Stripes)' names a person
            name = before if not all(_is_person(x) for x in people) else before
        names = [x.strip() for x in re.split(r",\s*|\s+and\s+", name) if x.strip()]
        initials = re.match(r"^[A-Z][a-z]+(?: [A-Z]\.)+ [A-Z][a-z]+", name)       # 'Amy F. Woolf' is a person
        outlet = not initials and str(entry.fields.get("howpublished", "")).replace("{", "").replace("}", "") \
            .startswith(name)
        if outlet or not all(_is_person(x) or x.endswith("et al.") for x in names):
            first = name.split(",")[0].strip()
            # 'Amy F. Woolf, Congressional Research Service': a person, then the body they write for
            return first.split()[-1] if not outlet and _is_person(first) else first
    last = [n.replace(" et al.", "").split()[-1] for n in names]
    if len(last) == 1:
        return last[0] + (" et al." if names[0].endswith("et al.") else "")
    return f"{last[0]} and {last[1]}" if len(last) == 2 else f"{last[0]} et al."


def _year(entry) -> str:
    """The year of publication: the year field, the year in the key (keys are named outlet + year + topic),
    or the date the entry gives; 'n.d.' when none."""
    dated = re.search(r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
                      r"\s+(1[89]\d\d|20\d\d)", str(entry.fields.get("howpublished", "")))
    m = _YEAR.search(str(entry.fields.get("year", ""))) or _YEAR.search(entry.key) \
        or _YEAR.search(str(entry.fields.get("date", ""))) or dated
    return m.group(1) if m else "n.d."


def base_label(entry) -> str:
    if entry.key.startswith("seed") and "url" not in entry.fields:
        return str(entry.fields.get("key", entry.key))          # "Seed 003"
    return f"{_author(entry) or entry.fields.get('title', entry.key)} {_year(entry)}"


def short_title(entry) -> str:
    """A few words of the title that tell one undated page from another by the same author: 'Milestones in
    the History of U.S. Foreign Relations: The Yalta Conference, 1945' -> 'Yalta Conference'."""
    title = str(entry.fields.get("title", "")).replace("{", "").replace("}", "")
    title = title.split(": ", 1)[1] if ": " in title else title
    title = re.split(r",|\(| – | - ", title)[0].strip()
    title = re.sub(r"^(The|A|An) ", "", title)
    words = title.split()
    return " ".join(words[:5]) + ("…" if len(words) > 5 else "")


class Labels(BaseLabelStyle):
    def format_labels(self, sorted_entries):
        entries = list(sorted_entries)
        bases = [base_label(e) for e in entries]
        undated = Counter(b for b in bases if b.endswith("n.d."))
        bases = [f"{b[:-len(' n.d.')]}, {short_title(e)}" if undated.get(b, 0) > 1 else b
                 for b, e in zip(bases, entries, strict=True)]
        total = Counter(bases)
        seen: Counter = Counter()
        for b in bases:
            if total[b] > 1:
                seen[b] += 1
                letter = "abcdefghijklmnopqrstuvwxyz"[seen[b] - 1] if seen[b] <= 26 else str(seen[b])
                yield f"{b}-{letter}" if b.endswith("n.d.") else b + letter
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
