"""Shared code of the book "US–Russia Relations: an executable research book".

Chapters use four things from here (one way to do each):

* :func:`load` reads a derived table from ``data/``, :func:`datapackage_descriptor` its descriptor;
* :func:`setup` switches on the house chart renderer and theme;
* :func:`glue_value` glues a formatted figure for the prose, :func:`glue_count` a counted noun
  ("1 event", "31 events"), :func:`glue_markdown` a generated paragraph; :func:`count`, :func:`plural`, :func:`listing` and :func:`share` write
  counts, plurals and lists the same way everywhere;
* :func:`table` shows a DataFrame as a numbered, captioned table.

Names are imported lazily so that ``python -m usrubook.pipeline.derive`` does not load
pandas or Altair.
"""
from importlib import import_module

_EXPORTS = {"book_root": "paths", "load": "chapter.data", "datapackage_descriptor": "chapter.data", "setup": "chapter.charts",
            "glue_value": "chapter.prose", "glue_count": "chapter.prose", "glue_markdown": "chapter.prose",
            "count": "chapter.prose", "plural": "chapter.prose", "listing": "chapter.prose", "share": "chapter.prose",
            "number": "chapter.prose",
            "theme_label": "chapter.prose", "times": "chapter.prose", "lower_first": "chapter.prose",
            "table": "chapter.tables", "sources_box": "chapter.account"}
__all__ = list(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(import_module(f"usrubook.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'usrubook' has no attribute {name!r}")
