"""The tables of the book: one definition drives validation, loading and ``datapackage.json``.

Types follow Frictionless Table Schema: string, integer, number, boolean.
"""
from __future__ import annotations

from dataclasses import dataclass, field as dc_field, replace


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
    # A number's upper bound, or for a date (ISO 8601, partial allowed) the latest date allowed.
    maximum: float | str | None = None
    # Values longer than this are refused as implausible (a quote that has swallowed rows of the file).
    max_length: int | None = None
    # Only verbatim passages of a seed may hold line breaks (the seed's own).
    multiline: bool = False


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
    # A curated table the chapters draw must have rows; only tables a book can do without may be empty.
    may_be_empty: bool = False

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


# -- vocabularies, defined once --------------------------------------------
TRADE_CATEGORIES = ("goods", "services", "goods_and_services", "fdi")
TRADE_FLOWS = ("exports", "imports", "total", "deficit", "surplus", "investment")
TRADE_DIRECTIONS = ("us_to_russia", "russia_to_us", "bilateral")
TRADE_QUALIFIERS = ("approximately", "around")
UNITS = ("USD billion",)
RECONCILIATION_STATUS = ("agrees", "within rounding", "mismatch")

ACTOR_KINDS = ("state", "organisation", "person", "treaty", "project", "forum")
PLACE_KINDS = ("city", "region", "state_or_province", "sea", "continent")
REGIONS = ("north_america", "europe", "asia", "middle_east", "africa", "latin_america", "global")
EVENT_CATEGORIES = ("recognition", "diplomacy", "summit", "alliance", "war_and_conflict", "sanctions",
                    "arms_control", "intelligence", "prisoner_exchange", "military_exercise", "domestic_politics",
                    "policy", "economic", "membership", "energy")
TONES = ("cooperative", "neutral", "mixed", "confrontational")
DATE_PRECISIONS = ("day", "month", "year")
# stated: a seed gives the date; reference: dated from a public report (date_reference); reported: no report
# found, so the event is placed at the date of the seed that reports it, an upper bound, never the event's date.
DATE_BASES = ("stated", "reference", "reported")
THEMES = ("arms_control", "nuclear_safety", "cybersecurity", "elections", "sanctions", "trade_investment", "energy",
          "ukraine", "syria_middle_east", "arctic", "space", "counterterrorism", "human_rights_democracy",
          "diplomacy", "world_order", "regional_organisations", "military", "technology", "climate", "history",
          "geography")
STANCES = ("cooperation", "confrontation", "neutral")
POLARITIES = ("affirms", "denies")
PROPOSITION_STATUSES = ("corroborated", "single-source", "contradicted")
CLAIM_STATUSES = PROPOSITION_STATUSES + ("erroneous",)
RELATIONS = ("ally", "partner", "member", "mixed", "unfriendly", "adversary")
# A row of corrections.csv judges a seed passage that no other table codes; its kind is its verdict (one of the
# verdicts below; the errata are those whose verdict says what is wrong with the passage).
DIRECTIONS = ("improve", "worsen", "uncertain")
HORIZONS = ("near", "medium", "long", "unspecified")
# What the world says of a statement, as of the book's as-of date (see VERDICT_NOTES): one vocabulary for
# every judgement, whether it is kept in verifications.csv or in corrections.csv.
VERDICTS = ("still-true", "true-when-written", "outdated", "exaggerated", "garbled", "wrong", "unsupported",
            "contested", "opinion", "unverifiable")
VERDICT_NOTES = {
    "still-true": "held when the seed was written and still held at the as-of date",
    "true-when-written": "accurate about the past or the seed's own moment, and not made false since",
    "outdated": "held when written but no longer at the as-of date (the judgement says since when and what changed)",
    "exaggerated": "has a true core that the wording inflates",
    "garbled": "so mangled in wording (names, titles, quotations) that it misstates what it reports",
    "wrong": "did not hold even when the seed was written",
    "unsupported": "no public record supports it, although it could be checked",
    "contested": "an interpretation on which informed sources disagree (the judgement says who holds which view)",
    "opinion": "an assessment, forecast or advocacy that is neither true nor false",
    "unverifiable": "no public reference could settle it (the judgement lists what was consulted)",
}
# Verdicts that say how a statement stands in time; the claims of one proposition share it.
TIME_VERDICTS = ("still-true", "true-when-written", "outdated")
# Verdicts that make a statement an erratum (the errata are the judgements with one of these).
ERRATA_VERDICTS = ("outdated", "exaggerated", "garbled", "wrong", "unsupported")
# The kinds of public reference (the 'kind' field of a references.bib entry). A fact rests on at least one
# of the first four; state-affiliated media only report their own government's words; aggregators, mirrors
# and unknown sites are never cited.
REFERENCE_KINDS = {
    "official": "official document (government, legislature, court, international organisation)",
    "press": "wire agency, newspaper of record or public broadcaster",
    "scholarly": "scholarly or think-tank analysis",
    "reference": "reference work",
    "state-media": "state-affiliated media",
    "aggregator": "aggregator, mirror or unknown site",
}
FACT_KINDS = ("official", "press", "scholarly", "reference")
SUBJECT_TABLES = ("propositions", "claims", "relations", "trade")
DEPENDENCY_KINDS = ("same-publisher", "link", "shared-paraphrase", "rewrite-of-report")
NOISE_KINDS = ("navigation", "advertisement", "page_furniture", "social", "link")
CANDIDATE_KINDS = ("year", "date", "money", "percent", "entity")
COVERAGE_STATUSES = ("covered", "excluded", "gap")

CHRONOLOGY_CATEGORIES = ("arms_control", "nato_europe", "war_and_conflict", "diplomacy", "sanctions_trade",
                         "espionage_interference", "energy", "prisoners", "asia", "domestic_politics", "multilateral")
CHRONOLOGY_ACTORS = ("us", "russia", "soviet-union", "ukraine", "nato", "eu", "china", "north-korea", "iran", "india",
                     "georgia", "syria", "uk", "germany", "poland", "finland", "sweden", "other")
MILESTONES = ("signed", "in_force", "extended", "suspended", "withdrawal_announced", "withdrawn", "expired",
              "violation_found", "de-ratified", "ratified", "moratorium_ended", "offer")
MEASURE_PARTIES = ("us", "russia", "eu", "g7", "uk", "india", "china", "other")
MEASURE_KINDS = ("sanctions", "export_controls", "asset_freeze", "trade_status", "import_ban", "price_cap", "tariff",
                 "secondary_sanctions", "expulsion", "counter_measure", "financial")
TRADE_SERIES = ("goods_exports", "goods_imports", "services_exports", "services_imports", "fdi_us_in_russia",
                "fdi_russia_in_us")
AGENCIES = ("Census", "BEA")

# Every table listed here is described in the Methods and data page.
VOCABULARIES = {
    "actor kind": ACTOR_KINDS, "place kind": PLACE_KINDS, "region": REGIONS, "event category": EVENT_CATEGORIES,
    "tone": TONES, "date precision": DATE_PRECISIONS, "date basis": DATE_BASES, "theme": THEMES,
    "stance": STANCES, "polarity": POLARITIES, "claim status": CLAIM_STATUSES, "relation": RELATIONS,
    "direction": DIRECTIONS, "horizon": HORIZONS, "noise kind": NOISE_KINDS,
    "trade category": TRADE_CATEGORIES, "trade flow": TRADE_FLOWS, "trade direction": TRADE_DIRECTIONS,
    "verdict": VERDICTS, "dependency kind": DEPENDENCY_KINDS, "reference kind": tuple(REFERENCE_KINDS),
    "chronology category": CHRONOLOGY_CATEGORIES, "treaty milestone": MILESTONES, "measure kind": MEASURE_KINDS,
    "measure party": MEASURE_PARTIES, "trade series": TRADE_SERIES, "statistical agency": AGENCIES,
}

# The book's as-of date: every statement is judged against the world as it stood then.
AS_OF = "2026-01-31"
AS_OF_YEAR = int(AS_OF[:4])
# A quote is a passage, not a page: three times the longest quote coded so far.
QUOTE_MAX = 1000

# A seed added with make add-seed is "not yet dated" until a maintainer estimates its date: its estimated_date,
# date_evidence and date_reasoning are then empty, and every comparison of dates leaves it out.
NOT_YET_DATED = "not yet dated"
DATE_CONFIDENCES = ("high", "medium", "low", NOT_YET_DATED)
DATING_FIELDS = ("estimated_date", "date_evidence", "date_reasoning")

_SOURCE = Field("source_id", "string", "The seed the row comes from (see the sources table).",
                pattern=r"^seed\d{3}$")
_QUOTE = Field("quote", "string", "Verbatim passage of the seed that states the row's facts.",
               max_length=QUOTE_MAX, multiline=True)

SOURCES = Table(
    name="sources", path="seeds/sources.csv", title="Seed articles",
    description="One row per seed article: what it is, when it was written and its checksum.",
    primary_key=("source_id",),
    fields=(
        Field("source_id", "string", "Identifier of the seed, used in citations.", pattern=r"^seed\d{3}$"),
        Field("file", "string", "File name under seeds/: three digits, '_', 16 hexadecimal digits (for a "
              "seed added with make add-seed, the start of its SHA-256), '.txt'.", pattern=r"^\d{3}_[0-9a-f]{16}\.txt$"),
        Field("title", "string", "Title as printed in the seed."),
        Field("genre", "string", "Kind of web page, judged from its text and furniture."),
        Field("stated_date", "string", "Publication or update date printed in the seed (ISO 8601), if any.",
              required=False, pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$", maximum=AS_OF),
        Field("estimated_date", "string", "Best estimate of the writing date (ISO 8601, partial allowed); empty "
              f"while the seed is {NOT_YET_DATED}.", required=False, pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$",
              maximum=AS_OF),
        Field("date_confidence", "string", "Confidence in the estimated date; a seed added with make add-seed is "
              f"'{NOT_YET_DATED}' until its date is estimated.", enum=DATE_CONFIDENCES),
        Field("date_evidence", "string", "Verbatim passage of the seed the date rests on; empty while the seed is "
              f"{NOT_YET_DATED}.", required=False, max_length=QUOTE_MAX, multiline=True),
        Field("date_reasoning", "string", "How the date follows from the evidence; empty while the seed is "
              f"{NOT_YET_DATED}.", required=False),
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
        Field("year", "integer", "Calendar year the figure refers to.", minimum=1800, maximum=AS_OF_YEAR),
        Field("category", "string", "What is traded or invested.", enum=TRADE_CATEGORIES),
        Field("flow", "string", "Kind of figure; 'investment' is a direct-investment figure that the seed does not "
              "call either an annual flow or a year-end position.", enum=TRADE_FLOWS),
        Field("direction", "string", "Direction of the flow, seen from the United States.", enum=TRADE_DIRECTIONS),
        Field("value", "number", "The figure as stated, written with the seed's own decimals.", unit="USD billion", minimum=0),
        Field("unit", "string", "Unit of value.", enum=UNITS),
        Field("change_pct", "number", "Change from the previous year as stated, in percent (negative: a fall).",
              required=False, unit="percent", minimum=-100),
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
              required=False, unit="percent", minimum=-100),
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

# The location of a seed's date_evidence: empty while the seed is not yet dated.
_DATING_LOCATION = (
    Field("start", "integer", "Offset of date_evidence's first character in the seed file (Unicode code points); "
          f"empty while the seed is {NOT_YET_DATED}.", required=False, minimum=0),
    Field("end", "integer", "Offset one past date_evidence's last character.", required=False, minimum=0),
    Field("paragraph", "integer", "1-based number of the seed paragraph holding date_evidence.", required=False,
          minimum=1),
    Field("anchor", "string", "Anchor of that paragraph on the Source texts page.", required=False,
          pattern=r"^seed\d{3}-p\d+$"),
)

SOURCES_DERIVED = Table(
    name="sources", path="data/sources.csv", title=SOURCES.title, description=SOURCES.description,
    primary_key=SOURCES.primary_key, fields=SOURCES.fields + _DATING_LOCATION + (
        Field("content_words", "integer", "Words outside the page's noise spans (ads, navigation).", minimum=0),
        Field("independence_group", "string", "The seeds this seed is not independent of, itself included "
              "(source_dependencies), separated by '+'; they count once in corroboration."),
    ),
)

_ID = r"^[a-z0-9][a-z0-9-]*$"
_DATE = r"^\d{4}(-\d{2}(-\d{2})?)?$"
_ALIASES = Field("aliases", "string", "Names the entity goes by in the seeds, separated by '|'; matched as whole "
                 "words, case-sensitive.")


extra_fields = {
    "places": (Field("lat", "number", "Latitude (WGS84) from GeoNames, for places that have a point location.",
                     required=False, unit="degree", minimum=-90, maximum=90),
               Field("lon", "number", "Longitude (WGS84) from GeoNames.", required=False, unit="degree",
                     minimum=-180, maximum=180),
               Field("coordinates_source", "string", "Where the coordinates come from.")),
    "claims": (Field("status", "string", "Cross-check of the claim against the other seeds and the corrections: "
                     "corroborated only when independent seeds agree.", enum=CLAIM_STATUSES),
               Field("seeds_affirming", "integer", "Seeds with a claim affirming the same proposition.", minimum=0),
               Field("independent_affirming", "integer", "Independent groups of seeds (see source_dependencies) with "
                     "a claim affirming the same proposition.", minimum=0),
               Field("seeds_denying", "integer", "Seeds with a claim denying the same proposition.", minimum=0),
               Field("verdict", "string", "What the world says of the claim at the as-of date (verifications): the "
                     "claim's own verification, else its proposition's.", enum=VERDICTS),
               Field("verdict_basis", "string", "Whether the verdict is the claim's own or its proposition's.",
                     enum=("claim", "proposition"))),
    "relations": (Field("region", "string", "The partner's world region.", enum=REGIONS),
                  Field("verdict", "string", "What the world says of the relation at the as-of date (verifications).",
                        enum=VERDICTS)),
    "source_dependencies": (
        Field("other_start", "integer", "Offset of other_quote in the seed named by depends_on.", required=False,
              minimum=0),
        Field("other_anchor", "string", "Anchor of the paragraph holding other_quote.", required=False,
              pattern=r"^seed\d{3}-p\d+$")),
}


def _observation(name, title, description, key, fields, fks=(), extra_fks=()):
    """A curated table of observations, and the derived table with each quote located."""
    curated = Table(name=name, path=f"data/curated/{name}.csv", title=f"{title} (curated)", description=description,
                    primary_key=(key,), foreign_keys=(("source_id", "sources", "source_id"),) + fks,
                    fields=fields + (_SOURCE, _QUOTE))
    derived = Table(name=name, path=f"data/{name}.csv", title=title, description=description, primary_key=(key,),
                    foreign_keys=curated.foreign_keys + extra_fks, fields=fields + extra_fields.get(name, ()) + (_SOURCE, _QUOTE) + _LOCATION)
    return curated, derived


ACTORS, ACTORS_D = _observation(
    "actors", "Actors", "States, organisations, people, treaties and projects the seeds name; the quote is one "
    "passage naming the actor.", "actor_id", (
        Field("actor_id", "string", "Identifier.", pattern=_ID),
        Field("name", "string", "Usual English name."),
        Field("kind", "string", "Kind of actor.", enum=ACTOR_KINDS),
        Field("country", "string", "ISO 3166-1 alpha-2 code of the state, or of a person's or body's state.",
              required=False, pattern=r"^[A-Z]{2}$"),
        Field("region", "string", "World region, for states and regional bodies.", required=False, enum=REGIONS),
        _ALIASES))
PLACES, PLACES_D = _observation(
    "places", "Places", "Locations the seeds name; the quote is one passage naming the place.", "place_id", (
        Field("place_id", "string", "Identifier.", pattern=_ID),
        Field("name", "string", "Usual English name."),
        Field("kind", "string", "Kind of place.", enum=PLACE_KINDS),
        Field("country", "string", "ISO 3166-1 alpha-2 code of the country the place lies in.", required=False,
              pattern=r"^[A-Z]{2}$"),
        Field("geonameid", "integer", "GeoNames identifier of a city, from which the coordinates are taken.",
              required=False, minimum=1),
        Field("location_note", "string", "Why a region is placed at a city's coordinates, with the reference.",
              required=False),
        _ALIASES))
EVENTS = Table(
    name="events", path="data/curated/events.csv", title="Events (curated)",
    description="Dated events the seeds report; each is backed by one or more rows of event_sources.",
    primary_key=("event_id",), foreign_keys=(("place_id", "places", "place_id"),),
    fields=(
        Field("event_id", "string", "Identifier.", pattern=_ID),
        Field("date", "date", "Date of the event (ISO 8601; year or year-month allowed); not after the as-of "
              "date (later developments are context events).", pattern=_DATE, maximum=AS_OF),
        Field("date_precision", "string", "Precision of the date.", enum=DATE_PRECISIONS),
        Field("date_basis", "string", "stated: a seed gives the date; reference: dated from a public report "
              "(date_reference); reported: no report found, so placed at the date of the seed that reports it, "
              "an upper bound rather than the event's date.", enum=DATE_BASES),
        Field("date_reference", "string", "Bibliography key of the report that dates the event (date basis "
              "'reference').", required=False),
        Field("date_excerpt", "string", "Verbatim excerpt of that report that gives the date, as read.",
              required=False, max_length=QUOTE_MAX, multiline=True),
        Field("end_date", "date", "Last date of an event that spans a period; not after the as-of date.",
              required=False, pattern=_DATE, maximum=AS_OF),
        Field("title", "string", "Short neutral title."),
        Field("category", "string", "Kind of event.", enum=EVENT_CATEGORIES),
        Field("tone", "string", "Tone of the event for US–Russia relations.", enum=TONES),
        Field("place_id", "string", "Where it happened, if a seed says.", required=False),
        Field("note", "string", "Coding notes.", required=False),
    ))
EVENTS_D = Table(name="events", path="data/events.csv", title="Events", description=EVENTS.description,
                 primary_key=EVENTS.primary_key, foreign_keys=EVENTS.foreign_keys,
                 fields=EVENTS.fields + (Field("sources", "integer", "Number of seeds that report the event.", minimum=1),))
EVENT_SOURCES, EVENT_SOURCES_D = _observation(
    "event_sources", "Event mentions", "One seed's mention of an event.", "mention_id", (
        Field("mention_id", "string", "Identifier.", pattern=_ID),
        Field("event_id", "string", "The event mentioned."),
    ), fks=(("event_id", "events", "event_id"),))
RELATIONS_T, RELATIONS_D = _observation(
    "relations", "Relations", "Russia's relation with a state or organisation, as a seed states it.", "relation_id", (
        Field("relation_id", "string", "Identifier.", pattern=_ID),
        Field("partner_id", "string", "The state or organisation (an actor)."),
        Field("relation", "string", "The relation as the seed states it.", enum=RELATIONS),
        Field("period", "string", "Period the statement refers to, if not the seed's present.", required=False),
    ), fks=(("partner_id", "actors", "actor_id"),))
PROPOSITIONS = Table(
    name="propositions", path="data/curated/propositions.csv", title="Propositions (curated)",
    description="Statements in neutral wording that one or more seeds' claims affirm or deny.",
    primary_key=("proposition_id",),
    fields=(Field("proposition_id", "string", "Identifier.", pattern=_ID),
            Field("statement", "string", "The proposition, in neutral wording."),
            Field("theme", "string", "Theme.", enum=THEMES)))
PROPOSITIONS_D = Table(
    name="propositions", path="data/propositions.csv", title="Propositions", description=PROPOSITIONS.description,
    primary_key=("proposition_id",), fields=PROPOSITIONS.fields + (
        Field("seeds_affirming", "integer", "Seeds that affirm it.", minimum=0),
        Field("seeds_denying", "integer", "Seeds that deny it.", minimum=0),
        Field("independent_affirming", "integer", "Independent groups of seeds that affirm it: seeds that share a "
              "publisher, link to each other or paraphrase one upstream text count once.", minimum=0),
        Field("status", "string", "corroborated (two or more independent seeds affirm, none deny), single-source "
              "(one independent source, however many seeds), or contradicted (seeds disagree). Says nothing about "
              "truth: see verdict.", enum=PROPOSITION_STATUSES),
        Field("verdict", "string", "What the world says of the proposition at the as-of date (verifications).",
              enum=VERDICTS)))
CLAIMS, CLAIMS_D = _observation(
    "claims", "Claims", "An assessment or statement a seed makes, tied to a proposition.", "claim_id", (
        Field("claim_id", "string", "Identifier.", pattern=_ID),
        Field("proposition_id", "string", "The proposition the claim affirms or denies."),
        Field("stance", "string", "Whether the claim describes cooperation or confrontation.", enum=STANCES),
        Field("polarity", "string", "Whether the claim affirms or denies the proposition.", enum=POLARITIES),
    ), fks=(("proposition_id", "propositions", "proposition_id"),))
CORRECTIONS, CORRECTIONS_D = _observation(
    "corrections", "Passage judgements", "A seed passage that no other table codes, judged on its own: an erratum "
    "(outdated, exaggerated, garbled, wrong or unsupported) with its correction, or a passage whose suspected error "
    "the references do not bear out.", "correction_id", (
        Field("correction_id", "string", "Identifier.", pattern=_ID),
        Field("kind", "string", "The verdict on the passage (the errata are those outdated, exaggerated, garbled, "
              "wrong or unsupported).", enum=VERDICTS),
        Field("changed_on", "date", "For an outdated passage: when it stopped holding.", required=False,
              pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$"),
        Field("correction", "string", "The correction."),
        Field("reference", "string", "Bibliography keys of the references for the correction (references.bib), "
              "separated by '; '."),
        Field("later_events", "boolean", "True when the correction relies on events after the seed was written."),
        Field("reference_excerpt", "string", "Verbatim excerpt of the first external reference, as read; empty "
              "when the correction rests on the seeds alone.", required=False, max_length=QUOTE_MAX, multiline=True),
        Field("accessed", "date", "Date the reference was read.", required=False, pattern=_DATE),
    ))
OUTLOOK, OUTLOOK_D = _observation(
    "outlook", "Outlook", "A forward-looking statement of a seed.", "statement_id", (
        Field("statement_id", "string", "Identifier.", pattern=_ID),
        Field("horizon", "string", "How far ahead it looks: near (about a year), medium (a few years), long "
              "(a decade or more).", enum=HORIZONS),
        Field("theme", "string", "Theme.", enum=THEMES),
        Field("direction", "string", "Whether relations are expected to improve or worsen.", enum=DIRECTIONS),
        Field("conditions", "string", "Conditions the seed attaches, if any.", required=False),
    ))
NOISE, NOISE_D = _observation(
    "noise", "Noise", "A span of seed text that is not content: advertisements, navigation, page furniture.",
    "noise_id", (
        Field("noise_id", "string", "Identifier.", pattern=_ID),
        Field("kind", "string", "Kind of noise.", enum=NOISE_KINDS),
        Field("occurrence", "integer", "Which occurrence of the quote in the seed (1 = first).", minimum=1),
    ))
EXCLUSIONS, EXCLUSIONS_D = _observation(
    "exclusions", "Exclusions", "A passage holding candidate facts deliberately not coded, with the reason.",
    "exclusion_id", (
        Field("exclusion_id", "string", "Identifier.", pattern=_ID),
        Field("reason", "string", "Why the passage is not coded."),
    ))
ERAS, ERAS_D = _observation(
    "eras", "Eras", "Periods of the relationship as a seed divides it; the book's timeline uses them.", "era_id", (
        Field("era_id", "string", "Identifier.", pattern=_ID),
        Field("from_year", "integer", "First year of the era.", minimum=1700, maximum=AS_OF_YEAR),
        Field("to_year", "integer", "Year the era ends and the next begins (for the last era, the as-of year at "
              "most).", minimum=1700, maximum=AS_OF_YEAR),
        Field("label", "string", "Name of the era, after the seed's wording."),
    ))
_REFERENCE = Field("reference", "string", "Bibliography keys of the public references read (references.bib), "
                   "separated by '; '.")
_EXCERPT = Field("reference_excerpt", "string", "Short verbatim excerpt of the first reference, as read.", max_length=QUOTE_MAX, multiline=True)
_ACCESSED = Field("accessed", "date", "Date the reference was read.", pattern=_DATE)

VERIFICATIONS = Table(
    name="verifications", path="data/curated/verifications.csv", title="Verifications (curated)",
    description="A judgement of a proposition, claim, relation or trade figure against the world as it stood at "
                "the book's as-of date (31 January 2026), with the reference read and an excerpt of it. Separate "
                "from corroboration, which only counts independent seeds.",
    primary_key=("verification_id",),
    fields=(
        Field("verification_id", "string", "Identifier.", pattern=_ID),
        Field("subject_table", "string", "Table of the statement judged.", enum=SUBJECT_TABLES),
        Field("subject_id", "string", "Identifier of the statement in that table."),
        Field("verdict", "string", "; ".join(f"{k}: {v}" for k, v in VERDICT_NOTES.items()) + ".", enum=VERDICTS),
        Field("changed_on", "date", "For an outdated statement: when it stopped holding.", required=False,
              pattern=_DATE),
        Field("what_changed", "string", "For an outdated statement: what changed.", required=False),
        Field("reference", "string", _REFERENCE.description + " Required unless the verdict is opinion or "
              "unverifiable.", required=False),
        Field("reference_excerpt", "string", _EXCERPT.description, required=False, max_length=QUOTE_MAX, multiline=True),
        Field("accessed", "date", _ACCESSED.description, required=False, pattern=_DATE),
        Field("note", "string", "The reasoning: for opinion, why it is one; for unverifiable, the searches tried."),
    ))
VERIFICATIONS_D = Table(
    name="verifications", path="data/verifications.csv", title="Verifications",
    description=VERIFICATIONS.description, primary_key=VERIFICATIONS.primary_key,
    fields=VERIFICATIONS.fields + (
        Field("statement", "string", "The statement judged: a proposition's wording, or the quote of a claim, "
              "relation or figure."),
        Field("seeds", "string", "The seeds that make the statement, separated by ', '."),
    ))
SOURCE_DEPENDENCIES, SOURCE_DEPENDENCIES_D = _observation(
    "source_dependencies", "Source dependencies", "Evidence that a seed is not independent of another seed or of "
    "an upstream text: a shared publisher, a link, a shared paraphrase or a rewrite of a report. Seeds joined by "
    "dependencies count as one source when claims are cross-checked.", "dependency_id", (
        Field("dependency_id", "string", "Identifier.", pattern=_ID),
        Field("depends_on", "string", "Another seed (seed id) or an upstream text (bibliography key)."),
        Field("kind", "string", "Kind of dependence.", enum=DEPENDENCY_KINDS),
        Field("other_quote", "string", "Matching passage of the other seed, verbatim; empty for an upstream text.",
              required=False, max_length=QUOTE_MAX, multiline=True),
        Field("reference", "string", "Bibliography keys of the upstream text or of the evidence read, if any.",
              required=False),
        Field("reference_excerpt", "string", "Verbatim excerpt of the first reference, as read.", required=False, max_length=QUOTE_MAX, multiline=True),
        Field("accessed", "date", _ACCESSED.description, required=False, pattern=_DATE),
        Field("note", "string", "What the evidence shows."),
    ))
CONTEXT_EVENTS = Table(
    name="context_events", path="data/curated/context_events.csv", title="Context events (curated)",
    description="Developments between the oldest seed and the as-of date that bear on the seeds' statements, each "
                "from a public reference read, with an excerpt. They are not seed events and are never counted as "
                "such.",
    primary_key=("context_id",),
    fields=(
        Field("context_id", "string", "Identifier.", pattern=_ID),
        Field("date", "date", "Date (ISO 8601; year or year-month allowed).", pattern=_DATE),
        Field("date_precision", "string", "Precision of the date.", enum=DATE_PRECISIONS),
        Field("title", "string", "Short neutral title."),
        Field("category", "string", "Kind of development.", enum=EVENT_CATEGORIES),
        Field("tone", "string", "Tone for US–Russia relations.", enum=TONES),
        _REFERENCE, _EXCERPT, _ACCESSED,
        Field("bears_on", "string", "Propositions, corrections or events whose seed statements it bears on, as "
              "'table:id', separated by '; '.", required=False),
    ))
CONTEXT_EVENTS_D = Table(
    name="context_events", path="data/context_events.csv", title="Context events",
    description=CONTEXT_EVENTS.description, primary_key=CONTEXT_EVENTS.primary_key,
    fields=CONTEXT_EVENTS.fields + (
        Field("after_seeds", "string", "Seeds written before the development (their estimated date is earlier), "
              "separated by ', '.", required=False),))

# -- the subject as data: facts the chapters teach beyond the seeds, each from a public reference read ----------
_CITED = (Field("reference", "string", "Bibliography keys of the public references read (references.bib), "
                "separated by '; '; the excerpt comes from the first."),
          Field("reference_excerpt", "string", "Short verbatim excerpt of the first reference, as read.",
                max_length=QUOTE_MAX, multiline=True),
          Field("accessed", "date", "Date the reference was read.", pattern=_DATE))
_LATEST = AS_OF    # nothing after the as-of date (a postscript is prose, not data)


def _subject(name, title, description, key, fields, latest=True):
    t = Table(name=name, path=f"data/curated/{name}.csv", title=f"{title} (curated)", description=description,
              primary_key=(key,), fields=fields + _CITED)
    return t, replace(t, path=f"data/{name}.csv", title=title)


CHRONOLOGY, CHRONOLOGY_D = _subject(
    "chronology", "Chronology", "A dated event of US–Russia relations (or of Russia and the West that shaped them), "
    "from the founding of relations to the as-of date, each from a public reference read.", "event_id", (
        Field("event_id", "string", "Identifier.", pattern=_ID),
        Field("date", "date", "Date (ISO 8601; year or year-month allowed).", pattern=_DATE, maximum=AS_OF),
        Field("date_precision", "string", "Precision of the date.", enum=DATE_PRECISIONS),
        Field("title", "string", "What happened, in one line.", max_length=160),
        Field("category", "string", "Kind of event.", enum=CHRONOLOGY_CATEGORIES),
        Field("tone", "string", "Tone for US–Russia relations.", enum=TONES),
        Field("actors", "string", "Who acted, separated by ';' (" + ", ".join(CHRONOLOGY_ACTORS) + ")."),
        Field("seed_event", "string", "The seed event (data/events.csv) this is, when a seed mentions it.",
              required=False),
    ))
TREATIES, TREATIES_D = _subject(
    "treaties", "Arms-control treaties", "A milestone of an arms-control treaty or agreement between the United "
    "States and the Soviet Union or Russia: signature, entry into force, extension, suspension, withdrawal, "
    "expiry.", "milestone_id", (
        Field("milestone_id", "string", "Identifier.", pattern=_ID),
        Field("treaty_id", "string", "Identifier of the treaty.", pattern=_ID),
        Field("treaty", "string", "Name of the treaty."),
        Field("milestone", "string", "What happened.", enum=MILESTONES),
        Field("date", "date", "Date (ISO 8601).", pattern=_DATE, maximum=AS_OF),
        Field("date_precision", "string", "Precision of the date.", enum=DATE_PRECISIONS),
        Field("actor", "string", "Who acted: us, russia, soviet-union, both or other."),
        Field("note", "string", "What the milestone meant.", required=False),
    ))
MEASURES, MEASURES_D = _subject(
    "measures", "Sanctions and counter-measures", "A sanction, export control, trade-status change, price cap, "
    "tariff or counter-measure in the economic confrontation over Russia, with who imposed it on whom.",
    "measure_id", (
        Field("measure_id", "string", "Identifier.", pattern=_ID),
        Field("date", "date", "Date it was announced or took effect (ISO 8601).", pattern=_DATE, maximum=AS_OF),
        Field("imposed_by", "string", "Who imposed it.", enum=MEASURE_PARTIES),
        Field("target", "string", "On whom.", enum=MEASURE_PARTIES),
        Field("kind", "string", "Kind of measure.", enum=MEASURE_KINDS),
        Field("title", "string", "What it did, in one line.", max_length=200),
        Field("legal_basis", "string", "Law, order or decision it rests on.", required=False),
    ))
TRADE_SERIES_T, TRADE_SERIES_D = _subject(
    "trade_series", "Official trade and investment series", "One official annual figure of US–Russia trade or "
    "direct investment: goods from the Census Bureau, services and direct-investment positions from the Bureau of "
    "Economic Analysis, as published.", "series_id", (
        Field("series_id", "string", "Identifier: the series and the year.", pattern=_ID),
        Field("year", "integer", "Calendar year.", minimum=1992, maximum=AS_OF_YEAR),
        Field("series", "string", "The series: goods or services exports (US to Russia) or imports, or a direct-"
              "investment position at year end.", enum=TRADE_SERIES),
        Field("value_usd_bn", "number", "Value in US$ billion, current dollars.", unit="USD billion", minimum=0),
        Field("agency", "string", "Statistical agency.", enum=AGENCIES),
        Field("table", "string", "The release or table the figure is published in."),
        Field("note", "string", "Basis or caveat.", required=False),
    ))
FACTS, FACTS_D = _subject(
    "facts", "Facts", "A quantitative or undated fact a chapter uses that fits none of the other subject tables.",
    "fact_id", (
        Field("fact_id", "string", "Identifier.", pattern=_ID),
        Field("chapter", "string", "The chapter that uses it.", enum=("history", "current-state", "europe-asia",
                                                                      "trade", "outlook")),
        Field("statement", "string", "The fact, in one sentence."),
        Field("value", "number", "Its number, if any.", required=False),
        Field("unit", "string", "Unit of the number.", required=False),
        Field("year", "integer", "Year the number refers to (a target year, such as the end of a phase-out, may lie "
              "after the as-of date).", required=False, minimum=1800, maximum=2050),
    ))
SCENARIOS, SCENARIOS_D = _subject(
    "scenarios", "Scenarios", "A scenario for US–Russia relations after the as-of date, from a named, published "
    "analysis, with its drivers and the indicators that would show it unfolding.", "scenario_id", (
        Field("scenario_id", "string", "Identifier.", pattern=_ID),
        Field("name", "string", "Short name."),
        Field("summary", "string", "What the scenario is."),
        Field("drivers", "string", "What would bring it about."),
        Field("indicators", "string", "What to watch."),
        Field("analysis_by", "string", "Who argues it."),
    ))
# The tables every "How the sources tell it" box reads (usrubook.chapter.account.sources_box), besides the table
# of each statement it names: a chapter that draws a box depends on them as on the tables it loads itself.
SOURCES_BOX_TABLES = ("sources", "judgements")
SUBJECT_TABLES_OF_BOOK = ("chronology", "treaties", "measures", "trade_series", "facts", "scenarios")

JUDGEMENTS = Table(
    name="judgements", path="data/judgements.csv", title="Judgements (computed)",
    description="Every judged seed passage once, with the one judgement it has: a claim's own verification or its "
                "proposition's, a relation's or trade figure's verification, or a correction. Two judgements of "
                "overlapping passages never disagree (make data refuses them). The errata are the rows whose verdict "
                "is outdated, exaggerated, garbled, wrong or unsupported.",
    primary_key=("judgement_id",), foreign_keys=(("source_id", "sources", "source_id"),),
    fields=(
        Field("judgement_id", "string", "Identifier: the table and row of the passage judged.", pattern=_ID),
        Field("subject", "string", "The passage judged, as 'table:id'."),
        *(VERIFICATIONS.field(n) for n in ("verdict", "changed_on", "what_changed")),
        Field("explanation", "string", "The reasoning or the correction.", required=False),
        Field("reference", "string", _REFERENCE.description, required=False),
        Field("reference_excerpt", "string", _EXCERPT.description, required=False, max_length=QUOTE_MAX,
              multiline=True),
        Field("accessed", "date", _ACCESSED.description, required=False, pattern=_DATE),
        Field("kept_in", "string", "Where the judgement is kept: corrections, or verifications and whose."),
        _SOURCE, _QUOTE) + _LOCATION)

MENTIONS = Table(
    name="mentions", path="data/mentions.csv", title="Mentions (computed)",
    description="How often each seed names each actor or place in its content (noise excluded), through the "
                "gazetteer of aliases; overlapping names count once, the longest winning.",
    primary_key=("source_id", "entity_id"), foreign_keys=(("source_id", "sources", "source_id"),),
    fields=(_SOURCE, Field("entity_id", "string", "An actor_id or place_id."),
            Field("entity_kind", "string", "actor or place.", enum=("actor", "place")),
            Field("count", "integer", "Number of mentions.", minimum=1)))
COVERAGE = Table(
    name="coverage", path="data/coverage.csv", title="Coverage (computed)",
    description="Every candidate fact found in the seeds' content: each year, date, money amount and percentage "
                "(by occurrence) and each named actor or place (once per seed), with the row that accounts for it.",
    primary_key=("candidate_id",), foreign_keys=(("source_id", "sources", "source_id"),),
    fields=(Field("candidate_id", "string", "Identifier.", pattern=_ID), _SOURCE,
            Field("kind", "string", "Kind of candidate fact.", enum=CANDIDATE_KINDS),
            Field("text", "string", "The text found (for entities, the entity id)."),
            Field("start", "integer", "Offset of the first occurrence in the seed.", minimum=0),
            Field("paragraph", "integer", "Paragraph of that occurrence.", minimum=1),
            Field("status", "string", "covered by a data row, excluded with a reason, or a gap.",
                  enum=COVERAGE_STATUSES),
            Field("accounted_by", "string", "table:row id of the row that covers or excludes it.", required=False)))

# A book whose seeds need no exclusion, hold no page noise or depend on nothing has none of these rows.
NOISE, EXCLUSIONS, SOURCE_DEPENDENCIES = (replace(t, may_be_empty=True) for t in (NOISE, EXCLUSIONS,
                                                                                  SOURCE_DEPENDENCIES))
CURATED = {t.name: t for t in (TRADE_CURATED, ACTORS, PLACES, EVENTS, EVENT_SOURCES, RELATIONS_T, PROPOSITIONS,
                                CLAIMS, CORRECTIONS, OUTLOOK, ERAS, NOISE, EXCLUSIONS, VERIFICATIONS,
                                SOURCE_DEPENDENCIES, CHRONOLOGY, TREATIES, MEASURES, TRADE_SERIES_T,
                                FACTS, SCENARIOS)}
DERIVED = {t.name: t for t in (SOURCES_DERIVED, TRADE, TRADE_RECONCILIATION, ACTORS_D, PLACES_D, EVENTS_D,
                                EVENT_SOURCES_D, RELATIONS_D, PROPOSITIONS_D, CLAIMS_D, CORRECTIONS_D, OUTLOOK_D,
                                ERAS_D, NOISE_D, EXCLUSIONS_D, MENTIONS, COVERAGE, VERIFICATIONS_D, JUDGEMENTS,
                                SOURCE_DEPENDENCIES_D, CHRONOLOGY_D, TREATIES_D, MEASURES_D,
                                TRADE_SERIES_D, FACTS_D, SCENARIOS_D)}
