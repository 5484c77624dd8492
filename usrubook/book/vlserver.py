"""One vl-convert for all the kernels of a build: charts compiled by a process of the build's own.

A chapter compiles each chart to Vega with vl-convert (:func:`usrubook.chapter.charts.web_spec`). vl-convert's
first call in a process starts its JavaScript engine: 0.45 s, in every kernel, about 3 s of a clean build's
CPU for the seven pages with charts. When a build executes more than one page, it starts this process
(``python -m usrubook.book.vlserver SOCKET``, :class:`usrubook.book.forkserver.Server`), which starts the
engine once; each kernel is told its socket in ``$USRUBOOK_VL_CONVERTER`` and asks it
(:func:`usrubook.book.protocol.convert`, which the chapters' chart code calls). Answers are those of
vl-convert in the kernel: the same library, the result passed as JSON (a Vega spec is JSON). It only compiles:
an SVG drawn by vl-convert names its gradients and clip paths by a count kept in its process, so drawings made
for several kernels would depend on the order they asked in. If the process cannot be reached, or cannot
convert a chart, the kernel converts it itself, so an error is raised where it would have been, with its own
type and message.
"""
from __future__ import annotations

import json
import sys

from usrubook.book.protocol import CONVERTER_FUNCTIONS as FUNCTIONS
from usrubook.book.protocol import CONVERTER_TIMEOUT as TIMEOUT


def _answer(request: dict) -> dict:
    import vl_convert

    try:
        if request.get("function") not in FUNCTIONS:
            raise ValueError(f"not a conversion: {request.get('function')!r}")
        return {"result": getattr(vl_convert, request["function"])(request["spec"], **request.get("kwargs", {}))}
    except Exception as exc:        # noqa: BLE001 - the kernel converts the chart itself and raises the error
        return {"error": f"{type(exc).__name__}: {exc}"}


def serve(path: str) -> None:
    """Listen at ``path``, start vl-convert's engine, then answer one request per connection until terminated.
    Clients that connect before the engine is up wait in the queue."""
    from usrubook.book.forkserver import listen

    listener = listen(path)
    _answer({"function": "vegalite_to_vega", "spec": {"mark": "point", "data": {"values": [{}]}}})   # the engine
    while True:
        conn, _ = listener.accept()
        with conn:
            try:
                conn.settimeout(TIMEOUT)
                data = b""
                while chunk := conn.recv(1 << 16):
                    data += chunk
                answer = _answer(json.loads(data.decode("utf-8")))
                conn.sendall(json.dumps(answer).encode("utf-8"))
            except (OSError, ValueError):
                continue


if __name__ == "__main__":
    serve(sys.argv[1])
