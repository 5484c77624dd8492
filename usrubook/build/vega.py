"""The Vega, Vega-Lite and vega-embed JavaScript the web book serves itself.

vl-convert bundles the three libraries with a snippet that draws every
``<div class="usrubook-chart">`` from the JSON spec beside it. Making the bundle
takes over a second of CPU and depends only on the installed vl-convert and
Altair and on the snippet, so it is made once per environment and kept under
``<venv>/share/usrubook/``; builds copy it. This module does not import Altair,
so the Sphinx extension can check the cache cheaply.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import sys
from importlib.metadata import version
from pathlib import Path

from usrubook.build.protocol import CHART_CLASS, SHARED_MARKER, vl_version

EMBED_OPTIONS = {"renderer": "svg", "mode": "vega-lite",
                 "actions": {"export": True, "source": False, "compiled": False, "editor": False}}

# Runs once the page is parsed: draws every chart div from its JSON spec.
SNIPPET = """
window.vegaEmbed = vegaEmbed; window.vega = vega; window.vegaLite = vegaLite;
function usrubookDrawCharts() {
  document.querySelectorAll("div.%(cls)s").forEach(function (el) {
    var node = document.getElementById(el.id + "-spec");
    if (!node || el.dataset.drawn) { return; }
    el.dataset.drawn = "1";
    var spec = JSON.parse(node.textContent);
    // Shared datasets (the world outlines) are served once per book by a script, not inlined per page.
    Object.keys(spec.datasets || {}).forEach(function (name) {
      var value = spec.datasets[name];
      if (typeof value === "string" && value.indexOf("%(marker)s") === 0) {
        spec.datasets[name] = window.usrubookShared[value.slice(%(marker_len)d)];
      }
    });
    vegaEmbed(el, spec, %(options)s).catch(function (err) {
      el.textContent = "This chart could not be drawn: " + err;
      console.error(err);
    });
  });
}
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", usrubookDrawCharts);
} else {
  usrubookDrawCharts();
}
""" % {"cls": CHART_CLASS, "options": json.dumps(EMBED_OPTIONS), "marker": SHARED_MARKER,
       "marker_len": len(SHARED_MARKER)}

def bundle_key() -> str:
    text = f"{version('vl-convert-python')} {version('altair')} {SNIPPET}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def bundle_cache() -> Path:
    return Path(sys.prefix) / "share" / "usrubook" / f"vega-bundle-{bundle_key()}.js"


def make_bundle() -> str:
    import vl_convert

    # The bundle declares top-level names (such as `_`) that clash with Sphinx's own
    # scripts when loaded as a classic script; a function scope keeps them private.
    bundle = vl_convert.javascript_bundle(SNIPPET, vl_version=vl_version())
    return (f"/* Vega, Vega-Lite and vega-embed, bundled by vl-convert; key {bundle_key()} */\n"
            "(function () {\n" + bundle + "\n})();\n")


def copy_cached(path: Path) -> bool:
    """Copy the environment's bundle to ``path``; False if there is none yet."""
    cached = bundle_cache()
    if not cached.is_file():
        return False
    if not path.is_file() or path.read_bytes() != cached.read_bytes():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cached, path)
    return True


def write_bundle(path: Path) -> None:
    """Write the bundle to ``path``, making and keeping the environment's copy first if needed."""
    from usrubook.pipeline.csvio import write_if_changed

    if copy_cached(path):
        return
    text = make_bundle()
    try:
        write_if_changed(bundle_cache(), text)
    except OSError:          # a read-only environment: write this build's copy only
        write_if_changed(path, text)
        return
    copy_cached(path)


if __name__ == "__main__":   # python -m usrubook.build.vega: prepare the environment's bundle
    write_bundle(bundle_cache())
    print(f"Vega bundle: {bundle_cache()}")
