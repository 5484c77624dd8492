"""Validate ``data/datapackage.json`` and its tables with the frictionless library.

``python -m usrubook.pipeline.validate`` (run by ``make data``) prints one line per
error with the file, row and field, and exits 1 if the package is invalid.
"""
from __future__ import annotations

import sys

from usrubook.paths import book_root


def errors(root) -> list[str]:
    from frictionless import FrictionlessException, Package

    try:
        report = Package(str(root / "data" / "datapackage.json")).validate()
    except FrictionlessException as exc:
        return [f"data/datapackage.json: {exc.error.message}"]
    out = []
    for task in report.tasks:
        for err in task.errors:
            row = getattr(err, "row_number", None)
            field = getattr(err, "field_name", None)
            where = f"data/{task.place}" + (f", line {row}" if row else "") + (f", column '{field}'" if field else "")
            out.append(f"{where}: {err.message}")
    return out


def main() -> int:
    problems = errors(book_root())
    if problems:
        print("datapackage: invalid\n" + "\n".join(problems), file=sys.stderr)
        return 1
    print("datapackage: valid (frictionless)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
