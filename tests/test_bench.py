"""The benchmark's report: every figure with its budget, a last line naming those over, and an exit status that
fails only when asked to (``--strict``); the figures themselves come from ``make bench``, not from a test."""
from __future__ import annotations

import importlib.util

from conftest import ROOT


def _bench():
    spec = importlib.util.spec_from_file_location("bench", ROOT / "benchmarks" / "bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_report_names_the_figures_over_budget_and_fails_only_when_strict(capsys):
    bench = _bench()
    over = bench.print_rows([("clean build", "37.5 s", "<= 16.0 s", False), ("no-op", "0.0 s", "<= 1.5 s", True),
                             ("floor", "10.7 s", "pages", None), ("prose edit", "6.3 s", "<= 3.0 s", False)])
    out = capsys.readouterr().out
    assert over == ["clean build", "prose edit"]
    assert out.splitlines()[-1] == "2 of 3 budgets over: clean build; prose edit"
    assert out.count("OVER BUDGET") == 2 and out.count("  ok") == 1
    assert bench._status(over, strict=False) == 0 and bench._status(over, strict=True) == 1
    assert bench.print_rows([("no-op", "0.0 s", "<= 1.5 s", True)]) == []
    assert capsys.readouterr().out.splitlines()[-1] == "The one budget is ok."
    assert bench._status([], strict=True) == 0
