"""Put figures from the data into the prose with myst-nb glue."""
from __future__ import annotations


class Glued:
    """A figure formatted for prose; its plain-text form is the text itself (no quotes)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


def glue_value(name: str, value, fmt: str = "{:,.1f}") -> str:
    """Glue ``value`` under ``name`` for ``{glue}`name``` in the prose, formatted with ``fmt``."""
    from myst_nb import glue

    text = value if isinstance(value, str) else fmt.format(value)
    glue(name, Glued(text), display=False)
    return text

