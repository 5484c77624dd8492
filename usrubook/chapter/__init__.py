"""Helpers the chapters call: ``data`` (load a derived table), ``prose`` (glue figures and counted
nouns), ``tables`` (numbered tables), ``charts`` (the house theme and the renderer), and the
chapter-specific frames of ``events``, ``context``, ``verdicts`` and ``trade``."""
