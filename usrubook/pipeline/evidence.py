"""Computed evidence tables: content spans, the gazetteer and mentions, claim status, and coverage.

All functions are pure: they take located rows (with ``source_id``, ``start``
and ``end``) and seed texts, and return rows for the derived tables.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict

from usrubook.pipeline.provenance import SeedText

# -- content: the seed minus its noise spans -------------------------------------------------------


def noise_spans(noise_rows: list[dict]) -> dict[str, list[tuple[int, int]]]:
    spans = defaultdict(list)
    for r in noise_rows:
        spans[r["source_id"]].append((r["start"], r["end"]))
    return {k: sorted(v) for k, v in spans.items()}


def overlaps(start: int, end: int, spans) -> bool:
    return any(start < e and s < end for s, e in spans)


def content_words(seed: SeedText, noise: list[tuple[int, int]]) -> int:
    return sum(1 for m in re.finditer(r"\S+", seed.text) if not overlaps(m.start(), m.end(), noise))


# -- gazetteer ----------------------------------------------------------------------------------


def gazetteer(actors: list[dict], places: list[dict]) -> list[tuple[str, str, re.Pattern]]:
    """(entity id, kind, pattern) for every alias; an alias matches as a whole word, case-sensitive."""
    out = []
    for kind, rows, key in (("actor", actors, "actor_id"), ("place", places, "place_id")):
        for r in rows:
            for alias in r["aliases"].split("|"):
                alias = alias.strip()
                if alias:
                    out.append((r[key], kind, re.compile(r"(?<!\w)" + re.escape(alias) + r"(?!\w)")))
    return out


def find_mentions(seed: SeedText, gaz, noise) -> list[tuple[str, str, int, int]]:
    """Non-overlapping mentions (entity, kind, start, end) in content; the longest name wins."""
    hits = []
    for entity, kind, pattern in gaz:
        for m in pattern.finditer(seed.text):
            if not overlaps(m.start(), m.end(), noise):
                hits.append((m.start(), -(m.end() - m.start()), entity, kind, m.end()))
    hits.sort()
    out, last_end = [], -1
    for start, _, entity, kind, end in hits:
        if start < last_end:
            continue
        # "Shanghai Cooperation Organization (SCO)" names the entity once, not twice
        if out and out[-1][0] == entity and seed.text[out[-1][3]:start] == " (" and seed.text[end:end + 1] == ")":
            last_end = end
            continue
        out.append((entity, kind, start, end))
        last_end = end
    return out


def mentions_table(mentions: dict[str, list]) -> list[dict]:
    rows = []
    for source_id in sorted(mentions):
        counts = Counter((e, k) for e, k, _, _ in mentions[source_id])
        for (entity, kind), n in sorted(counts.items()):
            rows.append({"source_id": source_id, "entity_id": entity, "entity_kind": kind, "count": n})
    return rows


# -- claims ---------------------------------------------------------------------------------------

ERRONEOUS_KINDS = ("wrong", "garbled", "exaggerated")


def proposition_status(affirming: int, denying: int) -> str:
    if affirming and denying:
        return "contradicted"
    return "corroborated" if affirming >= 2 else "single-source"


def claim_status(claims: list[dict], corrections: list[dict], propositions: list[dict], groups: dict[str, str]):
    """Status of each claim and of each proposition; a claim overlapping a correction of a wrong,
    garbled or exaggerated statement is erroneous, whatever other seeds say.

    Corroboration counts independent sources: seeds in one group of ``groups`` (seed -> group) count once."""
    seeds = defaultdict(lambda: {"affirms": set(), "denies": set()})
    for c in claims:
        seeds[c["proposition_id"]][c["polarity"]].add(c["source_id"])
    bad = defaultdict(list)
    for k in corrections:
        if k["kind"] in ERRONEOUS_KINDS:
            bad[k["source_id"]].append((k["start"], k["end"]))

    def counts(pid):
        s = seeds[pid]
        independent = len({groups[x] for x in s["affirms"]})
        return {"seeds_affirming": len(s["affirms"]), "independent_affirming": independent,
                "seeds_denying": len(s["denies"]),
                "status": proposition_status(independent, len(s["denies"]))}

    out_claims = []
    for c in claims:
        n = counts(c["proposition_id"])
        status = "erroneous" if overlaps(c["start"], c["end"], bad[c["source_id"]]) else n["status"]
        out_claims.append({**c, **n, "status": status})
    out_props = [{**p, **counts(p["proposition_id"])} for p in propositions]
    return out_claims, out_props


# -- coverage -------------------------------------------------------------------------------------

MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|December|"
          "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec")
CANDIDATES = {
    "year": re.compile(r"(?<![\w$.,])(?:1[6-9]\d\d|20\d\d)(?![\w]|[.,]\d)"),
    "date": re.compile(r"\b(?:" + MONTHS + r"|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"),
    "money": re.compile(r"\$\s?\d[\d,]*(?:\.\d+)?(?:\s(?:billion|million|trillion))?"),
    "percent": re.compile(r"\d+(?:\.\d+)?\s?(?:%|percent\b)"),
}


def coverage(texts: dict[str, SeedText], noise, mentions, observed: dict[str, list[tuple[int, int, str]]],
             excluded: dict[str, list[tuple[int, int, str]]]) -> list[dict]:
    """Every candidate fact with what accounts for it.

    ``observed`` and ``excluded`` map a seed to spans (start, end, "table:row id") of data rows and of
    exclusions. A number is accounted for when its occurrence lies inside such a span; an entity
    (once per seed) when one of its mentions does.
    """
    rows = []

    def account(source_id, start, end):
        for spans, status in ((observed.get(source_id, []), "covered"), (excluded.get(source_id, []), "excluded")):
            for s, e, ref in spans:
                if s <= start and end <= e:
                    return status, ref
        return "gap", None

    for source_id in sorted(texts):
        seed = texts[source_id]
        n = 0
        found = []
        for kind, pattern in CANDIDATES.items():
            for m in pattern.finditer(seed.text):
                if not overlaps(m.start(), m.end(), noise.get(source_id, [])):
                    found.append((m.start(), m.end(), kind, m.group(0)))
        for start, end, kind, text in sorted(found):
            n += 1
            status, ref = account(source_id, start, end)
            rows.append({"candidate_id": f"{source_id}-{n}", "source_id": source_id, "kind": kind, "text": text,
                         "start": start, "paragraph": seed.paragraph_of(start), "status": status,
                         "accounted_by": ref})
        by_entity = defaultdict(list)
        for entity, _, start, end in mentions.get(source_id, []):
            by_entity[entity].append((start, end))
        for entity in sorted(by_entity):
            n += 1
            best = ("gap", None)
            for start, end in by_entity[entity]:
                status, ref = account(source_id, start, end)
                if status == "covered":
                    best = (status, ref)
                    break
                if status == "excluded" and best[0] == "gap":
                    best = (status, ref)
            first = by_entity[entity][0][0]
            rows.append({"candidate_id": f"{source_id}-{n}", "source_id": source_id, "kind": "entity",
                         "text": entity, "start": first, "paragraph": seed.paragraph_of(first),
                         "status": best[0], "accounted_by": best[1]})
    return rows
