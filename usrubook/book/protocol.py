"""What chapter outputs and the book build agree on, in one leaf module (it imports nothing of the book).

A chart output (:mod:`usrubook.chapter.charts`) carries a ``<div class="usrubook-chart">``
for the web page and its Vega-Lite spec under :data:`MIME` for the PDF; the
build (:mod:`usrubook.book.vega`, :mod:`usrubook.book.mimerender`,
:mod:`usrubook.book.html`) reads them by these names. The build tells each chapter's kernel which chapter it
runs in the environment variable :data:`CHAPTER_ENV` (:mod:`usrubook.book.execution`), so that an error can
name the chapter's line (:mod:`usrubook.chapter.data`).
"""
from __future__ import annotations

CHART_CLASS = "usrubook-chart"
CHAPTER_ENV = "USRUBOOK_CHAPTER"
MIME = "application/vnd.usrubook.vegalite+json"


def vl_version() -> str:
    """The Vega-Lite version of the installed Altair as vl-convert names it, e.g. "6.4"."""
    import altair as alt

    return ".".join(alt.VEGALITE_VERSION.split(".")[:2])
