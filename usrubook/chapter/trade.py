"""Trade figures as chapters show them: reader-facing labels and chart-ready rows."""
from __future__ import annotations

from usrubook.chapter.charts import frame as json_frame

# Reader-facing names of the stated figures (implied rows take their source figure's name).
LABELS = {
    "total-trade-2022": "Total trade in goods and services",
    "total-deficit-2022": "Overall balance (goods and services)",
    "goods-exports-2022": "Goods exports to Russia",
    "goods-imports-2022": "Goods imports from Russia",
    "goods-deficit-2022": "Goods balance",
    "services-exports-2022": "Services exports to Russia",
    "services-imports-2022": "Services imports from Russia",
    "services-surplus-2022": "Services balance",
    "fdi-us-in-russia-2022": "US direct investment in Russia",
    "fdi-russia-in-us-2022": "Russian direct investment in the US",
}


def chart_frame(frame):
    """Trade rows ready for a chart: a reader's label, the basis (stated or implied) and the source."""
    out = frame.copy()
    if "label" not in out:
        key = out["derived_from"].fillna(out["figure_id"]) if "derived_from" in out else out["figure_id"]
        out["label"] = key.map(LABELS)
    if "basis" not in out and "derived" in out:
        out["basis"] = out["year"].astype(str) + out["derived"].map({True: ", implied", False: ", stated"})
    return json_frame(out)
