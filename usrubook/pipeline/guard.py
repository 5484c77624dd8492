"""Derived files are never silently lost or overwritten.

``make data`` records in ``data/checksums.sha256`` the SHA-256 of every file it writes
(``cd data && sha256sum -c checksums.sha256`` checks them). Before it writes again:

* a derived file whose bytes no longer match that record was edited by hand since;
  derive refuses to overwrite it, showing the first line that differs, unless the
  maintainer asks to discard the edit (``make data DISCARD=1``), and then it reports
  exactly what it discarded;
* a row of a curated table that was in the derived file and would no longer be
  (a file cut short, a bad merge, a deleted block) stops derive, naming the rows
  and the line of the curated file where they were, unless the removal is
  confirmed (``make data ALLOW_REMOVAL=1``).

All files are then written together: each to a temporary file first, then renamed
into place, so a failure leaves every file as it was.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from usrubook.errors import DataError
from usrubook.pipeline import csvio
from usrubook.pipeline.csvio import records
from usrubook.pipeline.schema import CURATED, DERIVED, SOURCES

SUMS = "data/checksums.sha256"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_sums(root: Path) -> dict[str, str] | None:
    """What derive last wrote: {path relative to the root: SHA-256}, or None before the first derive."""
    path = root / SUMS
    if not path.is_file():
        return None
    out = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64:
            raise DataError(SUMS, "the line is not '<SHA-256>  <file>'.", line=number,
                            fix=f"the file is written by make data; restore it with git checkout -- {SUMS}.")
        out[f"data/{name}"] = digest
    return out


def render_sums(files: dict[str, str]) -> str:
    return "".join(f"{_sha(text.encode('utf-8'))}  {rel[len('data/'):]}\n" for rel, text in sorted(files.items()))


def _first_difference(old: str, new: str) -> tuple[int, str, str, int]:
    """The first line that differs (number, on disk, as derive writes it) and how many lines differ in all."""
    import difflib

    a, b = old.split("\n"), new.split("\n")
    differing = sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in
                    difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes() if tag != "equal")
    for number, (x, y) in enumerate(zip(a, b), start=1):
        if x != y:
            return number, x, y, differing
    number = min(len(a), len(b)) + 1
    return (number, (a[number - 1] if number <= len(a) else ""), (b[number - 1] if number <= len(b) else ""),
            differing)


def _input_of(rel: str) -> str:
    """Where a derived file's rows are edited."""
    name = next((n for n, t in DERIVED.items() if t.path == rel), None)
    if name == "sources":
        return SOURCES.path
    if name in CURATED:
        return CURATED[name].path
    return "data/curated/ and seeds/ (the file is computed from them)"


def _short(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def hand_edits(root: Path, files: dict[str, str]) -> list[tuple[str, int, str, str, int]]:
    """Derived files edited since derive last wrote them, whose content derive would now change:
    (path, first differing line, the line on disk, the line derive writes, number of differing lines)."""
    sums = read_sums(root)
    if sums is None:
        return []
    out = []
    for rel, text in sorted(files.items()):
        path = root / rel
        if not path.is_file():
            continue
        data = path.read_bytes()
        if _sha(data) == sums.get(rel) or data == text.encode("utf-8"):
            continue
        out.append((rel, *_first_difference(data.decode("utf-8", errors="replace"), text)))
    return out


def _keys_and_lines(text: str, key: str) -> tuple[list[str], dict[str, int]]:
    """A CSV text's values of column ``key`` in order, and the line each row starts on."""
    found = records(text)
    _, header = next(found, (1, []))
    if key not in header:
        return [], {}
    col, keys, lines = header.index(key), [], {}
    for line, row in found:
        if len(row) > col:
            keys.append(row[col])
            lines.setdefault(row[col], line)
    return keys, lines


def removals(root: Path, files: dict[str, str]) -> list[tuple[str, str, list[str], int]]:
    """Rows of curated tables that the derived files hold now and would lose:
    (curated file, derived file, the lost keys, line of the curated file where the first of them was)."""
    out = []
    inputs = {**{name: t for name, t in CURATED.items() if name in DERIVED}, "sources": SOURCES}
    for name, curated in inputs.items():
        derived = DERIVED[name]
        key = derived.primary_key[0]
        if (derived.primary_key != curated.primary_key or derived.path not in files
                or not (root / derived.path).is_file()):
            continue
        old, _ = _keys_and_lines((root / derived.path).read_text(encoding="utf-8", errors="replace"), key)
        new, _ = _keys_and_lines(files[derived.path], key)
        lost = [k for k in old if k not in set(new)]
        if not lost:
            continue
        source = root / curated.path
        _, lines = _keys_and_lines(source.read_text(encoding="utf-8", errors="replace"), key) \
            if source.is_file() else ([], {})
        before = old[: old.index(lost[0])]
        survivor = next((k for k in reversed(before) if k in lines), None)
        out.append((curated.path, derived.path, lost, lines[survivor] + 1 if survivor else 2))
    return out


def check(root: Path, files: dict[str, str], *, allow_removal: bool = False,
          discard: bool = False) -> list[str]:
    """Refuse to lose rows or hand edits; returns what will be discarded (when ``discard``), for the report."""
    if not allow_removal:
        for curated, derived, lost, line in removals(root, files):
            shown = ", ".join(lost[:5]) + (f" and {len(lost) - 5} more" if len(lost) > 5 else "")
            rows = "row" if len(lost) == 1 else "rows"
            raise DataError(curated, f"{len(lost)} {rows} of {derived} would be lost, because they are no longer "
                                     f"in this file: {shown}. A file cut short by an editor crash or a bad merge "
                                     "looks like this.", line=line,
                            field=DERIVED[Path(derived).stem].primary_key[0],
                            fix=f"restore the rows (git diff -- {curated}); if you removed them on purpose, run "
                                "make data ALLOW_REMOVAL=1.")
    edits = hand_edits(root, files)
    if edits and not discard:
        rel, number, disk, new, differing = edits[0]
        others = [e[0] for e in edits[1:]]
        more = (f" So were {', '.join(others)}." if others else "")
        lines = "line differs" if differing == 1 else "lines differ, the first here"
        raise DataError(rel, f"the file was edited by hand since make data last wrote it, and make data would "
                             f"overwrite the edit: {differing} {lines}. It reads \"{_short(disk)}\"; derive "
                             f"writes \"{_short(new)}\".{more}", line=number,
                        fix=f"derived files are rewritten on every make data: make the change in {_input_of(rel)}; "
                            "to discard the hand edit, run make data DISCARD=1.")
    return [f"{rel}: discarded a hand edit of {differing} {'line' if differing == 1 else 'lines'}; line {number} "
            f"read \"{_short(disk)}\" and now reads \"{_short(new)}\"."
            for rel, number, disk, new, differing in edits]


def write_all(root: Path, files: dict[str, str]) -> list[str]:
    """Write the files that changed, and the checksum record, all or nothing. Returns the changed paths."""
    written = csvio.write_all({root / rel: text for rel, text in {**files, SUMS: render_sums(files)}.items()})
    return sorted(rel for rel in files if root / rel in written)
