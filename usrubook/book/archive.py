"""Zip archives that are the same byte for byte on every build: the figure downloads' data package
(:mod:`usrubook.book.figures`), a chapter's kit (:mod:`usrubook.book.rerun`) and the release
(:mod:`usrubook.book.release`)."""
from __future__ import annotations

import io
import zipfile



def release_time(root) -> tuple:
    """The time a zip entry of the book carries so that an unzipped file shows a real date: the book's release
    date (CITATION.cff ``date-released``), at midnight; the same on every build."""
    from usrubook.book.metadata import book_metadata

    released = book_metadata(root).released
    return (released.year, released.month, released.day, 0, 0, 0)


def deterministic_zip(files: dict[str, bytes], date_time: tuple) -> bytes:
    """``files`` (archive path -> content) as a zip: entries sorted by path, each dated ``date_time``, stored as
    a plain file (mode 0644, Unix), deflated at level 9."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            archive.writestr(info, files[path], compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return buf.getvalue()
