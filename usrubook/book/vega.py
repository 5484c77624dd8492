"""The Vega runtime the web book serves itself (``_static/usrubook-vega.js``).

Charts are compiled from Vega-Lite to Vega when a chapter runs
(:func:`usrubook.chapter.charts.web_spec`), so pages need only the Vega runtime,
not the Vega-Lite compiler or vega-embed: the minified build of the npm package
``vega``, pinned in ``package.json`` and installed by ``npm ci`` (``make npm``).
The page script ``_static/usrubook-charts.js`` draws each chart with it.
"""
from __future__ import annotations

import json
from pathlib import Path

from sphinx.errors import SphinxError


def _package(root: Path, name: str) -> tuple[Path, str]:
    folder = root / "node_modules" / name
    try:
        version = json.loads((folder / "package.json").read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError) as exc:
        raise SphinxError(f"usrubook: the npm package '{name}' is not installed in {root / 'node_modules'} "
                          f"({exc}); run `make npm` (npm ci) first.") from None
    return folder, version


def bundle(root: Path) -> str:
    """The text of ``usrubook-vega.js``: Vega's minified build with a line naming its version."""
    folder, version = _package(root, "vega")
    pinned = json.loads((root / "package.json").read_text(encoding="utf-8"))["dependencies"]["vega"]
    if version != pinned:
        raise SphinxError(f"usrubook: node_modules has vega {version}, package.json pins {pinned}; run `make npm`.")
    text = (folder / "build" / "vega.min.js").read_text(encoding="utf-8")
    return f"/* Vega {version} (BSD-3-Clause), from the npm package vega: build/vega.min.js */\n{text}\n"
