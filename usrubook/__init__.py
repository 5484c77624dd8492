"""Shared code of the book "US–Russia Relations: an executable research book".

Chapters use four things from here (one way to do each):

* :func:`load` reads a derived table from ``data/``, :func:`datapackage_descriptor` its descriptor;
* :func:`setup` switches on the house chart renderer and theme;
* :func:`glue_value` glues a formatted figure for the prose, :func:`glue_count` a counted noun
  ("1 event", "31 events"); :func:`count`, :func:`plural`, :func:`listing` and :func:`share` write
  counts, plurals and lists the same way everywhere;
* :func:`table` shows a DataFrame as a numbered, captioned table.

Names are imported lazily so that ``python -m usrubook.derive`` does not load
pandas or Altair.
"""
from importlib import import_module

_EXPORTS = {"book_root": "paths", "load": "data", "datapackage_descriptor": "data", "setup": "charts", "glue_value": "prose", "glue_count": "prose",
            "count": "prose", "plural": "prose", "listing": "prose", "share": "prose", "number": "prose",
            "theme_label": "prose", "times": "prose", "lower_first": "prose",
            "table": "tables"}
__all__ = list(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(import_module(f"usrubook.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'usrubook' has no attribute {name!r}")
