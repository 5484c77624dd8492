"""Events for charts and tables: partial ISO dates placed on a time axis, with their best source passage."""
from __future__ import annotations

import pandas as pd

TONE_ORDER = ["cooperative", "neutral", "mixed", "confrontational"]
TONE_COLOURS = ["#009E73", "#999999", "#E69F00", "#D55E00"]


def decimal_year(date: str) -> float:
    """A partial ISO date as a year with decimals: a bare year sits mid-year, a month mid-month."""
    parts = [int(p) for p in date.split("-")]
    if len(parts) == 1:
        return parts[0] + 0.5
    if len(parts) == 2:
        return parts[0] + (parts[1] - 0.5) / 12
    return parts[0] + (parts[1] - 1) / 12 + (parts[2] - 0.5) / 365


def era_of(year: float, eras: pd.DataFrame) -> str:
    """The era a year falls in: the last era that has begun by then (eras follow each other)."""
    begun = eras[eras["from_year"] <= year].sort_values("from_year")
    if begun.empty:
        raise ValueError(f"no era holds the year {year}")
    return begun["label"].iloc[-1]


def event_frame(events: pd.DataFrame, mentions: pd.DataFrame, eras: pd.DataFrame) -> pd.DataFrame:
    """One row per event with its position in time, era, seeds, and the first passage that reports it."""
    first = (mentions.sort_values(["source_id", "start"]).groupby("event_id", sort=False).first()
             [["source_id", "quote", "paragraph", "anchor"]])
    seeds = mentions.groupby("event_id")["source_id"].apply(lambda s: ", ".join(sorted(set(s)))).rename("seeds")
    out = events.set_index("event_id").join(first).join(seeds).reset_index()
    out["year"] = out["date"].map(decimal_year)
    out["era"] = out["year"].map(lambda y: era_of(y, eras))
    out["date_text"] = [date_shown(r) for _, r in out.iterrows()]
    return out.sort_values("year").reset_index(drop=True)


DATE_BASIS_LABELS = {"stated": "date given by the seed", "reference": "date from a public report",
                     "reported": "undated: placed at the seed's date, an upper bound"}


def date_shown(row) -> str:
    """How a table or tooltip gives an event's date: a 'reported' event is never shown as dated."""
    if row["date_basis"] == "reported":
        return f"reported by {row['source_id']} by {row['date']}"
    end = row.get("end_date")
    return f"{row['date']} to {end}" if isinstance(end, str) and end else row["date"]


def seed_dates(sources: pd.DataFrame) -> pd.DataFrame:
    """Each seed's (estimated) writing date on the time axis, for rules marking when each was written; a seed not
    yet dated has no place on it."""
    out = sources.reset_index()[["source_id", "estimated_date", "date_confidence"]].dropna(subset="estimated_date")
    out["year"] = out["estimated_date"].map(decimal_year)
    out["label"] = out["source_id"].str.replace("seed", "seed ", regex=False)
    return out


def context_frame(context: pd.DataFrame) -> pd.DataFrame:
    """Context developments placed on the time axis, with a short reference line for tooltips."""
    out = context.copy()
    out["year"] = out["date"].map(decimal_year)
    out["reference_first"] = out["reference"].str.split(";").str[0].str.strip()
    return out.sort_values(["year", "context_id"]).reset_index(drop=True)


def spread(years: pd.Series, lanes: int = 3, gap: float = 0.08) -> pd.Series:
    """A lane (0 .. lanes-1) for each point so that points closer than ``gap`` years do not sit on each other."""
    out, last = [], {}
    for y in years:
        free = [k for k in range(lanes) if y - last.get(k, -1e9) >= gap]
        lane = free[0] if free else min(last, key=last.get)   # all lanes crowded: reuse the least recent
        last[lane] = y
        out.append(lane)
    return pd.Series(out, index=years.index)
