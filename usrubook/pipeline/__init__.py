"""The evidence pipeline: seeds/ → data/curated/ → derive → data/.

``seeds`` reads and checks the seed articles; ``provenance`` finds every curated
quote in its seed; ``evidence``, ``trade`` and ``verification`` compute the
derived tables; ``derive`` writes them (``python -m usrubook.pipeline.derive``),
``validate`` checks the data package, ``coverage`` measures what the curation
accounts for. ``schema`` declares every table; ``csvio`` reads and writes them.
Nothing here imports pandas or Altair.
"""
