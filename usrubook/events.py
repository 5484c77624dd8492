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
    return out.sort_values("year").reset_index(drop=True)
