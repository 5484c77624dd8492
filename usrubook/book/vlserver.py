"""One vl-convert for all the kernels of a build: charts compiled and drawn by a process of the build's own.

A chapter compiles each chart to Vega and draws it as SVG with vl-convert (:func:`usrubook.chapter.charts.
jupyter_render`). vl-convert's first call in a process starts its JavaScript engine: 0.45 s, in every kernel,
about 3 s of a clean build's CPU for the seven pages with charts. When a build executes more than one page,
it starts this process (``python -m usrubook.book.vlserver SOCKET``, :class:`usrubook.book.forkserver.Server`),
which starts the engine once; each kernel is told its socket in :data:`ENV` and has :func:`convert` ask it.
Answers are those of vl-convert in the kernel: the same library, the result passed as JSON (a Vega spec is
JSON; an SVG a string). If the process cannot be reached, or cannot convert a chart, the kernel converts it
itself, so an error is raised where it would have been, with its own type and message.
"""
from __future__ import annotations

import json
import os
import socket
import sys

ENV = "USRUBOOK_VL_CONVERTER"
FUNCTIONS = ("vegalite_to_vega", "vegalite_to_svg")
TIMEOUT = 120       # seconds a kernel waits for an answer before it converts the chart itself


def convert(function: str, spec: dict, **kwargs):
    """``vl_convert.<function>(spec, **kwargs)``: by the build's process when the kernel has one (``$ENV``), else
    here."""
    path = os.environ.get(ENV)
    if path and function in FUNCTIONS:
        try:
            answer = _ask(path, {"function": function, "spec": spec, "kwargs": kwargs})
        except (OSError, ValueError):
            answer = None
        if answer is not None and "result" in answer:
            return answer["result"]
    import vl_convert

    return getattr(vl_convert, function)(spec, **kwargs)


def _ask(path: str, request: dict) -> dict:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(TIMEOUT)
        conn.connect(path)
        conn.sendall(json.dumps(request).encode("utf-8") + b"\n")
        conn.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := conn.recv(1 << 16):
            chunks.append(chunk)
    return json.loads(b"".join(chunks).decode("utf-8"))


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
    from usrubook.book.forkserver import _die_with_parent

    _die_with_parent()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path + ".tmp")
    listener.listen(64)
    os.rename(path + ".tmp", path)
    _answer({"function": "vegalite_to_svg", "spec": {"mark": "point", "data": {"values": [{}]}}})   # the engine
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
