"""What happened after the seeds: the referenced context timeline, drawn apart from the seeds' own events.

Used by the History and Current state chapters (one chart, one table of what changed after each seed).
"""
from __future__ import annotations

import altair as alt
import pandas as pd

from usrubook.chapter.charts import frame
from usrubook.chapter.events import DATE_BASIS_LABELS, TONE_COLOURS, TONE_ORDER, context_frame, seed_dates, spread
from usrubook.chapter.verdicts import long_date

SEED_LANE = "Seed events"
CONTEXT_LANE = "Context"
LANES = [SEED_LANE, CONTEXT_LANE]


def timeline_chart(events: pd.DataFrame, context: pd.DataFrame, sources: pd.DataFrame, start: float,
                   end: float, width: int = 470) -> alt.VConcatChart | alt.LayerChart:
    """Seed events (circles, upper band) and context developments (diamonds, lower band) on one time axis from
    ``start`` to ``end`` (decimal years), with a labelled rule at each seed's writing date."""
    seeds_ = seed_dates(sources)
    seeds_ = seeds_[(seeds_["year"] >= start) & (seeds_["year"] <= end)].sort_values("year").reset_index(drop=True)
    seeds_["label_y"] = [11 * (i % 2) for i in range(len(seeds_))]   # alternate rows, so close dates stay legible
    ev = events[(events["year"] >= start) & (events["year"] <= end)].copy()
    ev["lane"] = SEED_LANE
    ev["offset"] = spread(ev["year"], lanes=4, gap=(end - start) / 60).astype(float)
    ev["dated"] = ev["date_basis"].map(DATE_BASIS_LABELS)
    cx = context_frame(context)
    cx = cx[(cx["year"] >= start) & (cx["year"] <= end)].copy()
    cx["lane"] = CONTEXT_LANE
    cx["offset"] = spread(cx["year"], lanes=4, gap=(end - start) / 60).astype(float)
    x = alt.X("year:Q", title=None, scale=alt.Scale(domain=[start, end], nice=False),
              axis=alt.Axis(format="d", tickMinStep=1))
    y = alt.Y("lane:N", title=None, sort=LANES, axis=alt.Axis(labelLimit=260))
    off = alt.YOffset("offset:Q", scale=alt.Scale(domain=[-0.5, 3.5]))
    tone = alt.Color("tone:N", title="Tone", sort=TONE_ORDER, scale=alt.Scale(domain=TONE_ORDER, range=TONE_COLOURS))
    rules = alt.Chart(frame(seeds_, keep=["year", "label", "estimated_date"])).mark_rule(
        strokeDash=[4, 3], color="#555555").encode(
        x=alt.X("year:Q", scale=alt.Scale(domain=[start, end], nice=False)),
        tooltip=[alt.Tooltip("label:N", title="Seed"), alt.Tooltip("estimated_date:N", title="written")])
    labels = [alt.Chart(frame(seeds_[seeds_["label_y"] == row], keep=["year", "label"])).mark_text(
        align="left", baseline="top", dx=2, dy=-2, fontSize=10, color="#555555").encode(
        x=alt.X("year:Q", scale=alt.Scale(domain=[start, end], nice=False)), y=alt.value(row), text="label:N")
        for row in sorted(seeds_["label_y"].unique())]
    seed_points = alt.Chart(frame(ev, keep=["year", "lane", "offset", "date_text", "title", "tone", "dated", "seeds",
                                            "quote", "source", "passage"])).mark_point(
        filled=True, size=60, shape="circle", opacity=0.9).encode(
        x=x, y=y, yOffset=off, color=tone, href="passage:N",
        tooltip=[alt.Tooltip("date_text:N", title="date"), "title:N", "tone:N",
                 alt.Tooltip("dated:N", title="dated by"), "seeds:N", "quote:N", "source:N"])
    context_points = alt.Chart(frame(cx, keep=["year", "lane", "offset", "date", "title", "tone", "category",
                                               "reference_first", "reference_excerpt"])).mark_point(
        filled=True, size=70, shape="diamond", opacity=0.9).encode(
        x=x, y=y, yOffset=off, color=tone,
        tooltip=["date:N", "title:N", "tone:N", "category:N", alt.Tooltip("reference_first:N", title="reference"),
                 alt.Tooltip("reference_excerpt:N", title="excerpt")])
    return alt.layer(rules, *labels, seed_points, context_points).properties(width=width, height=200)


def overtaken(claims: pd.DataFrame, relations: pd.DataFrame, verifications: pd.DataFrame) -> pd.DataFrame:
    """One row per (seed, change) that overtook a seed statement: claims and relations judged outdated, directly
    or through their proposition; columns source_id, changed_on, what_changed."""
    v = verifications.set_index(["subject_table", "subject_id"])
    rows = []
    for c in claims[claims["verdict"] == "outdated"].itertuples():
        key = ("claims", c.claim_id) if c.verdict_basis == "claim" else ("propositions", c.proposition_id)
        rows.append((c.source_id, v.loc[key, "changed_on"], v.loc[key, "what_changed"]))
    for r in relations[relations["verdict"] == "outdated"].itertuples():
        key = ("relations", r.relation_id)
        rows.append((r.source_id, v.loc[key, "changed_on"], v.loc[key, "what_changed"]))
    out = pd.DataFrame(sorted(set(rows)), columns=["source_id", "changed_on", "what_changed"])
    out["when"] = out["changed_on"].map(long_date)
    return out


def after_each_seed(sources: pd.DataFrame, context: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """Per seed: its date, how many context developments followed it before the as-of date, and the changes
    (from :func:`overtaken`) that overtook its statements."""
    rows = []
    for sid, s in sources.iterrows():
        after = context[context["after_seeds"].fillna("").str.split(", ").map(lambda xs, sid=sid: sid in xs)]
        mine = changes[changes["source_id"] == sid]
        rows.append({"source_id": sid, "written": s["estimated_date"], "developments_after": len(after),
                     "outdated": len(mine),
                     "overtaken_by": "; ".join(f"{w}: {t}" for w, t in zip(mine["when"], mine["what_changed"],
                                                                              strict=True))})
    return pd.DataFrame(rows).set_index("source_id")
