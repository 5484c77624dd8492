"""Verdicts and corroboration for the chapters: one set of labels and colours, so that a corroborated but
outdated statement reads as outdated wherever it is shown."""
from __future__ import annotations

from typing import TYPE_CHECKING

from usrubook.pipeline.schema import AS_OF, VERDICT_NOTES, VERDICTS

if TYPE_CHECKING:           # the frames are pandas'; the module itself needs no pandas (the build imports it)
    import pandas as pd

VERDICT_LABELS = {v: v.replace("-", " ") for v in VERDICTS}
VERDICT_ORDER = [VERDICT_LABELS[v] for v in VERDICTS]
# Okabe–Ito: green and blue hold, orange and vermilion warn, grey and purple are neither.
# (order of VERDICTS: still true, true when written, outdated, exaggerated, garbled, wrong, unsupported,
# contested, opinion, unverifiable)
VERDICT_COLOURS = ["#009E73", "#56B4E9", "#E69F00", "#F0E442", "#8C564B", "#D55E00", "#7F3C8D", "#CC79A7",
                   "#999999", "#BBBBBB"]
CORROBORATION_LABELS = {"corroborated": "corroborated", "single-source": "one source",
                        "contradicted": "contradicted", "erroneous": "corrected"}

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def long_date(date: str) -> str:
    """'2024-12-08' -> '8 December 2024'; '2024-12' -> 'December 2024'; '2024' -> '2024'."""
    parts = date.split("-")
    if len(parts) == 1:
        return parts[0]
    month = _MONTHS[int(parts[1]) - 1]
    return f"{int(parts[2])} {month} {parts[0]}" if len(parts) == 3 else f"{month} {parts[0]}"


AS_OF_TEXT = long_date(AS_OF)

# a judgement as a phrase in running text: "the seed's words are {phrase}"
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


def verdict_phrase(verdict: str, changed_on) -> str:
    if verdict == "outdated":
        return f"outdated since {long_date(changed_on)}" if isinstance(changed_on, str) and changed_on else "outdated"
    return VERDICT_PHRASES[verdict]


def verdict_text(verdict: str, changed_on: str | None = None) -> str:
    """What a reader sees: 'outdated since December 2024', 'still true in January 2026', 'wrong'."""
    label = VERDICT_LABELS[verdict]
    if verdict == "outdated" and changed_on:
        return f"outdated since {long_date(changed_on)}"
    if verdict == "still-true":
        return f"still true on {AS_OF_TEXT}"
    return label


def with_verdicts(frame: pd.DataFrame, verifications: pd.DataFrame, table: str, key: str) -> pd.DataFrame:
    """``frame`` with the verification of each row of ``table`` (joined on ``key``): verdict_label,
    verdict_text, changed_on, what_changed, reference, reference_excerpt."""
    v = verifications[verifications["subject_table"] == table].set_index("subject_id")
    out = frame.copy()
    ids = out[key]
    cols = ["verdict", "changed_on", "what_changed", "reference", "reference_excerpt", "note"]
    for c in cols:
        out[f"v_{c}"] = ids.map(v[c])
    out["verdict_label"] = out["v_verdict"].map(VERDICT_LABELS)
    out["verdict_text"] = [verdict_text(a, b if isinstance(b, str) else None) if isinstance(a, str) else None
                           for a, b in zip(out["v_verdict"], out["v_changed_on"], strict=True)]
    return out


def claim_verdicts(claims: pd.DataFrame, verifications: pd.DataFrame) -> pd.DataFrame:
    """Claims with the verification that applies to each: the claim's own, else its proposition's."""
    own = with_verdicts(claims, verifications, "claims", "claim_id")
    by_prop = with_verdicts(claims, verifications, "propositions", "proposition_id")
    use_own = claims["verdict_basis"].eq("claim").to_numpy()
    for c in [c for c in own.columns if c.startswith("v_")] + ["verdict_label", "verdict_text"]:
        own[c] = own[c].where(use_own, by_prop[c])
    return own


def legend_note() -> str:
    """The verdicts and what each means, for captions and the Methods page."""
    return "; ".join(f"{VERDICT_LABELS[k]} ({v})" for k, v in VERDICT_NOTES.items())


def verdict_scale(labels) -> dict:
    """Domain and colours for a verdict legend that lists only the verdicts a chart draws."""
    from usrubook.chapter.charts import used_scale

    return used_scale(VERDICT_ORDER, VERDICT_COLOURS, labels)
