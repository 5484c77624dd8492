"""The trade computations: implied previous-year values and the reconciliation of the seed's arithmetic."""
import csv

import pytest

from usrubook.pipeline.csvio import read_table
from usrubook.pipeline.schema import CURATED
from usrubook.pipeline.trade import Interval, implied_prior, reconcile


@pytest.fixture(scope="module")
def curated(root):
    return read_table(root / "data/curated/trade.csv", CURATED["trade"])


def test_implied_prior_values():
    assert implied_prior("1.7", "-74").mid == pytest.approx(1.7 / 0.26)
    assert implied_prior("4.1", "2.5").mid == pytest.approx(4.1 / 1.025)
    low_high = implied_prior("1.7", "-74")
    assert low_high.lo == pytest.approx(1.65 / 0.265) and low_high.hi == pytest.approx(1.75 / 0.255)


def test_interval_reads_printed_precision():
    assert Interval.stated("1.7").lo == pytest.approx(1.65)
    assert Interval.stated("28").hi == pytest.approx(28.5)


def test_reconciliation_of_seed_003(curated):
    checks = {c["check_id"]: c for c in reconcile(curated)}
    assert set(checks) == {"total-trade", "goods-deficit", "services-surplus", "total-deficit-flows",
                           "total-deficit-balances", "goods-deficit-2021"}
    assert checks["total-trade"]["status"] == "agrees"
    assert checks["total-trade"]["computed_value"] == pytest.approx(20.2)
    assert checks["goods-deficit"]["status"] == "within rounding"
    assert checks["goods-deficit"]["difference"] == pytest.approx(-0.1)
    assert checks["total-deficit-balances"]["difference"] == pytest.approx(0.1)
    assert not [c for c in checks.values() if c["status"] == "mismatch"]


def test_reconciliation_names_a_real_mismatch(curated):
    rows = [dict(r) for r in curated]
    for r in rows:
        if r["figure_id"] == "total-trade-2022":
            r["_raw"] = {**r["_raw"], "value": "21.2"}
    checks = {c["check_id"]: c for c in reconcile(rows)}
    assert checks["total-trade"]["status"] == "mismatch"
    assert checks["total-trade"]["difference"] == pytest.approx(-1.0)


def test_reconciliation_table_is_committed(root):
    with open(root / "data/trade_reconciliation.csv", encoding="utf-8", newline="") as fh:
        rows = {r["check_id"]: r for r in csv.DictReader(fh)}
    assert rows["goods-deficit"]["status"] == "within rounding"
