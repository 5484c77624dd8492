"""Trade computations: implied previous-year values and the reconciliation of a seed's arithmetic.

A stated figure is read as the interval of its printed precision: "1.7" stands
for any value in [1.65, 1.75], "74%" for [73.5, 74.5]. Computations carry
intervals, so a check can say whether rounding alone explains a difference.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Interval:
    lo: float
    hi: float
    mid: float

    @classmethod
    def stated(cls, text: str) -> "Interval":
        decimals = len(text.split(".")[1]) if "." in text else 0
        half = 0.5 * 10 ** -decimals
        v = float(text)
        return cls(v - half, v + half, v)

    def __add__(self, o): return Interval(self.lo + o.lo, self.hi + o.hi, self.mid + o.mid)
    def __sub__(self, o): return Interval(self.lo - o.hi, self.hi - o.lo, self.mid - o.mid)

    def __truediv__(self, o):
        if o.lo <= 0 <= o.hi:
            raise ZeroDivisionError("interval divisor spans zero")
        q = [self.lo / o.lo, self.lo / o.hi, self.hi / o.lo, self.hi / o.hi]
        return Interval(min(q), max(q), self.mid / o.mid)

    def overlaps(self, o) -> bool:
        return self.lo <= o.hi and o.lo <= self.hi


def growth_factor(change_text: str) -> Interval:
    """1 + change/100 as an interval, from the change as printed (e.g. '-74')."""
    c = Interval.stated(change_text)
    return Interval(1 + c.lo / 100, 1 + c.hi / 100, 1 + c.mid / 100)


def implied_prior(value_text: str, change_text: str) -> Interval:
    """The previous year's value implied by a value and its stated percentage change."""
    return Interval.stated(value_text) / growth_factor(change_text)


def implied_rows(rows: list[dict]) -> list[dict]:
    """One derived row for each stated figure that carries a percentage change."""
    out = []
    for r in rows:
        if r["change_pct"] is None:
            continue
        prior = implied_prior(r["_raw"]["value"], r["_raw"]["change_pct"])
        base = r["figure_id"].rsplit("-", 1)[0] if r["figure_id"].endswith(str(r["year"])) else r["figure_id"]
        out.append({**{k: v for k, v in r.items() if not k.startswith("_")},
                    "figure_id": f"{base}-{r['year'] - 1}-implied", "year": r["year"] - 1,
                    "value": round(prior.mid, 3), "change_pct": None, "qualifier": "implied",
                    "derived": True, "derived_from": r["figure_id"]})
    return out


# Each check: id, description, the figure checked, the formula as text, and two
# functions of (v, p): the stated side and the recomputed side. v(id) is a stated
# figure, p(id) the previous-year value implied by its stated change.
CHECKS = [
    ("total-trade", "Goods and services exports plus imports equal the stated total trade.", "total-trade-2022",
     "goods-exports-2022 + goods-imports-2022 + services-exports-2022 + services-imports-2022",
     lambda v, p: v("total-trade-2022"),
     lambda v, p: v("goods-exports-2022") + v("goods-imports-2022") + v("services-exports-2022") + v("services-imports-2022")),
    ("goods-deficit", "Goods imports minus goods exports equal the stated goods deficit.", "goods-deficit-2022",
     "goods-imports-2022 - goods-exports-2022",
     lambda v, p: v("goods-deficit-2022"),
     lambda v, p: v("goods-imports-2022") - v("goods-exports-2022")),
    ("services-surplus", "Services exports minus services imports equal the stated services surplus.", "services-surplus-2022",
     "services-exports-2022 - services-imports-2022",
     lambda v, p: v("services-surplus-2022"),
     lambda v, p: v("services-exports-2022") - v("services-imports-2022")),
    ("total-deficit-flows", "All imports minus all exports equal the stated overall deficit.", "total-deficit-2022",
     "(goods-imports-2022 + services-imports-2022) - (goods-exports-2022 + services-exports-2022)",
     lambda v, p: v("total-deficit-2022"),
     lambda v, p: (v("goods-imports-2022") + v("services-imports-2022")) - (v("goods-exports-2022") + v("services-exports-2022"))),
    ("total-deficit-balances", "The goods deficit minus the services surplus equals the stated overall deficit.", "total-deficit-2022",
     "goods-deficit-2022 - services-surplus-2022",
     lambda v, p: v("total-deficit-2022"),
     lambda v, p: v("goods-deficit-2022") - v("services-surplus-2022")),
    ("goods-deficit-2021", "The 2021 goods deficit implied by its stated change equals implied 2021 goods imports "
     "minus implied 2021 goods exports.", "goods-deficit-2022",
     "implied(goods-imports-2022) - implied(goods-exports-2022), against implied(goods-deficit-2022)",
     lambda v, p: p("goods-deficit-2022"),
     lambda v, p: p("goods-imports-2022") - p("goods-exports-2022")),
]


def reconcile(rows: list[dict]) -> list[dict]:
    """Run every check whose figures the rows state (``rows`` as read, with their ``_raw`` texts)."""
    raw = {r["figure_id"]: r["_raw"] for r in rows}

    def v(key):
        return Interval.stated(raw[key]["value"])

    def p(key):
        if not raw[key]["change_pct"]:
            raise KeyError(key)   # no stated change, so no implied previous year
        return implied_prior(raw[key]["value"], raw[key]["change_pct"])

    out = []
    for check_id, description, stated_id, formula, stated_fn, computed_fn in CHECKS:
        try:
            stated, computed = stated_fn(v, p), computed_fn(v, p)
        except KeyError:
            continue   # the seed does not state a figure this check needs
        diff = computed.mid - stated.mid
        status = "agrees" if abs(diff) < 1e-9 else ("within rounding" if computed.overlaps(stated) else "mismatch")
        out.append({"check_id": check_id, "description": description, "formula": formula,
                    "stated_figure_id": stated_id, "stated_value": round(stated.mid, 3),
                    "computed_value": round(computed.mid, 3), "difference": round(diff, 3),
                    "computed_low": round(computed.lo, 3), "computed_high": round(computed.hi, 3), "status": status})
    return out
