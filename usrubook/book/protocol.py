"""What chapter outputs and the book build agree on, in one leaf module (it imports nothing of the book).

A chart output (:mod:`usrubook.chapter.charts`) carries a ``<div class="usrubook-chart">``
for the web page and its Vega-Lite spec under :data:`MIME` for the PDF; the
build (:mod:`usrubook.book.vega`, :mod:`usrubook.book.mimerender`,
:mod:`usrubook.book.html`) reads them by these names. The build starts each chapter's kernel with the
environment variable :data:`CHAPTER_ENV` set to the chapter's path (from the book's root, e.g.
"chapters/trade.md"; :mod:`usrubook.book.execution`), so that an error can name the chapter and its line
(:mod:`usrubook.chapter.data`). When the build executes several pages, it also tells each kernel the socket of
one vl-convert for all of them in :data:`CONVERTER_ENV` (:mod:`usrubook.book.vlserver`), which the chapters'
chart code asks through :func:`convert`.
"""
from __future__ import annotations

import functools
import json
import os
import socket

CHART_CLASS = "usrubook-chart"
CHAPTER_ENV = "USRUBOOK_CHAPTER"
MIME = "application/vnd.usrubook.vegalite+json"


@functools.lru_cache(maxsize=None)
def vl_version() -> str:
    """The Vega-Lite version of the installed Altair as vl-convert names it, e.g. "6.4". Read from Altair's files
    (``altair/vegalite/__init__.py`` names the schema it exports, whose ``SCHEMA_VERSION`` is the version), so
    that the build does not import Altair (0.12 s) for it; from Altair itself if its files say otherwise."""
    import importlib.util
    import re
    from pathlib import Path

    spec = importlib.util.find_spec("altair")
    try:
        vegalite = Path(spec.origin).parent / "vegalite"
        exported = re.search(r"^from \.(v\d+) import \*", (vegalite / "__init__.py").read_text("utf-8"), re.M)
        schema = (vegalite / exported.group(1) / "schema" / "__init__.py").read_text("utf-8")
        return re.search(r'^SCHEMA_VERSION = "v(\d+\.\d+)\.', schema, re.M).group(1)
    except (AttributeError, OSError, TypeError):
        import altair as alt

        return ".".join(alt.VEGALITE_VERSION.split(".")[:2])


CONVERTER_ENV = "USRUBOOK_VL_CONVERTER"
# Only the compiling: vl-convert's SVG names its gradients and clip paths by a count kept in its process, so one
# drawing for several kernels would depend on the order they asked in.
CONVERTER_FUNCTIONS = ("vegalite_to_vega",)
CONVERTER_TIMEOUT = 120       # seconds a kernel waits for an answer before it converts the chart itself


def convert(function: str, spec: dict, **kwargs):
    """``vl_convert.<function>(spec, **kwargs)``: by the build's converter (:mod:`usrubook.book.vlserver`) when the
    kernel has one (``$USRUBOOK_VL_CONVERTER``), else here. The converter's answer is vl-convert's; a chart it
    cannot convert, or no answer, and the chart is converted here, where an error is raised as vl-convert raises
    it."""
    path = os.environ.get(CONVERTER_ENV)
    if path and function in CONVERTER_FUNCTIONS:
        try:
            answer = _ask(path, {"function": function, "spec": spec, "kwargs": kwargs})
        except (OSError, ValueError, TypeError):       # not reached, not sent (not JSON), or no answer
            answer = None
        if answer is not None and "result" in answer:
            return answer["result"]
    import vl_convert

    return getattr(vl_convert, function)(spec, **kwargs)


def _ask(path: str, request: dict) -> dict:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(CONVERTER_TIMEOUT)
        conn.connect(path)
        conn.sendall(json.dumps(request).encode("utf-8") + b"\n")
        conn.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := conn.recv(1 << 16):
            chunks.append(chunk)
    return json.loads(b"".join(chunks).decode("utf-8"))
