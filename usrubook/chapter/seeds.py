"""The seeds as the chapters count them: which are dated, which are still being worked on, and how to say so.

A seed added with ``make add-seed`` is *not yet dated* until a maintainer estimates its date, and *not yet
coded* while candidate facts of its text are unaccounted for (``make coverage``). The book builds in both
states: comparisons of dates leave an undated seed out, and the Sources page says what is missing.
"""
from __future__ import annotations

import re

import pandas as pd

from usrubook.chapter.prose import count, listing, plural, share
from usrubook.pipeline.schema import NOT_YET_DATED


def is_dated(sources: pd.DataFrame) -> pd.Series:
    return sources["date_confidence"] != NOT_YET_DATED


def dated(sources: pd.DataFrame) -> pd.DataFrame:
    """The seeds with an estimated date."""
    return sources[is_dated(sources)]


def undated_ids(sources: pd.DataFrame) -> list[str]:
    ids = sources["source_id"] if "source_id" in sources else sources.index.to_series()
    return sorted(ids[~is_dated(sources)])


def date_shown(row) -> str:
    """A seed's date for a table: the printed date, '2023 (estimated, low)' or 'not yet dated'."""
    if row["date_confidence"] == NOT_YET_DATED:
        return NOT_YET_DATED
    if isinstance(row["stated_date"], str):
        return row["stated_date"]
    return f"{row['estimated_date']} (estimated, {row['date_confidence']})"


def dating_of_others(sources: pd.DataFrame) -> str:
    """How the seeds that print no date are dated: 'the others are dated from internal evidence', naming any
    seed that is not yet dated."""
    pending = undated_ids(sources)
    if not pending:
        return "the others are dated from internal evidence"
    return (f"{listing(pending)} {plural(len(pending), 'is')} not yet dated, and the others are dated from "
            "internal evidence")


def in_progress(sources: pd.DataFrame, coverage: pd.DataFrame) -> pd.DataFrame:
    """The seeds still being worked on: not yet dated, or with candidate facts not yet accounted for. The
    Sources page describes these in generated paragraphs; every other seed has a paragraph written by hand."""
    gaps = coverage[coverage["status"] == "gap"].groupby("source_id").size()
    ids = sources["source_id"] if "source_id" in sources else sources.index.to_series()
    pending = ~is_dated(sources).to_numpy() | ids.map(lambda s: gaps.get(s, 0) > 0).to_numpy()
    return sources[pending]


def _escape(text: str) -> str:
    """Third-party text (a seed's title) set in Markdown as plain text."""
    return re.sub(r"([\\`*_{}\[\]<>()#+!|~$])", r"\\\1", text)


def status_paragraph(row, rows_coded: int, facts: int, gaps: int) -> str:
    """A generated paragraph (MyST) on a seed still being worked on: what it is and what remains to do."""
    sid = row["source_id"]
    genre = _escape(row["genre"])
    article = "an" if genre[:1].lower() in "aeiou" else "a"
    text = (f"**Seed {sid.removeprefix('seed')}**, \"{_escape(row['title'])}\", is {article} {genre} of "
            f"{int(row['words']):,d} words; its text is on the {{ref}}`Source texts <{sid}-p1>` page. ")
    if row["date_confidence"] == NOT_YET_DATED:
        text += ("It has not yet been dated, so it takes no part in the comparisons of dates and is not placed "
                 "on any timeline. ")
    else:
        text += f"It dates from {date_shown(row)}. "
    if rows_coded == 0:
        text += ("No rows have been coded from it yet, so it contributes no claims, events, figures or corrections"
                 + ("." if facts == 0 else
                    f"; none of the {count(facts, 'candidate fact', words=True)} in its text (years, dates, amounts "
                    "and named actors or places) is accounted for yet."))
    else:
        accounted = facts - gaps
        text += (f"Its coding is not complete: {count(rows_coded, 'row', words=True)} of data "
                 f"{'quotes' if rows_coded == 1 else 'quote'} it, and {share(accounted, facts, 'candidate fact', words=True)} "
                 f"in its text {'is' if accounted == 1 else 'are'} accounted for.")
    return text
