"""One judgement per seed statement.

A seed statement is judged in one of two curated tables: ``verifications.csv`` judges a proposition (for every
claim that states it), a claim, a relation or a trade figure; ``corrections.csv`` judges a passage that is coded
nowhere else (an erratum). Both use one vocabulary (``VERDICTS``). :func:`unify` refuses two judgements that
disagree:

* the claims of one proposition share its standing in time (still true, true when written, outdated and since
  when); a claim's own verdict may only say what its wording adds (exaggerated, garbled, wrong, …);
* a statement cannot be outdated by a change that came before its seed was written: it was wrong then;
* two judged passages of one seed that overlap carry the same verdict.

It then returns the derived ``judgements`` table: every judged seed passage once, with its verdict, since when,
the explanation, the references and where the judgement is kept. The errata are the rows whose verdict is one
of ``ERRATA_VERDICTS``.
"""
from __future__ import annotations

from usrubook.errors import DataError
from usrubook.pipeline.schema import AS_OF, CURATED, TIME_VERDICTS

V = CURATED["verifications"].path
# Two different statements in overlapping words may both be true, one of the past and one of the present.
COMPATIBLE = {"still-true", "true-when-written"}
C = CURATED["corrections"].path


def _where(path: str, line: int) -> str:
    return f"{path}, line {line}"


def unify(curated_verifications: list[dict], curated_corrections: list[dict], propositions: list[dict],
          claims: list[dict], relations: list[dict], trade: list[dict], corrections: list[dict],
          sources: list[dict]) -> list[dict]:
    for r in curated_corrections:
        outdated = r["kind"] == "outdated"
        if outdated != bool(r["changed_on"]):
            raise DataError(C, f"changed_on is {'missing' if outdated else 'given'} for a passage judged "
                            f"'{r['kind']}'.", line=r["_line"], field="changed_on",
                            fix="an outdated passage says when it stopped holding; other verdicts leave it empty.")
        if outdated and r["changed_on"] > AS_OF:
            raise DataError(C, f"changed_on {r['changed_on']} is after the book's as-of date {AS_OF}.",
                            line=r["_line"], field="changed_on",
                            fix="judge the passage as of the as-of date: it was not yet outdated then.")
    problems: list[DataError] = []
    ver = {(r["subject_table"], r["subject_id"]): r for r in curated_verifications}
    cor_line = {r["correction_id"]: r["_line"] for r in curated_corrections}
    written = {s["source_id"]: s["estimated_date"] for s in sources if s["estimated_date"]}
    prop = {p["proposition_id"]: ver["propositions", p["proposition_id"]] for p in propositions}

    # 1. the claims of one proposition share its standing in time
    by_prop: dict[str, list[tuple[dict, dict]]] = {}
    for c in claims:
        own = ver.get(("claims", c["claim_id"]))
        if own and own["verdict"] in TIME_VERDICTS:
            by_prop.setdefault(c["proposition_id"], []).append((c, own))
    for pid, owned in by_prop.items():
        p = prop[pid]
        standing = [(p, f"the proposition '{pid}'")] if p["verdict"] in TIME_VERDICTS else []
        standing += [(own, f"the claim '{c['claim_id']}'") for c, own in owned]
        first, first_name = standing[0]
        for other, name in standing[1:]:
            if (other["verdict"], other["changed_on"]) != (first["verdict"], first["changed_on"]):
                def said(r):
                    return r["verdict"] + (f" since {r['changed_on']}" if r["changed_on"] else "")
                problems.append(DataError(V, f"{name} is judged {said(other)}, but {first_name} is judged {said(first)} "
                                f"({_where(V, first['_line'])}): one statement has one standing in time.",
                                line=other["_line"], field="verdict",
                                fix="give both the same verdict (and date), or judge the claim only for what its "
                                    "wording adds (exaggerated, garbled, wrong, unsupported, contested)."))

    # 2. nothing is outdated by a change that came before it was written
    def check_outdated(j, claim_id, source_id, inherited):
        if j["verdict"] != "outdated" or source_id not in written:
            return
        when = written[source_id]
        if j["changed_on"][:len(when)] < when:
            problems.append(DataError(V, f"{'its proposition makes ' if inherited else ''}the claim '{claim_id}' outdated "
                            f"since {j['changed_on']}, but {source_id} was written after that ({when}).",
                            line=j["_line"], field="changed_on",
                            fix=f"judge the claim on its own (subject claims:{claim_id}) as wrong: it no longer "
                                "held when it was written."))
    for c in claims:
        own = ver.get(("claims", c["claim_id"]))
        check_outdated(own or prop[c["proposition_id"]], c["claim_id"], c["source_id"], own is None)

    # 3. overlapping passages of one seed carry one verdict
    passages = []
    for c in claims:
        own = ver.get(("claims", c["claim_id"]))
        j = own or prop[c["proposition_id"]]
        passages.append(dict(row=c, table="claims", id=c["claim_id"], judgement=j, basis="claim" if own else
                             "proposition", where=_where(V, j["_line"])))
    for table, rows, key in (("relations", relations, "relation_id"), ("trade", trade, "figure_id")):
        for r in rows:
            j = ver[table, r[key]]
            passages.append(dict(row=r, table=table, id=r[key], judgement=j, basis=table[:-1] if table != "trade"
                                 else "figure", where=_where(V, j["_line"])))
    for k in corrections:
        line = cor_line[k["correction_id"]]
        j = {"verdict": k["kind"], "changed_on": k.get("changed_on"), "what_changed": None,
             "note": k["correction"], "reference": k["reference"], "reference_excerpt": k["reference_excerpt"],
             "accessed": k["accessed"], "_line": line}
        passages.append(dict(row=k, table="corrections", id=k["correction_id"], judgement=j, basis="correction",
                             where=_where(C, line)))
    by_seed: dict[str, list[dict]] = {}
    for p in passages:
        by_seed.setdefault(p["row"]["source_id"], []).append(p)
    # A claim that only inherits its proposition's verdict takes the verdict of a correction of its own passage:
    # the correction judges that passage.
    for ps in by_seed.values():
        fixes = [p for p in ps if p["table"] == "corrections"]
        for p in ps:
            if p["basis"] != "proposition":
                continue
            over = [k for k in fixes if k["row"]["start"] < p["row"]["end"] and p["row"]["start"] < k["row"]["end"]]
            if over:
                k = min(over, key=lambda k: (k["row"]["start"], k["id"]))
                p.update(judgement=k["judgement"], basis="correction", where=k["where"], via=k["id"])
    for seed, ps in by_seed.items():
        ps.sort(key=lambda p: (p["row"]["start"], p["row"]["end"]))
        for i, a in enumerate(ps):
            for b in ps[i + 1:]:
                if b["row"]["start"] >= a["row"]["end"]:
                    break
                va, vb = a["judgement"]["verdict"], b["judgement"]["verdict"]
                if va != vb and not {va, vb} <= COMPATIBLE:
                    def name(p):
                        how = " (through its proposition)" if p["basis"] == "proposition" else ""
                        return f"{p['table']} '{p['id']}'{how}, judged {p['judgement']['verdict']} ({p['where']})"
                    path, line = (C, a["judgement"]["_line"]) if a["where"].startswith(C) else \
                        (V, a["judgement"]["_line"])
                    problems.append(DataError(path, f"two judgements of overlapping passages of {seed} disagree: "
                                    f"{name(a)} and {name(b)}.", line=line, field="verdict",
                                    fix="one statement gets one judgement: give both the verdict the evidence "
                                        "supports, or narrow one quote so that the passages no longer overlap."))

    if problems:
        first = problems[0]
        if len(problems) > 1:
            first.problem += (f" ({len(problems) - 1} more disagreement{'s' if len(problems) > 2 else ''} after "
                              "this one: make data reports them one at a time.)")
        first.others = problems[1:]
        raise first

    out = []
    for p in passages:
        r, j = p["row"], p["judgement"]
        explanation = j.get("note")
        out.append({
            "judgement_id": f"{p['table']}-{p['id']}", "subject": f"{p['table']}:{p['id']}",
            "verdict": j["verdict"], "changed_on": j.get("changed_on"), "what_changed": j.get("what_changed"),
            "explanation": explanation, "reference": j.get("reference"),
            "reference_excerpt": j.get("reference_excerpt"), "accessed": j.get("accessed"),
            "kept_in": (f"corrections ({p.get('via', p['id'])})" if p["basis"] == "correction" else
                        f"verifications (proposition {r['proposition_id']})" if p["basis"] == "proposition" else
                        f"verifications ({p['table']} {p['id']})"),
            "source_id": r["source_id"], "quote": r["quote"], "start": r["start"], "end": r["end"],
            "paragraph": r["paragraph"], "anchor": r["anchor"],
        })
    return sorted(out, key=lambda r: (r["source_id"], r["start"], r["end"], r["judgement_id"]))
