"""Judgement against the world, kept apart from corroboration among the seeds.

* :func:`independence_groups`: which seeds count as one source (shared publisher, links, a common upstream text);
* :func:`verifications`: every proposition, relation and stated trade figure has a verdict with its reference;
* :func:`subject_tables`: the facts the chapters teach beyond the seeds (chronology, treaties, measures, …);
* :func:`check_references`: the bibliography keys, excerpts and dates that external facts rest on.

All checks raise :class:`~usrubook.errors.DataError` naming the file, line and field.
"""
from __future__ import annotations

from collections import defaultdict

from usrubook.errors import DataError
from usrubook.pipeline import references
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


def _reference_fields(shown: str, r: dict, bib: dict, required: bool, dated: bool = True,
                      compared: str | None = None) -> None:
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
    # A dependency between texts (source_dependencies) cites the texts themselves, the seed pages and the upstream
    # texts they copy or link, as the primary evidence of what those pages say, not as evidence for a fact about
    # the world; the kind rules are for facts.
    if not compared:
        references.check_row(shown, r, keys, bib)
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
            _reference_fields(CURATED[name].path, r, bib, required=(name == "corrections"),
                              compared=r.get("depends_on") if name == "source_dependencies" else None)
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


def subject_tables(curated: dict[str, list[dict]], bib: dict, events: set[str]) -> dict[str, list[dict]]:
    """The facts the chapters teach beyond the seeds: every row rests on a public reference read (with its excerpt
    and the date read); chronology rows name known actors and, when a seed mentions the event, that seed event."""
    from usrubook.pipeline.schema import CHRONOLOGY_ACTORS, SUBJECT_TABLES_OF_BOOK

    out = {}
    for name in SUBJECT_TABLES_OF_BOOK:
        shown = CURATED[name].path
        for r in curated[name]:
            _reference_fields(shown, r, bib, required=True)
        out[name] = [{k: v for k, v in r.items() if not k.startswith("_")} for r in curated[name]]
    for r in curated["chronology"]:
        shown = CURATED["chronology"].path
        unknown = [a for a in (x.strip() for x in r["actors"].split(";")) if a not in CHRONOLOGY_ACTORS]
        if unknown:
            raise DataError(shown, f"'{unknown[0]}' is not one of the actors.", line=r["_line"], field="actors",
                            fix="use " + ", ".join(CHRONOLOGY_ACTORS) + ", separated by ';'.")
        if r["seed_event"] and r["seed_event"] not in events:
            raise DataError(shown, f"no row of data/curated/events.csv has the event_id '{r['seed_event']}'.",
                            line=r["_line"], field="seed_event", fix="use an event_id of data/events.csv, or leave "
                            "it empty when no seed mentions the event.")
    for r in curated["trade_series"]:
        want = f"{r['series'].replace('_', '-')}-{r['year']}"
        if r["series_id"] != want:
            raise DataError(CURATED["trade_series"].path, f"the series_id should be '{want}'.", line=r["_line"],
                            field="series_id", fix=f"write {want} (the series and the year).")
    out["chronology"].sort(key=lambda r: (r["date"], r["event_id"]))
    out["treaties"].sort(key=lambda r: (r["treaty_id"], r["date"], r["milestone_id"]))
    out["measures"].sort(key=lambda r: (r["date"], r["measure_id"]))
    out["trade_series"].sort(key=lambda r: (r["series"], r["year"]))
    return out


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
