"""Read CSV files strictly against a :class:`~usrubook.pipeline.schema.Table`, and write them deterministically."""
from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from pathlib import Path

from usrubook.errors import DataError
from usrubook.pipeline.schema import Table

_INT = re.compile(r"^-?\d+$")
_NUM = re.compile(r"^-?\d+(\.\d+)?$")


def read_text(path: Path, shown: str | None = None) -> str:
    """A file's text, decoded strictly as UTF-8."""
    shown = shown or str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(shown, "the file is missing.", fix="restore it from git (git checkout -- <file>).") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(shown, f"the file is not valid UTF-8 (byte {exc.start} cannot be decoded).", line=line,
                        fix="save the file as UTF-8 in your editor.") from None


def _date(shown: str, line: int, name: str, text: str) -> str:
    """An ISO 8601 date, full or partial (2022, 2022-11, 2022-11-14), that exists in the calendar."""
    import datetime

    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", text)
    if not m:
        raise DataError(shown, f"'{text}' is not an ISO 8601 date.", line=line, field=name,
                        fix="write YYYY, YYYY-MM or YYYY-MM-DD, e.g. 2022-11 or 2022-11-14.")
    year, month, day = (int(g) if g else None for g in m.groups())
    try:
        datetime.date(year, month or 1, day or 1)
    except ValueError as exc:
        raise DataError(shown, f"'{text}' is not a real date ({exc}).", line=line, field=name,
                        fix="check the month (01-12) and the day for that month.") from None
    return text


def convert(table: Table, shown: str, line: int, name: str, text: str):
    """Convert one cell to its schema type, or raise a :class:`DataError` naming it."""
    f = table.field(name)
    if text == "":
        if f.required:
            raise DataError(shown, "the value is empty but this column is required.", line=line, field=name,
                            fix=f"fill in {f.description[0].lower() + f.description[1:]}")
        return None
    if f.type == "integer":
        if not _INT.match(text):
            raise DataError(shown, f"'{text}' is not a whole number.", line=line, field=name,
                            fix="write digits only, e.g. 2022.")
        value = int(text)
    elif f.type == "number":
        if not _NUM.match(text):
            raise DataError(shown, f"'{text}' is not a number.", line=line, field=name,
                            fix="write a plain decimal number such as 14.4 (no units, commas or symbols).")
        value = float(text)
    elif f.type == "date":
        value = _date(shown, line, name, text)
    elif f.type == "boolean":
        if text not in ("true", "false"):
            raise DataError(shown, f"'{text}' is not true or false.", line=line, field=name,
                            fix="write true or false.")
        value = text == "true"
    else:
        value = text
    if f.enum is not None and text not in f.enum:
        raise DataError(shown, f"'{text}' is not an allowed value.", line=line, field=name,
                        fix="use one of: " + ", ".join(f.enum) + ".")
    if f.pattern is not None and not re.match(f.pattern, text):
        raise DataError(shown, f"'{text}' does not have the expected form {f.pattern}.", line=line, field=name,
                        fix=f"see the description of the column: {f.description}")
    if f.minimum is not None and value < f.minimum:
        raise DataError(shown, f"{text} is below the minimum {f.minimum:g}.", line=line, field=name,
                        fix=f"check the value: {f.description}")
    if isinstance(f.maximum, str) and text > f.maximum:
        # ISO dates compare as text; a partial date (2026) counts as its first day.
        raise DataError(shown, f"{text} is after the book's as-of date {f.maximum}.", line=line, field=name,
                        fix="check the date: the book's data stop at the as-of date, and nothing a seed reports "
                            "can be later than the seed itself.")
    if isinstance(f.maximum, (int, float)) and value > f.maximum:
        raise DataError(shown, f"{text} is above the maximum {f.maximum:g}.", line=line, field=name,
                        fix=f"check the value: {f.description}")
    if f.max_length is not None and len(text) > f.max_length:
        raise DataError(shown, f"the value is {len(text):,} characters long, more than a quote can plausibly be "
                               f"({f.max_length:,}); a double quote that closes an earlier value may be missing, "
                               "so that the value has swallowed the rows after it.", line=line, field=name,
                        fix="check where the value should end and close it with a double quote, or restore the "
                            "file from git (git diff -- <file>).")
    return value


def read_table(path: Path, table: Table, shown: str | None = None) -> list[dict]:
    """Rows of a CSV file as dicts of typed values; each row also carries ``_line`` and ``_raw``."""
    shown = shown or str(path)
    text = read_text(path, shown)
    if text.startswith("\ufeff"):
        raise DataError(shown, "the file starts with a byte-order mark.", line=1,
                        fix="save the file as UTF-8 without BOM.")
    _check_complete(shown, text)
    records = _records(shown, text)
    try:
        _, header = next(records)
    except StopIteration:
        raise DataError(shown, "the file is empty.", line=1, fix=f"write the header: {','.join(table.names)}") from None
    missing = [n for n in table.names if n not in header]
    extra = [n for n in header if n not in table.names]
    if missing:
        raise DataError(shown, f"the header lacks {'the column' if len(missing) == 1 else 'the columns'} {', '.join(missing)}.", line=1, field=missing[0],
                        fix=f"the header must be exactly: {','.join(table.names)}")
    if extra:
        raise DataError(shown, f"the header has {'an unknown column' if len(extra) == 1 else 'unknown columns'} {', '.join(extra)}.", line=1, field=extra[0],
                        fix=f"remove {'it' if len(extra) == 1 else 'them'}; the header must be exactly: {','.join(table.names)}")
    if header != table.names:
        raise DataError(shown, "the columns are in the wrong order.", line=1,
                        fix=f"the header must be exactly: {','.join(table.names)}")
    rows, seen = [], {}
    for line, raw in records:
        if not raw or all(not c.strip() for c in raw):
            continue
        if len(raw) != len(header):
            raise DataError(shown, f"the row has {len(raw)} fields, the header {len(header)}.", line=line,
                            fix="quote any value that contains a comma with double quotes.")
        _check_line_breaks(shown, table, header, raw, line)
        row = {"_line": line, "_raw": dict(zip(header, raw, strict=True))}
        for name, cell in zip(header, raw, strict=True):
            row[name] = convert(table, shown, line, name, cell)
        key = tuple(row[k] for k in table.primary_key)
        if key in seen:
            raise DataError(shown, f"duplicate {'/'.join(table.primary_key)} {'/'.join(map(str, key))} "
                                   f"(first used on line {seen[key]}).", line=line, field=table.primary_key[0],
                            fix="give every row its own identifier.")
        seen[key] = line
        rows.append(row)
    return rows


def records(text: str):
    """``(line, fields)`` for each record of a CSV text, the header first; ``line`` is the record's first line
    (a quoted value may span lines). Lenient: for reading what is on disk, not for checking it."""
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    for fields in reader:
        yield start, fields
        start = reader.line_num + 1


def _check_complete(shown: str, text: str) -> None:
    """A file cut short (an editor crash, a bad merge) ends without a line break or inside a quoted value."""
    if not text:
        return
    if "\r" in text:
        line = text[: text.index("\r")].count("\n") + 1
        raise DataError(shown, "the file has a carriage return (Windows line ending or a stray CR).", line=line,
                        fix="save the file with Unix (LF) line endings.")
    if not text.endswith("\n"):
        raise DataError(shown, "the file does not end with a line break, so its last row may be cut short (an "
                               "editor crash or a bad merge can truncate a file, and a cut quote is still a "
                               "passage of its seed).", line=text.count("\n") + 1,
                        fix="compare the last row with git (git diff -- <file>) and restore what is missing; "
                            "end the file with a line break.")


def _records(shown: str, text: str):
    """Like :func:`records`, but strict: a quote left open (a cut file, a lost double quote) is a located error."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "end of data" in str(exc):
                problem = (f"the file ends inside a quoted value that opens on line {start}: the file is cut "
                           "short or a closing double quote is missing, and every row after it would be lost.")
            else:
                problem = (f"the quoted value that opens on line {start} runs on past its end: its closing "
                           "double quote is probably missing, or a double quote inside it is not doubled (\"\").")
            raise DataError(shown, problem, line=start,
                            fix="close the value with a double quote where it should end, or restore the file "
                                "from git (git diff -- <file>).") from None
        yield start, fields
        start = reader.line_num + 1


def _check_line_breaks(shown: str, table: Table, header: list[str], raw: list[str], line: int) -> None:
    """Only a verbatim passage may span lines, and never one that holds what reads as the next rows."""
    for name, cell in zip(header, raw, strict=True):
        if "\n" not in cell:
            continue
        f = table.field(name)
        last = line + cell.count("\n")
        if not f.multiline:
            raise DataError(shown, f"the value runs from line {line} to line {last}, but only a quote may hold "
                                   "line breaks: a closing double quote is probably missing.", line=line,
                            field=name, fix="close the value with a double quote where it should end.")
        for offset, part in enumerate(cell.split("\n")[1:], start=1):
            fields = next(csv.reader([part]), [])
            if len(fields) >= len(header) - 1:
                raise DataError(shown, f"the value runs from line {line} to line {last}, and line "
                                       f"{line + offset} inside it reads like a row of its own ({len(fields)} "
                                       "fields): a closing double quote is probably missing.", line=line,
                                field=name, fix="close the value with a double quote where it should end.")


def format_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = f"{value:.3f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    return str(value)


def render_csv(table: Table, rows: list[dict]) -> str:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(table.names)
    for row in rows:
        writer.writerow([format_cell(row.get(n)) for n in table.names])
    return buf.getvalue()


def write_if_changed(path: Path, content: str | bytes) -> bool:
    """Write ``content`` (text as UTF-8, or bytes) atomically, and only if it differs, so that unchanged files keep
    their mtime."""
    return bool(write_all({path: content}))


def write_all(files: dict[Path, str | bytes]) -> list[Path]:
    """Write the files whose content differs (text as UTF-8, or bytes), all or nothing: each is staged in a
    temporary file beside it, and only when every one is staged are they renamed into place. Returns the paths
    written."""
    data = {path: c.encode("utf-8") if isinstance(c, str) else c for path, c in files.items()}
    changed = [path for path, content in data.items() if not path.is_file() or path.read_bytes() != content]
    umask = os.umask(0)
    os.umask(umask)
    staged = []
    try:
        for path in changed:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            staged.append((tmp, path))
            os.chmod(tmp, 0o666 & ~umask)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data[path])
        for tmp, path in staged:
            os.replace(tmp, path)
    finally:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
    return changed
