"""Judgement against the world, kept apart from corroboration among the seeds.

* :func:`independence_groups`: which seeds count as one source (shared publisher, links, a common upstream text);
* :func:`verifications`: every proposition, relation and stated trade figure has a verdict with its reference;
* :func:`context_events`: developments after the seeds, each with its reference, inside the book's period;
* :func:`check_references`: the bibliography keys, excerpts and dates that external facts rest on.

All checks raise :class:`~usrubook.errors.DataError` naming the file, line and field.
"""
from __future__ import annotations

from collections import defaultdict

from usrubook.errors import DataError
from usrubook.pipeline.schema import AS_OF, CURATED

MAX_EXCERPT_WORDS = 90


def keys_of(text: str | None) -> list[str]:
    return [k.strip() for k in (text or "").split(";") if k.strip()]


def independence_groups(seed_ids: list[str], dependencies: list[dict]) -> dict[str, str]:
    """Seed -> its group, written 'seed002+seed003'. Two seeds are joined when one depends on the other, or when
    both depend on the same upstream text."""
    parent = {s: s for s in seed_ids}

    def find(s):
        while parent[s] != s:
            parent[s] = parent[parent[s]]
            s = parent[s]
        return s

    def join(a, b):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    upstream = defaultdict(list)
    for d in dependencies:
        if d["depends_on"] in parent:
            join(d["source_id"], d["depends_on"])
        else:
            upstream[d["depends_on"]].append(d["source_id"])
    for seeds in upstream.values():
        for s in seeds[1:]:
            join(seeds[0], s)
    members = defaultdict(list)
    for s in seed_ids:
        members[find(s)].append(s)
    return {s: "+".join(sorted(members[find(s)])) for s in seed_ids}


def _reference_fields(shown: str, r: dict, bib: set[str], required: bool, dated: bool = True) -> None:
    """reference, reference_excerpt and accessed go together; keys exist; the excerpt is short. A row without an
    accessed column (``dated=False``) relies on the date its bibliography entry gives."""
    keys = keys_of(r.get("reference"))
    if required and not keys:
        raise DataError(shown, "no reference is given.", line=r["_line"], field="reference",
                        fix="give the bibliography key of the public reference you read (references.bib).")
    missing = [k for k in keys if k not in bib]
    if missing:
        raise DataError(shown, f"'{missing[0]}' is not a key of references.bib.", line=r["_line"], field="reference",
                        fix="add the reference you read to references.bib (with its URL and the date you read it).")
    external = [k for k in keys if not k.startswith("seed")]
    if external and not r.get("reference_excerpt"):
        raise DataError(shown, f"the reference {external[0]} has no excerpt.", line=r["_line"],
                        field="reference_excerpt", fix="copy a short passage of the reference, verbatim, as you read it.")
    if r.get("reference_excerpt"):
        if not external:
            raise DataError(shown, "an excerpt is given but no external reference.", line=r["_line"],
                            field="reference", fix="give the key of the reference the excerpt comes from.")
        words = len(r["reference_excerpt"].split())
        if words > MAX_EXCERPT_WORDS:
            raise DataError(shown, f"the excerpt has {words} words; at most {MAX_EXCERPT_WORDS} are kept.",
                            line=r["_line"], field="reference_excerpt",
                            fix="keep only the sentence or two that support the row.")
        if dated and not r.get("accessed"):
            raise DataError(shown, "the date the reference was read is missing.", line=r["_line"], field="accessed",
                            fix="write the date you read it, e.g. 2026-11-22.")


def check_references(curated: dict[str, list[dict]], bib: set[str]) -> None:
    for name in ("corrections", "source_dependencies"):
        for r in curated[name]:
            _reference_fields(CURATED[name].path, r, bib, required=(name == "corrections"))
    for r in curated["events"]:
        shown = CURATED["events"].path
        if (r["date_basis"] == "reference") != bool(r["date_reference"]):
            raise DataError(shown, "a date_reference goes with date basis 'reference', and only with it.",
                            line=r["_line"], field="date_reference",
                            fix="give the key of the report that dates the event and set date_basis to reference, "
                                "or clear date_reference.")
        if r["date_reference"]:
            _reference_fields(shown, {**r, "reference": r["date_reference"], "reference_excerpt": r["date_excerpt"]},
                              bib, required=True, dated=False)
        elif r["date_excerpt"]:
            raise DataError(shown, "a date_excerpt is given without a date_reference.", line=r["_line"],
                            field="date_excerpt", fix="give the key of the report the excerpt comes from.")


def verifications(rows: list[dict], subjects: dict[str, dict[str, tuple[str, str]]], bib: set[str]) -> list[dict]:
    """Check the curated verifications and return the derived rows.

    ``subjects`` maps a table to {id: (statement, seeds)} for every statement that can be judged. Every
    proposition, relation and stated trade figure must have exactly one verification; a claim may have its own.
    """
    shown = CURATED["verifications"].path
    seen = {}
    out = []
    for r in rows:
        table, sid = r["subject_table"], r["subject_id"]
        if sid not in subjects[table]:
            raise DataError(shown, f"no row of {table} has the id '{sid}'.", line=r["_line"], field="subject_id",
                            fix=f"use an id from data/{table}.csv.")
        if (table, sid) in seen:
            raise DataError(shown, f"{table} '{sid}' already has a verification (line {seen[table, sid]}).",
                            line=r["_line"], field="subject_id", fix="keep one verdict per statement.")
        seen[table, sid] = r["_line"]
        outdated = r["verdict"] == "outdated"
        for fld in ("changed_on", "what_changed"):
            if outdated != bool(r[fld]):
                raise DataError(shown, f"{fld} is {'missing' if outdated else 'given'} for a verdict of "
                                f"'{r['verdict']}'.", line=r["_line"], field=fld,
                                fix="an outdated statement says when it stopped holding and what changed; "
                                    "other verdicts leave both empty.")
        if outdated and r["changed_on"] > AS_OF:
            raise DataError(shown, f"changed_on {r['changed_on']} is after the book's as-of date {AS_OF}.",
                            line=r["_line"], field="changed_on",
                            fix="judge the statement as of the as-of date: it was not yet outdated then.")
        _reference_fields(shown, r, bib, required=r["verdict"] not in ("opinion", "unverifiable"))
        statement, seeds = subjects[table][sid]
        out.append({**{k: v for k, v in r.items() if not k.startswith("_")}, "statement": statement, "seeds": seeds})
    for table in ("propositions", "relations", "trade"):
        for sid in subjects[table]:
            if (table, sid) not in seen:
                raise DataError(shown, f"{table} '{sid}' has no verification.", field="subject_id",
                                fix=f"add a row judging it (subject_table {table}, subject_id {sid}).")
    return out


def context_events(rows: list[dict], bib: set[str], known: dict[str, set[str]], seeds: list[dict],
                   oldest: str) -> list[dict]:
    """Check the context timeline and say, for each development, which seeds were written before it."""
    shown = CURATED["context_events"].path
    out = []
    for r in rows:
        _reference_fields(shown, r, bib, required=True)
        if not (oldest <= r["date"] <= AS_OF):
            raise DataError(shown, f"the date {r['date']} is outside the book's period ({oldest} to {AS_OF}).",
                            line=r["_line"], field="date",
                            fix="the context timeline runs from the oldest seed to the as-of date.")
        for ref in keys_of(r["bears_on"]):
            table, _, rid = ref.partition(":")
            if rid not in known.get(table, ()):
                raise DataError(shown, f"'{ref}' names no row (write table:id, e.g. propositions:all-time-low).",
                                line=r["_line"], field="bears_on",
                                fix="use ids from " + ", ".join(f"data/{t}.csv" for t in sorted(known)) + ".")
        before = [s["source_id"] for s in seeds     # a seed not yet dated is not known to come before anything
                  if s["estimated_date"] and s["estimated_date"] < r["date"][:len(s["estimated_date"])]]
        out.append({**{k: v for k, v in r.items() if not k.startswith("_")}, "after_seeds": ", ".join(before)})
    return sorted(out, key=lambda r: (r["date"], r["context_id"]))


def attach(verified: list[dict], propositions: list[dict], claims: list[dict], relations: list[dict]) -> None:
    """Give each proposition, claim and relation its verdict (in place); a claim takes its own verification if it
    has one, else its proposition's."""
    verdict = {(v["subject_table"], v["subject_id"]): v["verdict"] for v in verified}
    for p in propositions:
        p["verdict"] = verdict["propositions", p["proposition_id"]]
    for c in claims:
        own = verdict.get(("claims", c["claim_id"]))
        c["verdict"], c["verdict_basis"] = ((own, "claim") if own
                                            else (verdict["propositions", c["proposition_id"]], "proposition"))
    for r in relations:
        r["verdict"] = verdict["relations", r["relation_id"]]
