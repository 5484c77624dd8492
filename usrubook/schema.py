"""The tables of the book: one definition drives validation, loading and ``datapackage.json``.

Types follow Frictionless Table Schema: string, integer, number, boolean.
"""
from __future__ import annotations

from dataclasses import dataclass, field as dc_field


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    description: str
    required: bool = True
    enum: tuple[str, ...] | None = None
    unit: str | None = None
    pattern: str | None = None
    minimum: float | None = None


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    description: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[tuple[str, str, str], ...] = ()   # (field, table, table's field)
    path: str = ""
    notes: dict = dc_field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


# -- vocabularies, defined once --------------------------------------------
TRADE_CATEGORIES = ("goods", "services", "goods_and_services", "fdi")
TRADE_FLOWS = ("exports", "imports", "total", "deficit", "surplus", "investment_position")
TRADE_DIRECTIONS = ("us_to_russia", "russia_to_us", "bilateral")
TRADE_QUALIFIERS = ("approximately", "around")
UNITS = ("USD billion",)
RECONCILIATION_STATUS = ("agrees", "within rounding", "mismatch")

_SOURCE = Field("source_id", "string", "The seed the row comes from (see the sources table).",
                pattern=r"^seed\d{3}$")
_QUOTE = Field("quote", "string", "Verbatim passage of the seed that states the row's facts.")

SOURCES = Table(
    name="sources", path="seeds/sources.csv", title="Seed articles",
    description="One row per seed article: what it is, when it was written and its checksum.",
    primary_key=("source_id",),
    fields=(
        Field("source_id", "string", "Identifier of the seed, used in citations.", pattern=r"^seed\d{3}$"),
        Field("file", "string", "File name under seeds/."),
        Field("title", "string", "Title as printed in the seed."),
        Field("genre", "string", "Kind of web page, judged from its text and furniture."),
        Field("stated_date", "string", "Publication or update date printed in the seed (ISO 8601), if any.",
              required=False, pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$"),
        Field("estimated_date", "string", "Best estimate of the writing date (ISO 8601, partial allowed).",
              pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$"),
        Field("date_confidence", "string", "Confidence in the estimated date.", enum=("high", "medium", "low")),
        Field("date_evidence", "string", "Verbatim passage of the seed the date rests on."),
        Field("date_reasoning", "string", "How the date follows from the evidence."),
        Field("sha256", "string", "SHA-256 checksum of the seed file's bytes.", pattern=r"^[0-9a-f]{64}$"),
        Field("words", "integer", "Number of whitespace-separated words in the file.", minimum=1),
    ),
)

TRADE_CURATED = Table(
    name="trade", path="data/curated/trade.csv", title="Trade and investment figures (curated)",
    description="Each trade or investment figure stated by a seed, coded by hand with its verbatim quote.",
    primary_key=("figure_id",),
    foreign_keys=(("source_id", "sources", "source_id"),),
    fields=(
        Field("figure_id", "string", "Identifier of the figure.", pattern=r"^[a-z0-9-]+$"),
        Field("year", "integer", "Calendar year the figure refers to.", minimum=1800),
        Field("category", "string", "What is traded or invested.", enum=TRADE_CATEGORIES),
        Field("flow", "string", "Kind of figure.", enum=TRADE_FLOWS),
        Field("direction", "string", "Direction of the flow, seen from the United States.", enum=TRADE_DIRECTIONS),
        Field("value", "number", "The figure as stated, written with the seed's own decimals.", unit="USD billion", minimum=0),
        Field("unit", "string", "Unit of value.", enum=UNITS),
        Field("change_pct", "number", "Change from the previous year as stated, in percent (negative: a fall).",
              required=False, unit="percent"),
        Field("qualifier", "string", "Hedge the seed puts on the figure.", required=False, enum=TRADE_QUALIFIERS),
        _SOURCE,
        _QUOTE,
    ),
)

_LOCATION = (
    Field("start", "integer", "Offset of the quote's first character in the seed file (Unicode code points).", minimum=0),
    Field("end", "integer", "Offset one past the quote's last character.", minimum=0),
    Field("paragraph", "integer", "1-based number of the seed paragraph holding the quote.", minimum=1),
    Field("anchor", "string", "Anchor of that paragraph on the Source texts page.", pattern=r"^seed\d{3}-p\d+$"),
)

TRADE = Table(
    name="trade", path="data/trade.csv", title="Trade and investment figures",
    description=("Every trade and investment figure stated by a seed (derived = false), with the implied "
                 "previous-year value computed from each stated percentage change (derived = true)."),
    primary_key=("figure_id",),
    foreign_keys=(("source_id", "sources", "source_id"),),
    fields=TRADE_CURATED.fields[:7] + (
        Field("change_pct", "number", "Change from the previous year as stated, in percent (negative: a fall).",
              required=False, unit="percent"),
        Field("qualifier", "string", "Hedge the seed puts on the figure; 'implied' for computed values.",
              required=False, enum=TRADE_QUALIFIERS + ("implied",)),
        Field("derived", "boolean", "True when the value is computed, not stated."),
        Field("derived_from", "string", "The stated figure a derived value is computed from.", required=False),
        _SOURCE, _QUOTE,
    ) + _LOCATION,
)

TRADE_RECONCILIATION = Table(
    name="trade_reconciliation", path="data/trade_reconciliation.csv", title="Reconciliation of the seed's trade arithmetic",
    description=("Each check recomputes a stated figure from other stated figures. Every stated figure is taken as "
                 "an interval of its printed precision (1.7 means 1.65 to 1.75), so 'within rounding' means the "
                 "difference can come from rounding alone."),
    primary_key=("check_id",),
    foreign_keys=(("stated_figure_id", "trade", "figure_id"),),
    fields=(
        Field("check_id", "string", "Identifier of the check.", pattern=r"^[a-z0-9-]+$"),
        Field("description", "string", "What is checked."),
        Field("formula", "string", "How the figure is recomputed, in figure identifiers."),
        Field("stated_figure_id", "string", "The figure being checked."),
        Field("stated_value", "number", "The figure checked, as stated; for a previous-year check, the value its "
              "stated change implies.", unit="USD billion"),
        Field("computed_value", "number", "The figure recomputed from the other stated figures.", unit="USD billion"),
        Field("difference", "number", "computed_value minus stated_value.", unit="USD billion"),
        Field("computed_low", "number", "Lowest value the computation can take within rounding.", unit="USD billion"),
        Field("computed_high", "number", "Highest value the computation can take within rounding.", unit="USD billion"),
        Field("status", "string", "agrees: equal as printed; within rounding: differs, but rounding explains it; "
              "mismatch: rounding cannot explain it.", enum=RECONCILIATION_STATUS),
    ),
)

SOURCES_DERIVED = Table(
    name="sources", path="data/sources.csv", title=SOURCES.title, description=SOURCES.description,
    primary_key=SOURCES.primary_key, fields=SOURCES.fields + _LOCATION[:2] + _LOCATION[2:],
)

CURATED = {"trade": TRADE_CURATED}
DERIVED = {t.name: t for t in (SOURCES_DERIVED, TRADE, TRADE_RECONCILIATION)}
