"""The chapters' account of the relationship: the seeds as evidence inside it, and the charts of the subject tables.

* :func:`sources_box` glues a "How the sources tell it" box: for each seed statement named, the seed (number,
  kind of page, date), its words verbatim with a link to the passage, and the book's one judgement of it
  (``data/judgements.csv``) with its references.
* :func:`chronology_chart`, :func:`treaty_chart` and :func:`trade_series_chart` draw the subject tables
  (``chronology``, ``treaties``, ``trade_series``) with tooltips and data views labelled in words.
"""
from __future__ import annotations

import altair as alt
import pandas as pd

from usrubook.chapter.charts import frame
from usrubook.chapter.data import load
from usrubook.chapter.prose import glue_markdown
from usrubook.chapter.verdicts import long_date
from usrubook.pipeline.schema import AS_OF

VERDICT_PHRASES = {
    "still-true": "still true on " + long_date(AS_OF),
    "true-when-written": "true when written",
    "exaggerated": "exaggerated",
    "garbled": "garbled",
    "wrong": "wrong",
    "unsupported": "unsupported",
    "contested": "contested",
    "opinion": "an opinion",
    "unverifiable": "unverifiable",
}
TABLES = {"claims": "claim_id", "relations": "relation_id", "trade": "figure_id", "corrections": "correction_id",
          "outlook": "statement_id", "events": "event_id"}


def seed_label(source_id: str) -> str:
    """'seed003' -> 'Seed 003'."""
    return "Seed " + source_id.removeprefix("seed")


def seed_dated(source: pd.Series) -> str:
    """How the box dates a seed: 'dated 8 March 2024', 'undated; estimated January 2026'."""
    if isinstance(source.get("stated_date"), str) and source["stated_date"]:
        return f"dated {long_date(source['stated_date'])}"
    if isinstance(source.get("estimated_date"), str) and source["estimated_date"]:
        return f"undated; written about {long_date(source['estimated_date'])}"
    return "not yet dated"


def verdict_term(verdict: str, changed_on) -> str:
    """The verdict for a box, its word linked to the glossary: '{term}`outdated` since 1 January 2024'."""
    word = verdict.replace("-", " ")
    linked = f"{{term}}`{word}`"
    if verdict == "outdated" and isinstance(changed_on, str) and changed_on:
        return f"{linked} since {long_date(changed_on)}"
    if verdict == "still-true":
        return f"{linked} on {long_date(AS_OF)}"
    if verdict == "opinion":
        return f"an {linked}"
    return linked


def verdict_phrase(verdict: str, changed_on) -> str:
    if verdict == "outdated":
        return f"outdated since {long_date(changed_on)}" if isinstance(changed_on, str) and changed_on else "outdated"
    return VERDICT_PHRASES[verdict]


def _cites(keys) -> str:
    keys = [k.strip() for k in (keys or "").split(";") if k.strip()] if isinstance(keys, str) else []
    return f" {{cite}}`{','.join(keys)}`" if keys else ""


def _sentence(text) -> str:
    text = (text or "").strip() if isinstance(text, str) else ""
    return text if not text or text[-1] in ".!?" else text + "."


def _quote(text: str) -> str:
    return " ".join(text.split()).replace("*", "\\*").replace("`", "\\`")


def statement(ref: str, tables: dict | None = None) -> dict:
    """One seed statement, ``table:id``, with its passage and its judgement (if it has one)."""
    table, _, rid = ref.partition(":")
    if table not in TABLES:
        raise KeyError(f"{ref}: a sources box names rows of " + ", ".join(TABLES) + " as 'table:id'")
    tables = tables if tables is not None else {}
    if table not in tables:
        tables[table] = load(table if table != "events" else "event_sources")
    rows = tables[table]
    key = TABLES[table]
    found = rows[rows[key] == rid]
    if found.empty:
        raise KeyError(f"{ref}: no row of data/{table if table != 'events' else 'event_sources'}.csv has {key} '{rid}'")
    row = found.iloc[0]
    if "judgements" not in tables:
        tables["judgements"] = load("judgements").set_index("subject")
    j = tables["judgements"]
    judged = j.loc[ref] if ref in j.index else None
    return {"source_id": row["source_id"], "quote": row["quote"], "anchor": row["anchor"],
            "paragraph": int(row["paragraph"]), "judgement": judged}


def box_markdown(refs: list[str], title: str = "How the sources tell it", intro: str | None = None) -> str:
    """MyST for one box."""
    tables: dict = {}
    sources = load("sources").set_index("source_id")
    parts = []
    if intro:
        parts.append(intro)
    for ref in refs:
        s = statement(ref, tables)
        src = sources.loc[s["source_id"]]
        head = (f"**{seed_label(s['source_id'])}** ({src['genre']}, {seed_dated(src)}), "
                f"{{ref}}`¶{s['paragraph']} <{s['anchor']}>`:")
        said = f"> “{_quote(s['quote'])}”"
        j = s["judgement"]
        if j is None:
            parts.append(f"{head}\n\n{said}")
            continue
        verdict = verdict_term(j["verdict"], j["changed_on"])
        why = _sentence(j["explanation"])
        if j["verdict"] == "outdated" and isinstance(j["what_changed"], str) and j["what_changed"] not in why:
            why = (why + " " + _sentence(j["what_changed"])).strip()
        judged = f"**{{term}}`Judgement <judgement>`:** {verdict}." + (f" {why}" if why else "") + _cites(j["reference"])
        parts.append(f"{head}\n\n{said}\n\n{judged}")
    body = "\n\n".join(parts)
    return f":::{{admonition}} {title}\n:class: sources-box\n\n{body}\n:::\n"


def sources_box(name: str, refs: list[str], title: str = "How the sources tell it", intro: str | None = None) -> None:
    """Glue a sources box under ``name`` for a ``{glue:md}`` directive with ``:format: myst``."""
    glue_markdown(name, box_markdown(refs, title, intro))


# -- charts of the subject tables ---------------------------------------------------------------------------

CATEGORY_LABELS = {
    "arms_control": "Arms control", "nato_europe": "NATO and Europe", "war_and_conflict": "War and conflict",
    "diplomacy": "Diplomacy and summits", "sanctions_trade": "Sanctions and trade",
    "espionage_interference": "Espionage and interference", "energy": "Energy", "prisoners": "Prisoners",
    "asia": "Asia", "domestic_politics": "Domestic politics", "multilateral": "Multilateral bodies",
}
TONE_ORDER = ["cooperative", "mixed", "neutral", "confrontational"]
TONE_COLOURS = ["#009E73", "#E69F00", "#999999", "#D55E00"]


def decimal_year(date: str) -> float:
    parts = [int(p) for p in date.split("-")]
    year, month, day = parts[0], parts[1] if len(parts) > 1 else 7, parts[2] if len(parts) > 2 else 1
    return round(year + (month - 1) / 12 + (day - 1) / 365, 4)


def chronology_frame(chron: pd.DataFrame) -> pd.DataFrame:
    """The chronology with the columns a reader sees, named in words."""
    out = pd.DataFrame({
        "Year": [decimal_year(d) for d in chron["date"]],
        "Date": [long_date(d) for d in chron["date"]],
        "Event": chron["title"],
        "Category": chron["category"].map(CATEGORY_LABELS),
        "Tone": chron["tone"],
        "Told by a seed": chron["seed_event"].fillna("").map(lambda s: "yes" if s else "no"),
        "Reference": chron["reference"].str.split(";").str[0].str.strip(),
    })
    return out


def chronology_chart(chron: pd.DataFrame, start: int, end: float, labels: list[str] = (),
                     width: int = 520) -> alt.LayerChart:
    """Events from ``start`` to ``end`` (years) in one lane per category, coloured by tone; events a seed tells
    are drawn as rings round the dot; the events named in ``labels`` (event ids) carry their title."""
    shown = chron[(chron["date"].str[:4].astype(int) >= start)].copy()
    shown = shown[[decimal_year(d) <= end for d in shown["date"]]]
    f = chronology_frame(shown)
    f["Label"] = [t if e in set(labels) else "" for e, t in zip(shown["event_id"], shown["title"], strict=True)]
    cats = [CATEGORY_LABELS[c] for c in CATEGORY_LABELS if CATEGORY_LABELS[c] in set(f["Category"])]
    x = alt.X("Year:Q", title=None, scale=alt.Scale(domain=[start, end], nice=False),
              axis=alt.Axis(format="d", tickMinStep=1))
    y = alt.Y("Category:N", title=None, sort=cats, axis=alt.Axis(labelLimit=200))
    tip = ["Date:N", "Event:N", "Category:N", "Tone:N", "Told by a seed:N", "Reference:N"]
    data = frame(f, keep=["Year", "Date", "Event", "Category", "Tone", "Told by a seed", "Reference", "Label"])
    base = alt.Chart(data)
    tones = [t for t in TONE_ORDER if t in set(f["Tone"])]
    colours = [c for t, c in zip(TONE_ORDER, TONE_COLOURS, strict=True) if t in tones]
    dots = base.mark_point(filled=True, size=55, opacity=0.85).encode(
        x=x, y=y, tooltip=tip,
        color=alt.Color("Tone:N", sort=tones, scale=alt.Scale(domain=tones, range=colours)))
    rings = base.transform_filter("datum['Told by a seed'] == 'yes'").mark_point(
        size=190, filled=False, strokeWidth=1.5, color="#000000").encode(x=x, y=y, tooltip=tip)
    text = base.transform_filter("datum.Label != ''").mark_text(
        align="left", dx=6, dy=-9, fontSize=10, color="#333333").encode(x=x, y=y, text="Label:N")
    return alt.layer(dots, rings, text).properties(width=width, height=24 * len(cats) + 20)


TREATY_END = ("withdrawn", "expired")


def treaty_frame(treaties: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One bar per treaty from signature to withdrawal, expiry or the as-of date; one point per milestone."""
    spans = []
    for tid, g in treaties.groupby("treaty_id", sort=False):
        g = g.sort_values("date")
        start = g["date"].iloc[0]
        ends = g[g["milestone"].isin(TREATY_END)]
        end = ends["date"].iloc[0] if len(ends) else AS_OF
        spans.append({"Treaty": g["treaty"].iloc[0], "From": decimal_year(start), "To": decimal_year(end),
                      "Began": long_date(start), "Ended": long_date(end) if len(ends) else "in force on "
                      + long_date(AS_OF) if "in_force" in set(g["milestone"]) else "never in force",
                      "first": start})
    spans = pd.DataFrame(spans).sort_values("first").drop(columns="first")
    points = pd.DataFrame({
        "Treaty": treaties["treaty"], "Year": [decimal_year(d) for d in treaties["date"]],
        "Date": [long_date(d) for d in treaties["date"]],
        "Milestone": treaties["milestone"].str.replace("_", " "), "By": treaties["actor"],
        "What it meant": treaties["note"].fillna(""),
    })
    return spans, points


def treaty_chart(treaties: pd.DataFrame, width: int = 520) -> alt.LayerChart:
    spans, points = treaty_frame(treaties)
    order = list(spans["Treaty"])
    y = alt.Y("Treaty:N", title=None, sort=order, axis=alt.Axis(labelLimit=260))
    x = alt.X("From:Q", title=None, axis=alt.Axis(format="d"), scale=alt.Scale(nice=False))
    bars = alt.Chart(frame(spans, keep=list(spans.columns))).mark_bar(height=9, color="#56B4E9").encode(
        x=x, x2="To:Q", y=y, tooltip=["Treaty:N", "Began:N", "Ended:N"])
    marks = alt.Chart(frame(points, keep=list(points.columns))).mark_point(filled=True, size=45).encode(
        x=alt.X("Year:Q"), y=y, shape=alt.Shape("Milestone:N", legend=alt.Legend(title="Milestone", columns=3)),
        color=alt.value("#222222"), tooltip=["Treaty:N", "Date:N", "Milestone:N", "By:N", "What it meant:N"])
    return alt.layer(bars, marks).properties(width=width, height=22 * len(order) + 10)


SERIES_LABELS = {"goods_exports": "Goods exports to Russia", "goods_imports": "Goods imports from Russia",
                 "services_exports": "Services exports to Russia", "services_imports": "Services imports from Russia",
                 "fdi_us_in_russia": "US direct investment in Russia", "fdi_russia_in_us": "Russian direct investment in the US"}


def trade_series_frame(ts: pd.DataFrame, series: list[str]) -> pd.DataFrame:
    shown = ts[ts["series"].isin(series)]
    return pd.DataFrame({"Year": shown["year"].astype(int), "Series": shown["series"].map(SERIES_LABELS),
                         "US$ billion": shown["value_usd_bn"].astype(float), "Agency": shown["agency"],
                         "Published in": shown["table"]})


def trade_series_chart(ts: pd.DataFrame, series: list[str], break_year: int = 2022, width: int = 520) -> alt.LayerChart:
    f = trade_series_frame(ts, series)
    order = [SERIES_LABELS[s] for s in series]
    lines = alt.Chart(frame(f, keep=list(f.columns))).mark_line(point=True).encode(
        x=alt.X("Year:Q", title=None, axis=alt.Axis(format="d", tickMinStep=1), scale=alt.Scale(nice=False)),
        y=alt.Y("US$ billion:Q", title="US$ billion"),
        color=alt.Color("Series:N", title=None, sort=order),
        tooltip=["Series:N", "Year:Q", alt.Tooltip("US$ billion:Q", format=".2f"), "Agency:N", "Published in:N"])
    rule = alt.Chart(pd.DataFrame({"Year": [break_year - 0.5], "Label": [f"Full-scale invasion, {break_year}"]})
                     ).mark_rule(strokeDash=[4, 3], color="#555555").encode(x="Year:Q")
    note = alt.Chart(pd.DataFrame({"Year": [break_year - 0.5], "Label": [f"Invasion, {break_year}"]})).mark_text(
        align="right", baseline="top", dx=-4, y=4, fontSize=10, color="#555555").encode(x="Year:Q", text="Label:N")
    return alt.layer(lines, rule, note).properties(width=width, height=280)


PARTY_LABELS = {"us": "United States", "russia": "Russia", "eu": "European Union", "g7": "G7", "uk": "United Kingdom",
                "india": "India", "china": "China", "other": "Other"}
MEASURE_LABELS = {"sanctions": "Sanctions", "export_controls": "Export controls", "asset_freeze": "Asset freeze",
                  "trade_status": "Trade status", "import_ban": "Import ban", "price_cap": "Price cap",
                  "tariff": "Tariff", "secondary_sanctions": "Secondary sanctions", "expulsion": "Expulsion",
                  "counter_measure": "Counter-measure", "financial": "Financial measure"}


def measures_chart(measures: pd.DataFrame, width: int = 520) -> alt.Chart:
    """Each measure at its date, in one lane per party that imposed it, coloured by kind."""
    f = pd.DataFrame({
        "Year": [decimal_year(d) for d in measures["date"]], "Date": [long_date(d) for d in measures["date"]],
        "Imposed by": measures["imposed_by"].map(PARTY_LABELS), "On": measures["target"].map(PARTY_LABELS),
        "Kind": measures["kind"].map(MEASURE_LABELS), "Measure": measures["title"],
        "Legal basis": measures["legal_basis"].fillna(""),
    })
    lanes = [PARTY_LABELS[p] for p in PARTY_LABELS if PARTY_LABELS[p] in set(f["Imposed by"])]
    return alt.Chart(frame(f, keep=list(f.columns))).mark_point(filled=True, size=70, opacity=0.85).encode(
        x=alt.X("Year:Q", title=None, axis=alt.Axis(format="d", tickMinStep=1), scale=alt.Scale(nice=False)),
        y=alt.Y("Imposed by:N", title=None, sort=lanes),
        color=alt.Color("Kind:N", title="Kind of measure", legend=alt.Legend(columns=3)),
        tooltip=["Date:N", "Imposed by:N", "On:N", "Kind:N", "Measure:N", "Legal basis:N"],
    ).properties(width=width, height=34 * len(lanes) + 10)
