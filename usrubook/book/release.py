"""``make release``: one archive of a version of the book, ``_build/release/us-russia-relations-<version>.zip``.

The archive holds, under one folder ``us-russia-relations-<version>/``:

* ``site/``: the web book (``_build/html``, without build reports), with the PDF beside ``index.html`` where
  the pages' ``citation_pdf_url`` expects it;
* ``us-russia-relations.pdf``: the PDF;
* ``data/``: the data package (``datapackage.json``, the derived tables, the curated tables, the map outlines);
* ``CITATION.cff``, ``CHANGELOG.md``, ``README.md`` and the licences (``LICENSE``, ``LICENSE-TEXT``,
  ``LICENSE-CODE``);
* ``SHA256SUMS``: the SHA-256 of every other file, in the format of ``sha256sum``
  (check with ``sha256sum -c SHA256SUMS`` inside the folder).

Beside the archive, ``us-russia-relations-<version>.zip.sha256`` holds the archive's own SHA-256, in the same
format; the publishing workflow (``.github/workflows/publish.yml``) attaches both to the version's GitHub release.

The archive is deterministic: entries sorted by path, every timestamp the release date of CITATION.cff,
fixed permissions, the same compression. The version is CITATION.cff's, and CHANGELOG.md's newest entry
must name it and its date. An archive of that version that already exists is left alone if it is the same,
byte for byte; if its content differs, nothing is written and the command fails: a released version is
not replaced (raise the version in CITATION.cff and CHANGELOG.md instead).
"""
from __future__ import annotations

import argparse
import hashlib
import re
import sys
from pathlib import Path

from usrubook.book.archive import deterministic_zip
from usrubook.book.metadata import PDF_NAME, book_metadata
from usrubook.pipeline.csvio import write_if_changed

NAME = "us-russia-relations"
TOP_FILES = ("CITATION.cff", "CHANGELOG.md", "README.md", "LICENSE", "LICENSE-TEXT", "LICENSE-CODE")
SKIP_PARTS = {"reports", "__pycache__", ".ipynb_checkpoints"}


class ReleaseError(Exception):
    pass


def changelog_newest(root: Path) -> tuple[str, str] | None:
    """(version, date) of the newest released entry of CHANGELOG.md (a line "## [X.Y.Z] - YYYY-MM-DD")."""
    text = (Path(root) / "CHANGELOG.md").read_text(encoding="utf-8")
    m = re.search(r"^## \[(\d[^\]]*)\] - (\d{4}-\d{2}-\d{2})\s*$", text, re.M)
    return (m.group(1), m.group(2)) if m else None


def _files(folder: Path, prefix: str) -> dict[str, Path]:
    return {f"{prefix}/{p.relative_to(folder).as_posix()}": p for p in sorted(folder.rglob("*"))
            if p.is_file() and not (SKIP_PARTS & set(p.relative_to(folder).parts))}


def contents(root: Path, html_dir: Path, pdf: Path) -> dict[str, bytes]:
    """Path in the archive (below the top folder) -> bytes, SHA256SUMS included."""
    for path, what in ((html_dir / "index.html", "the web book"), (pdf, "the PDF")):
        if not path.is_file():
            raise ReleaseError(f"{path} is missing: build {what} first (`make release` does).")
    files = {**_files(html_dir, "site"), **_files(Path(root) / "data", "data")}
    files[f"site/{PDF_NAME}"] = pdf
    files[PDF_NAME] = pdf
    for name in TOP_FILES:
        files[name] = Path(root) / name
    data = {name: path.read_bytes() for name, path in sorted(files.items())}
    sums = "".join(f"{hashlib.sha256(b).hexdigest()}  {name}\n" for name, b in sorted(data.items()))
    data["SHA256SUMS"] = sums.encode("utf-8")
    return data


def archive_bytes(top: str, data: dict[str, bytes], date) -> bytes:
    return deterministic_zip({f"{top}/{name}": content for name, content in data.items()},
                             (date.year, date.month, date.day, 0, 0, 0))


def build(root: Path, out_dir: Path | None = None, html_dir: Path | None = None, pdf: Path | None = None) -> tuple[Path, str]:
    """Write the release archive; returns its path and "written" or "unchanged". Raises ReleaseError."""
    root = Path(root)
    meta = book_metadata(root)
    newest = changelog_newest(root)
    if newest != (meta.version, meta.released.isoformat()):
        raise ReleaseError(f"CHANGELOG.md's newest entry is {newest}, but CITATION.cff says version {meta.version} "
                           f"released {meta.released.isoformat()}: add '## [{meta.version}] - "
                           f"{meta.released.isoformat()}' to CHANGELOG.md.")
    html_dir = html_dir or root / "_build" / "html"
    pdf = pdf or root / "_build" / "latex" / PDF_NAME
    top = f"{NAME}-{meta.version}"
    payload = archive_bytes(top, contents(root, html_dir, pdf), meta.released)
    out_dir = out_dir or root / "_build" / "release"
    target = Path(out_dir) / f"{top}.zip"
    if target.exists():
        if target.read_bytes() == payload:
            write_if_changed(checksum_path(target), checksum_line(target.name, payload))
            return target, "unchanged"
        raise ReleaseError(f"{target} exists with different content: version {meta.version} is already released. "
                           "Raise the version in CITATION.cff and add its entry to CHANGELOG.md, or remove the "
                           "old archive if it was never published.")
    write_if_changed(target, payload)
    write_if_changed(checksum_path(target), checksum_line(target.name, payload))
    return target, "written"


def checksum_path(archive: Path) -> Path:
    """The checksum file published beside the archive: ``<archive>.sha256``."""
    return archive.with_name(archive.name + ".sha256")


def checksum_line(name: str, payload: bytes) -> bytes:
    """One line in the format of ``sha256sum`` (and of ``shasum -a 256``), which both check with ``-c``."""
    return f"{hashlib.sha256(payload).hexdigest()}  {name}\n".encode("utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=".")
    args = parser.parse_args(argv)
    try:
        path, state = build(Path(args.root))
    except ReleaseError as exc:
        print(f"make release: {exc}", file=sys.stderr)
        return 1
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    print(f"release: {path} ({state}; {path.stat().st_size:,} bytes, SHA-256 {digest})")
    print(f"checksum: {checksum_path(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
