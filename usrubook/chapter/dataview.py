"""A chart's "Data" view: the rows it draws, with their quotes and passage links.

Web readers get it as a table in a ``<details>`` element beside the chart (keyboard-reachable, and
the chart's long description through ``aria-details``); print readers get the same rows as a table
in the PDF (:mod:`usrubook.book.mimerender`). The columns are what the chart's tooltips show, in
the same order and with the same titles and number formats, so the view says no more and no less
than the chart.
"""
from __future__ import annotations

import html
import re

from usrubook.chapter.prose import count

_MARK_NAMES = {"bar": "Bars", "rect": "Cells", "point": "Points", "circle": "Points", "square": "Points",
               "tick": "Ticks", "rule": "Lines", "line": "Lines", "area": "Areas", "geoshape": "Areas"}


def _inline_rows(data, datasets) -> list[dict] | None:
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("values"), list):
        return data["values"]
    if "name" in data and isinstance(datasets.get(data["name"]), list):
        return datasets[data["name"]]
    return None


def views(spec: dict):
    """Every leaf view of a spec (layers and concatenations unfolded) with the rows it draws: its own or
    inherited inline data, or, for a view that looks its rows up in another dataset (a map's countries),
    that dataset."""
    datasets = spec.get("datasets", {})
    out = []

    def walk(view, inherited):
        rows = _inline_rows(view.get("data"), datasets)
        rows = inherited if rows is None else rows
        for key in ("layer", "hconcat", "vconcat", "concat"):
            for child in view.get(key, []):
                walk(child, rows)
        if "mark" in view:
            for step in view.get("transform", []):
                if "lookup" in step:
                    looked_up = _inline_rows(step.get("from", {}).get("data"), datasets)
                    if looked_up is not None:
                        rows = looked_up
            out.append((view, rows or []))

    walk(spec, None)
    return out


def _title(field: str) -> str:
    words = field.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _format(value, fmt: str | None) -> str:
    if value is None or value == "":
        return ""
    if fmt and isinstance(value, (int, float)) and not isinstance(value, bool):
        m = re.fullmatch(r"(,?)\.(\d+)([fd%])", fmt) or re.fullmatch(r"(,?)()(d)", fmt)
        if m:
            comma, digits, kind = m.groups()
            if kind == "%":
                return f"{value:{comma}.{digits}%}"
            return f"{value:{comma}.{digits or 0}f}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def data_tables(spec: dict) -> list[dict]:
    """The Data view: one table for each kind of mark that has a tooltip, as plain JSON
    (``title``, ``columns``, ``rows`` of cell strings, ``passages``: an anchor such as ``seed003-p51``
    or None for each row). Layers or panels that draw the same columns share one table."""
    tables: dict[tuple, dict] = {}
    for view, rows in views(spec):
        enc = view.get("encoding", {})
        tooltip = enc.get("tooltip")
        tooltip = tooltip if isinstance(tooltip, list) else [tooltip] if isinstance(tooltip, dict) else []
        fields = [t for t in tooltip if isinstance(t, dict) and t.get("field")]
        if not fields or not rows:
            continue
        mark = view["mark"] if isinstance(view["mark"], str) else view["mark"]["type"]
        if any(isinstance(r.get("passage"), str) for r in rows):
            # the Passage column links what the 'source' field names ("seed003, paragraph 51")
            fields = [t for t in fields if t["field"] != "source"]
        columns = [t.get("title") or _title(t["field"]) for t in fields]
        key = (tuple(columns),)
        table = tables.setdefault(key, {"title": _MARK_NAMES.get(mark, "Marks"), "columns": columns,
                                        "rows": [], "passages": [], "_seen": set()})
        for row in rows:
            cells = [_format(row.get(t["field"]), t.get("format")) for t in fields]
            if not any(cells):
                continue
            link = row.get("passage")
            passage = link.rsplit("#", 1)[1] if isinstance(link, str) and "#" in link else None
            if (tuple(cells), passage) in table["_seen"]:
                continue
            table["_seen"].add((tuple(cells), passage))
            table["rows"].append(cells)
            table["passages"].append(passage)
    out = [{k: v for k, v in t.items() if k != "_seen"} for t in tables.values() if t["rows"]]
    if len(out) == 1:
        out[0]["title"] = ""
    return out


PASSAGE_PAGE = "../evidence/source-texts.html"


def passage_label(anchor: str) -> str:
    seed, _, number = anchor.rpartition("-p")
    return f"{seed}, ¶{number}"


def summary_text(tables: list[dict]) -> str:
    rows = sum(len(t["rows"]) for t in tables)
    linked = any(p for t in tables for p in t["passages"])
    return f"Data: the {count(rows, 'row')} drawn" + (", with quotes and passage links" if linked else "")


def html_tables(tables: list[dict], elem: str) -> str:
    """The Data view as HTML: a ``<details>`` element whose summary names what it holds."""
    if not tables:
        return ""
    parts = [f'<details class="usrubook-chart-data" id="{elem}-data">',
             f"<summary>{html.escape(summary_text(tables))}</summary>"]
    for table in tables:
        linked = any(table["passages"])
        head = "".join(f'<th scope="col">{html.escape(c)}</th>' for c in table["columns"])
        head += '<th scope="col">Passage</th>' if linked else ""
        body = []
        for cells, anchor in zip(table["rows"], table["passages"], strict=True):
            tds = "".join(f"<td>{html.escape(c)}</td>" for c in cells)
            if linked:
                tds += (f'<td><a href="{PASSAGE_PAGE}#{anchor}">{html.escape(passage_label(anchor))}</a></td>'
                        if anchor else "<td></td>")
            body.append(f"<tr>{tds}</tr>")
        caption = f"<caption>{html.escape(table['title'])}</caption>" if table["title"] else ""
        parts.append(f'<div class="usrubook-table-scroll" tabindex="0" role="region" aria-label="'
                     f'{html.escape(table["title"] or "Chart data")}"><table class="usrubook-data-table">'
                     f"{caption}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")
    parts.append("</details>\n")
    return "\n".join(parts)


# A text the Data view shows (a seed's words, an event's title) is sent once: in the Data view. The chart's spec
# names the cell instead, and the page script (usrubook-charts.js) reads the text back from the Data view before it
# draws the chart; the build does the same with the tables themselves (:func:`resolve_cells`).
CELL_KEY = "usrubook_cell"
SHARED_MIN_CHARS = 32   # a reference takes about 30 characters


def _rows_of(vega: dict):
    for spec in (vega, (vega.get("usermeta") or {}).get("narrow") or {}):
        for data in spec.get("data", []):
            values = data.get("values")
            if isinstance(values, list):
                yield from (row for row in values if isinstance(row, dict))


def share_cells(vega: dict, tables: list[dict]) -> dict:
    """``vega`` (a compiled spec, and its narrow variant) with every data value that a cell of the Data view
    ``tables`` shows verbatim, at least SHARED_MIN_CHARS long, replaced by ``{CELL_KEY: [table, row, column]}``."""
    index: dict[str, list[int]] = {}
    for t, table in enumerate(tables):
        for r, cells in enumerate(table["rows"]):
            for c, text in enumerate(cells):
                if len(text) >= SHARED_MIN_CHARS:
                    index.setdefault(text, [t, r, c])
    for row in _rows_of(vega):
        for key, value in row.items():
            if isinstance(value, str) and value in index:
                row[key] = {CELL_KEY: index[value]}
    return vega


def resolve_cells(vega: dict, tables: list[dict]) -> dict:
    """The inverse of :func:`share_cells`: each cell reference replaced by the text of that cell of ``tables``."""
    for row in _rows_of(vega):
        for key, value in row.items():
            if isinstance(value, dict) and CELL_KEY in value:
                t, r, c = value[CELL_KEY]
                try:
                    row[key] = tables[t]["rows"][r][c]
                except (IndexError, TypeError) as exc:
                    raise ValueError(f"a chart's data names cell {value[CELL_KEY]} of its Data view, which has no such "
                                     "cell") from exc
    return vega
