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
from usrubook.chapter.verdicts import long_date, verdict_phrase  # noqa: F401 (evidence/verification.md imports it from here)
from usrubook.pipeline.schema import AS_OF

TABLES = {"claims": "claim_id", "relations": "relation_id", "trade": "figure_id", "corrections": "correction_id",
          "outlook": "statement_id", "events": "event_id"}


def source_of(keys) -> str:
    """A reference as a reader names it in a tooltip: 'Reuters, 2022' for the first key of '; '-separated keys."""
    import re

    from usrubook.paths import book_root
    from usrubook.pipeline.references import read_bib

    global _BIB
    if "_BIB" not in globals():
        _BIB = read_bib(book_root())
    key = str(keys).split(";")[0].strip()
    entry = _BIB.get(key)
    if entry is None:
        return key
    year = re.search(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)", key)
    return f"{entry.outlet or key}" + (f", {year.group(1)}" if year else "")


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


def iso_day(date: str) -> str:
    """A partial ISO date placed on a time axis: '2023' -> '2023-07-01', '2023-04' -> '2023-04-15'."""
    parts = date.split("-")
    return date if len(parts) == 3 else f"{parts[0]}-{parts[1]}-15" if len(parts) == 2 else f"{parts[0]}-07-01"


def _time_axis(start: float, end: float) -> alt.X:
    """A time axis from ``start`` to ``end`` (years; 2026.09 is early February 2026), ticked in years, or in
    months when the span is short."""
    def day(y: float) -> str:
        year = int(y)
        month = min(12, int(round((y - year) * 12)) + 1)
        return f"{year}-{month:02d}-01"
    short = end - start <= 3
    axis = alt.Axis(format="%b %Y" if short else "%Y", labelOverlap=True, labelFlush=True,
                    tickCount={"interval": "month", "step": 3} if short else {"interval": "year", "step":
                                                                                  max(1, int((end - start) // 8))})
    return alt.X("When:T", title=None, scale=alt.Scale(domain=[day(start), day(end)]), axis=axis)


def chronology_frame(chron: pd.DataFrame) -> pd.DataFrame:
    """The chronology with the columns a reader sees, named in words."""
    out = pd.DataFrame({
        "When": [iso_day(d) for d in chron["date"]],
        "Date": [long_date(d) for d in chron["date"]],
        "Event": chron["title"],
        "Category": chron["category"].map(CATEGORY_LABELS),
        "Tone": chron["tone"],
        "Told by a seed": chron["seed_event"].fillna("").map(lambda s: "yes" if s else "no"),
        "Reference": chron["reference"].map(source_of),
    })
    return out


def chronology_chart(chron: pd.DataFrame, start: int, end: float, labels: dict[str, str] | None = None,
                     width: int = 520) -> alt.LayerChart:
    """Events from ``start`` to ``end`` (years) in one lane per category, coloured by tone. An event that a seed
    also tells is ringed; its ring shows the seed's words and opens the passage. ``labels`` maps event ids to the
    short labels written beside their dots."""
    labels = labels or {}
    shown = chron[(chron["date"].str[:4].astype(int) >= start)].copy()
    shown = shown[[decimal_year(d) <= end for d in shown["date"]]]
    f = chronology_frame(shown)
    f["Label"] = [labels.get(e, "") for e in shown["event_id"]]
    cats = [CATEGORY_LABELS[c] for c in CATEGORY_LABELS if CATEGORY_LABELS[c] in set(f["Category"])]
    x = _time_axis(start, end)
    y = alt.Y("Category:N", title=None, sort=cats, axis=alt.Axis(labelLimit=200))
    tones = [t for t in TONE_ORDER if t in set(f["Tone"])]
    colours = [c for t, c in zip(TONE_ORDER, TONE_COLOURS, strict=True) if t in tones]
    dots = alt.Chart(frame(f, keep=["When", "Date", "Event", "Category", "Tone", "Told by a seed", "Reference"])
                     ).mark_point(filled=True, size=55, opacity=0.85).encode(
        x=x, y=y, color=alt.Color("Tone:N", sort=tones, scale=alt.Scale(domain=tones, range=colours)),
        tooltip=["Date:N", "Event:N", "Category:N", "Tone:N", "Told by a seed:N", "Reference:N"])
    layers = [dots]
    mentions = load("event_sources")
    told = shown[shown["seed_event"].notna()].merge(
        mentions.sort_values(["event_id", "source_id"]).drop_duplicates("event_id"),
        left_on="seed_event", right_on="event_id", suffixes=("", "_seed"))
    if not told.empty:
        rings = pd.DataFrame({
            "When": [iso_day(d) for d in told["date"]], "Date": [long_date(d) for d in told["date"]],
            "Event": told["title"], "Category": told["category"].map(CATEGORY_LABELS),
            # 'quote' and 'source' are the fields the page script shows in a tapped mark's card
            "source": [f"{seed_label(s)}, paragraph {p}" for s, p in zip(told["source_id"], told["paragraph"],
                                                                        strict=True)],
            "quote": [" ".join(q.split()) for q in told["quote"]], "anchor": told["anchor"]})
        layers.append(alt.Chart(frame(rings, keep=["When", "Date", "Event", "Category", "source", "quote",
                                                   "passage"])).mark_point(
            size=190, filled=False, strokeWidth=1.5, color="#000000", cursor="pointer").encode(
            x=x, y=y, href="passage:N",
            tooltip=["Date:N", "Event:N", alt.Tooltip("source:N", title="Told by"),
                     alt.Tooltip("quote:N", title="Words of the seed")]))
    if labels:
        # labels of one row alternate above and below their dots, in order of date, so that neighbours do not collide
        named = f[f["Label"] != ""].sort_values("When").copy()
        named["Below"] = named.groupby("Category").cumcount() % 2 == 1
        # a label reads to the right of its dot, or to its left in the right part of the chart (where it would run
        # past the edge)
        right = "scale('x', datum['When']) > width * 0.6"
        layers.append(alt.Chart(frame(named, keep=["When", "Category", "Label", "Below"])).mark_text(
            align=alt.expr(f"{right} ? 'right' : 'left'"), dx=alt.expr(f"{right} ? -7 : 7"),
            dy=alt.expr("datum['Below'] ? 10 : -9"), fontSize=10, color="#333333").encode(x=x, y=y, text="Label:N"))
    told_n = 0 if told.empty else len(told)
    last = "January 2026" if end > 2026 else str(int(end) - 1)
    description = (f"Dot chart of {len(f)} dated events from {start} to {last}, "
                   f"one row per kind of event ({', '.join(cats)}), each dot coloured by its tone for US–Russia "
                   f"relations ({', '.join(tones)}); " + (
                       "no event of the period is told by a seed." if told_n == 0 else
                       "one event is also told by a seed and is ringed." if told_n == 1 else
                       f"{told_n} of the events are also told by a seed and are ringed."))
    return alt.layer(*layers).properties(width=width, height=24 * len(cats) + 20, description=description)


TREATY_END = ("withdrawn", "expired")
MILESTONE_GROUPS = {
    "signed": "Signed or in force", "ratified": "Signed or in force", "in_force": "Signed or in force",
    "extended": "Extended or offered", "offer": "Extended or offered", "violation_found": "Violated or suspended",
    "suspended": "Violated or suspended", "withdrawal_announced": "Ended", "withdrawn": "Ended",
    "expired": "Ended", "de-ratified": "Ended", "moratorium_ended": "Ended",
}
GROUP_ORDER = ["Signed or in force", "Extended or offered", "Violated or suspended", "Ended"]
# Short names on the chart's axis (the tooltip and the tables give the full name).
TREATY_SHORT = {"abm": "ABM Treaty", "salt1-interim": "SALT I Interim", "salt2": "SALT II", "inf": "INF Treaty",
                "cfe": "CFE Treaty", "start1": "START I", "start-i": "START I", "openskies": "Open Skies",
                "open-skies": "Open Skies", "start2": "START II", "start-ii": "START II", "ctbt": "CTBT",
                "sort": "SORT (Moscow Treaty)", "newstart": "New START", "new-start": "New START"}
GROUP_COLOURS = ["#009E73", "#0072B2", "#E69F00", "#D55E00"]
GROUP_SHAPES = ["circle", "diamond", "triangle-up", "square"]


def treaty_frame(treaties: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One bar per treaty for the years it was in force (entry into force to withdrawal, expiry or the as-of
    date; none for a treaty never in force); one point per milestone, named by the treaty's own name."""
    names, full, spans = {}, {}, []
    for tid, g in treaties.groupby("treaty_id", sort=False):
        g = g.sort_values("date")
        full[tid] = g["treaty"].iloc[0]
        names[tid] = TREATY_SHORT.get(tid, full[tid])
        began = g[g["milestone"] == "in_force"]
        if began.empty:
            continue
        start = began["date"].iloc[0]
        ends = g[g["milestone"].isin(TREATY_END)]
        end = ends["date"].iloc[0] if len(ends) else AS_OF
        spans.append({"Treaty": names[tid], "Full name": full[tid], "From": iso_day(start), "To": iso_day(end),
                      "In force from": long_date(start),
                      "Until": long_date(end) if len(ends) else "still in force on " + long_date(AS_OF)})
    points = pd.DataFrame({
        "Treaty": treaties["treaty_id"].map(names), "Full name": treaties["treaty_id"].map(full),
        "When": [iso_day(d) for d in treaties["date"]],
        "Date": [long_date(d) for d in treaties["date"]],
        "Milestone": treaties["milestone"].str.replace("_", " "),
        "Kind of milestone": treaties["milestone"].map(MILESTONE_GROUPS),
        "By": treaties["actor"].map({"us": "United States", "russia": "Russia", "soviet-union": "Soviet Union",
                                     "both": "both", "other": "other"}).fillna(treaties["actor"]),
        "What it meant": treaties["note"].fillna(""),
    })
    return pd.DataFrame(spans), points


def treaty_chart(treaties: pd.DataFrame, width: int = 520) -> alt.LayerChart:
    spans, points = treaty_frame(treaties)
    first = points.sort_values("When").drop_duplicates("Treaty")["Treaty"]
    order = list(first)
    y = alt.Y("Treaty:N", title=None, sort=order, axis=alt.Axis(labelLimit=160))
    x = alt.X("From:T", title=None, axis=alt.Axis(format="%Y"))
    bars = alt.Chart(frame(spans, keep=list(spans.columns))).mark_bar(height=9, color="#56B4E9", opacity=0.7).encode(
        x=x, x2="To:T", y=y, tooltip=["Full name:N", "In force from:N", "Until:N"])
    groups = [g for g in GROUP_ORDER if g in set(points["Kind of milestone"])]
    marks = alt.Chart(frame(points, keep=list(points.columns))).mark_point(filled=True, size=55).encode(
        x=alt.X("When:T"), y=y,
        color=alt.Color("Kind of milestone:N", sort=groups,
                        scale=alt.Scale(domain=groups, range=[GROUP_COLOURS[GROUP_ORDER.index(g)] for g in groups]),
                        legend=alt.Legend(title=None, columns=1, orient="bottom")),
        shape=alt.Shape("Kind of milestone:N", sort=groups,
                        scale=alt.Scale(domain=groups, range=[GROUP_SHAPES[GROUP_ORDER.index(g)] for g in groups])),
        tooltip=["Full name:N", "Date:N", "Milestone:N", "By:N", "What it meant:N"])
    description = ("Timeline of the arms-control treaties between the United States and the Soviet Union or Russia: "
                   "one row per treaty (" + "; ".join(order) + "), a bar for the years each was in force, and a "
                   "marker for each milestone (signature, entry into force, extension, suspension, withdrawal or "
                   "expiry).")
    return alt.layer(bars, marks).properties(width=width, height=22 * len(order) + 10, description=description)


SERIES_LABELS = {"goods_exports": "Exports to Russia", "goods_imports": "Imports from Russia",
                 "services_exports": "Services exports", "services_imports": "Services imports",
                 "fdi_us_in_russia": "US investment in Russia", "fdi_russia_in_us": "Russian investment in the US"}


def trade_series_frame(ts: pd.DataFrame, series: list[str]) -> pd.DataFrame:
    shown = ts[ts["series"].isin(series)]
    return pd.DataFrame({"Year": shown["year"].astype(int), "Series": shown["series"].map(SERIES_LABELS),
                         "US$ billion": shown["value_usd_bn"].astype(float), "Agency": shown["agency"],
                         "Published in": shown["table"]})


def trade_series_chart(ts: pd.DataFrame, series: list[str], break_year: int = 2022, width: int = 520) -> alt.LayerChart:
    f = trade_series_frame(ts, series)
    order = [SERIES_LABELS[s] for s in series]
    years = [int(f["Year"].min()) - 1, int(f["Year"].max()) + 1]
    x = alt.X("Year:Q", title=None, axis=alt.Axis(format="d", tickMinStep=1),
              scale=alt.Scale(domain=years, nice=False, zero=False))
    # points, not lines: the years between published figures are unknown, and a line would interpolate them
    lines = alt.Chart(frame(f, keep=list(f.columns))).mark_point(filled=True, size=80).encode(
        x=x, y=alt.Y("US$ billion:Q", title="US$ billion"),
        color=alt.Color("Series:N", title=None, sort=order, legend=alt.Legend(orient="bottom", columns=1)),
        shape=alt.Shape("Series:N", sort=order, legend=None),
        tooltip=["Series:N", alt.Tooltip("Year:Q", format="d"), alt.Tooltip("US$ billion:Q", format=".2f"),
                 "Agency:N", "Published in:N"])
    marker = pd.DataFrame({"Year": [break_year - 0.5], "Label": [f"Invasion, {break_year}"]})
    rule = alt.Chart(marker).mark_rule(strokeDash=[4, 3], color="#555555").encode(
        x=alt.X("Year:Q", scale=alt.Scale(domain=years, nice=False, zero=False)))
    note = alt.Chart(marker).mark_text(align="right", baseline="top", dx=-4, y=2, fontSize=10, color="#555555").encode(
        x=alt.X("Year:Q", scale=alt.Scale(domain=years, nice=False, zero=False)), text="Label:N")
    description = ("Points of " + " and ".join(order) + " in US$ billion for the years with a published figure: "
                   + "; ".join(f"{r['Series']} {r['Year']}: {r['US$ billion']:.2f}" for _, r in f.iterrows())
                   + f". A dashed line marks the full-scale invasion of {break_year}.")
    return alt.layer(lines, rule, note).properties(width=width, height=280, description=description)


PARTY_LABELS = {"us": "United States", "russia": "Russia", "eu": "European Union", "g7": "G7", "uk": "United Kingdom",
                "india": "India", "china": "China", "other": "Other"}
MEASURE_LABELS = {"sanctions": "Sanctions", "export_controls": "Export controls", "asset_freeze": "Asset freeze",
                  "trade_status": "Trade status", "import_ban": "Import ban", "price_cap": "Price cap",
                  "tariff": "Tariff", "secondary_sanctions": "Secondary sanctions", "expulsion": "Expulsion",
                  "counter_measure": "Counter-measure", "financial": "Financial measure"}
# The chart colours measures by family (the house palette has eight colours; the table names each kind).
MEASURE_FAMILIES = {"sanctions": "Sanctions on people and firms", "secondary_sanctions": "Sanctions on people and firms",
                    "export_controls": "Export controls", "asset_freeze": "Frozen assets and finance",
                    "financial": "Frozen assets and finance", "trade_status": "Trade: bans, tariffs, caps, status",
                    "import_ban": "Trade: bans, tariffs, caps, status", "price_cap": "Trade: bans, tariffs, caps, status",
                    "tariff": "Trade: bans, tariffs, caps, status", "expulsion": "Expulsions",
                    "counter_measure": "Russian counter-measures"}


def measures_chart(measures: pd.DataFrame, width: int = 520) -> alt.Chart:
    """Each measure at its date, in one lane per party that imposed it, coloured by kind."""
    f = pd.DataFrame({
        "When": [iso_day(d) for d in measures["date"]], "Date": [long_date(d) for d in measures["date"]],
        "Imposed by": measures["imposed_by"].map(PARTY_LABELS), "On": measures["target"].map(PARTY_LABELS),
        "Kind": measures["kind"].map(MEASURE_LABELS), "Family": measures["kind"].map(MEASURE_FAMILIES),
        "Measure": measures["title"],
        "Legal basis": measures["legal_basis"].fillna(""),
    })
    lanes = [PARTY_LABELS[p] for p in PARTY_LABELS if PARTY_LABELS[p] in set(f["Imposed by"])]
    families = list(dict.fromkeys(MEASURE_FAMILIES[k] for k in MEASURE_FAMILIES if MEASURE_FAMILIES[k] in set(f["Family"])))
    first = min(d for d in measures["date"])[:4]
    return alt.Chart(frame(f, keep=list(f.columns))).mark_point(filled=True, size=70, opacity=0.85).encode(
        x=alt.X("When:T", title=None, axis=alt.Axis(format="%Y"),
                scale=alt.Scale(domain=[f"{first}-01-01", AS_OF])),
        y=alt.Y("Imposed by:N", title=None, sort=lanes),
        color=alt.Color("Family:N", title=None, sort=families, legend=alt.Legend(columns=1, orient="bottom")),
        tooltip=["Date:N", "Imposed by:N", "On:N", "Kind:N", "Measure:N", "Legal basis:N"],
    ).properties(width=width, height=34 * len(lanes) + 10, description=(
        f"Dot chart of {len(f)} sanctions and counter-measures from {first} to January 2026, one row per party "
        f"that imposed them ({', '.join(lanes)}), coloured by family ({', '.join(families)})."))


def facts_frame(facts: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """The facts named in ``labels`` (fact_id -> short label), in that order, with their statement and source."""
    rows = facts.set_index("fact_id").loc[list(labels)]
    return pd.DataFrame({"Measure": list(labels.values()), "Value": rows["value"].astype(float).values,
                         "Unit": rows["unit"].values, "Year": rows["year"].astype("Int64").astype(str).values,
                         "Fact": rows["statement"].values,
                         "Reference": rows["reference"].map(source_of).values})


def facts_chart(facts: pd.DataFrame, labels: dict[str, str], axis_title: str, width: int = 480) -> alt.LayerChart:
    """Horizontal bars of a few facts of one unit, each labelled with its value."""
    f = facts_frame(facts, labels)
    y = alt.Y("Measure:N", title=None, sort=list(labels.values()), axis=alt.Axis(labelLimit=300))
    # room after the longest bar for its value
    x = alt.X("Value:Q", title=axis_title, scale=alt.Scale(domain=[0, float(f["Value"].max()) * 1.2]))
    base = alt.Chart(frame(f, keep=["Measure", "Value", "Fact", "Reference"]))
    bars = base.mark_bar().encode(x=x, y=y,
                                  tooltip=["Measure:N", alt.Tooltip("Value:Q", format=",~g"), "Fact:N", "Reference:N"])
    text = base.mark_text(align="left", dx=4, fontSize=11, color="#333333").encode(
        x=x, y=y, text=alt.Text("Value:Q", format=",~g"))
    description = ("Bar chart: " + "; ".join(f"{m}: {v:,g}" for m, v in zip(f["Measure"], f["Value"], strict=True))
                   + f" ({axis_title}).")
    # rows tall enough for a label wrapped onto three lines on a phone
    return alt.layer(bars, text).properties(width=width, height=40 * len(labels) + 10, description=description)


def facts_table(facts: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    """The facts ``ids`` as rows a reader can cite: what, the figure with its unit, the year and the reference."""
    from usrubook.chapter.tables import cite

    rows = facts.set_index("fact_id").loc[ids]
    def figure(v, unit):
        if pd.isna(v):
            return ""
        text = f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"
        return f"{text} %" if unit == "percent" else f"{text} {unit}"
    return pd.DataFrame({"Fact": rows["statement"].values,
                         "Figure": [figure(v, u) for v, u in zip(rows["value"], rows["unit"], strict=True)],
                         "Reference": rows["reference"].map(cite).values})


def treaty_summary(treaties: pd.DataFrame) -> pd.DataFrame:
    """One row per treaty: when it was signed, when it entered into force, and how it ended or stood on the
    as-of date."""
    from usrubook.chapter.tables import cite

    out = []
    for tid, g in treaties.sort_values("date").groupby("treaty_id", sort=False):
        def when(*kinds):
            d = g[g["milestone"].isin(kinds)]
            return long_date(d["date"].iloc[0]) if len(d) else ""
        ends = g[g["milestone"].isin(TREATY_END)]
        if len(ends):
            who = {"us": "the United States", "russia": "Russia", "soviet-union": "the Soviet Union"}.get(
                ends["actor"].iloc[0])
            status = (f"{ends['milestone'].iloc[0].replace('_', ' ')}" + (f" by {who}" if who else "")
                      + f", {long_date(ends['date'].iloc[0])}")
        elif "in_force" in set(g["milestone"]):
            status = "in force on " + long_date(AS_OF) + (", Russia's participation suspended"
                                                          if (g["milestone"] == "suspended").any() else "")
        else:
            status = "never in force"
        out.append({"Treaty": g["treaty"].iloc[0], "Signed": when("signed"), "In force": when("in_force"),
                    "End, or status on 31 January 2026": status,
                    "References": cite("; ".join(dict.fromkeys(k.strip() for r in g["reference"]
                                                                for k in r.split(";"))))})
    return pd.DataFrame(out).sort_values("Signed", key=lambda s: s.map(lambda t: t[-4:] if t else "9999"))
