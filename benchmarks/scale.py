"""Derive-and-validate time on the real seeds and on synthetic corpora 10x and 100x larger.

A synthetic corpus copies every seed N times (each copy gets a line of its own,
so its checksum differs) and every curated row that quotes a seed, with new ids
pointing at the copy. Actors, places, events, propositions and eras are shared, as
they would be in a larger real corpus. Used by ``make bench``.
"""
from __future__ import annotations

import csv
import hashlib
import io
import shutil
import time
from pathlib import Path

from usrubook.pipeline.schema import CURATED, SOURCES

SHARED_TABLES = ("actors", "places", "events", "propositions", "eras", "chronology")
# Verdicts are kept for every claim, relation and trade figure: a copied row gets a copy of its verdict.
COPIED_SUBJECTS = ("claims", "relations", "trade")


def _read(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def _write(path: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def synthetic_corpus(root: Path, dest: Path, factor: int) -> int:
    """Write a book source tree under ``dest`` with ``factor`` times the seeds; returns the number of seeds."""
    dest.mkdir(parents=True)
    for rel in ("_config.yml", "references.bib"):
        shutil.copy2(root / rel, dest / rel)
    (dest / "seeds").mkdir()
    (dest / "data" / "curated").mkdir(parents=True)
    manifest = _read(root / SOURCES.path)
    header, originals = manifest[0], manifest[1:]
    col = {name: i for i, name in enumerate(header)}
    new_manifest, mapping = [header], {}
    for copy in range(factor):
        for row in originals:
            n = len(new_manifest) - 1
            sid = f"seed{n:03d}"
            text = (root / "seeds" / row[col["file"]]).read_bytes()
            if copy:
                text += f"\nSynthetic copy {copy} of {row[col['source_id']]}.\n".encode()
            digest = hashlib.sha256(text).hexdigest()
            name = f"{n:03d}_{digest[:16]}.txt" if copy else row[col["file"]]
            (dest / "seeds" / name).write_bytes(text)
            new = list(row)
            new[col["source_id"]], new[col["file"]] = sid, name
            new[col["sha256"]] = digest
            new[col["words"]] = str(len(text.decode("utf-8").split()))
            new_manifest.append(new)
            mapping.setdefault(copy, {})[row[col["source_id"]]] = sid
    _write(dest / SOURCES.path, new_manifest)
    for name, table in CURATED.items():
        rows = _read(root / table.path)
        head, body = rows[0], rows[1:]
        # tables of the world, not of a seed (chronology, treaties, facts …: no source_id) are shared by every copy
        if name in SHARED_TABLES or (name != "verifications" and "source_id" not in head):
            _write(dest / table.path, rows)
            continue
        key = head.index(table.primary_key[0])
        out = [head]
        for copy in range(factor):
            for row in body:
                new = list(row)
                if name == "verifications":
                    subject = head.index("subject_id")
                    if copy and row[head.index("subject_table")] not in COPIED_SUBJECTS:
                        continue
                    if copy:
                        new[subject] = f"{row[subject]}-copy{copy}"
                else:
                    src = head.index("source_id")
                    new[src] = mapping[copy][row[src]]
                if name == "source_dependencies":
                    target = head.index("depends_on")
                    new[target] = mapping[copy].get(row[target], row[target])
                if copy:
                    new[key] = f"{row[key]}-copy{copy}"
                out.append(new)
        _write(dest / table.path, out)
    return len(new_manifest) - 1


def derive_and_validate(root: Path) -> float:
    from usrubook.pipeline import guard
    from usrubook.pipeline.derive import build
    from usrubook.pipeline.validate import errors

    start = time.perf_counter()
    files = build(root)
    guard.write_all(root, files)
    problems = errors(root)
    elapsed = time.perf_counter() - start
    if problems:
        raise SystemExit("scale: synthetic corpus is invalid:\n" + "\n".join(problems[:10]))
    return elapsed


def measure(root: Path, tmp: Path, factors=(1, 10, 100)) -> list[tuple[int, int, float]]:
    """(factor, seeds, seconds) for each corpus size, after one warm-up run (imports, caches)."""
    warm = tmp / "warm-up"
    synthetic_corpus(root, warm, 1)
    derive_and_validate(warm)
    out = []
    for factor in factors:
        dest = tmp / f"corpus-{factor}x"
        seeds = synthetic_corpus(root, dest, factor)
        out.append((factor, seeds, derive_and_validate(dest)))
    return out
