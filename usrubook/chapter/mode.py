"""Where a chapter runs: in the book's build (charts and glued values for the web book and the PDF), or in Jupyter."""
from __future__ import annotations

import os


def jupyter_mode() -> bool:
    """Output for Jupyter: ``USRUBOOK_CHARTS=jupyter`` (``make lab`` sets it), or the code runs from a chapter's kit."""
    from usrubook.paths import in_kit

    return os.environ.get("USRUBOOK_CHARTS") == "jupyter" or in_kit()
