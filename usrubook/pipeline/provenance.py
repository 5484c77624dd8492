"""Find verbatim quotes in seed texts.

A quote matches its seed after normalising only whitespace (runs of spaces,
tabs, newlines and non-breaking spaces become one space), typographic quotes
(‘ ’ “ ” become ' and ") and dashes (‒ – — ― become -). Nothing else is
forgiven: spelling, case and punctuation must be as printed.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

_CHAR_MAP = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"',
    "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2010": "-", "\u2011": "-",
}
_SPACE = re.compile(r"[\s\u00a0\u2007\u202f]")


def normalise(text: str) -> tuple[str, list[int]]:
    """Return the normalised text and, for each of its characters, the offset in ``text``."""
    out: list[str] = []
    offsets: list[int] = []
    in_space = False
    for i, ch in enumerate(text):
        if _SPACE.match(ch):
            if not in_space and out:
                out.append(" ")
                offsets.append(i)
            in_space = True
            continue
        in_space = False
        out.append(_CHAR_MAP.get(ch, ch))
        offsets.append(i)
    if out and out[-1] == " ":
        out.pop()
        offsets.pop()
    return "".join(out), offsets


@dataclass(frozen=True)
class Passage:
    start: int          # offset of the first character in the seed text
    end: int            # offset one past the last character
    paragraph: int      # 1-based number of the paragraph holding ``start``


def paragraph_starts(text: str) -> list[int]:
    """Offsets where paragraphs begin. A paragraph is a non-blank line: the seeds are
    web pages flattened to text, one block per line (seed 004 has no blank lines)."""
    starts = []
    pos = 0
    for line in text.splitlines(keepends=True):
        if line.strip():
            starts.append(pos + len(line) - len(line.lstrip()))
        pos += len(line)
    return starts


class SeedText:
    """A seed's text, normalised once, with its paragraphs."""

    def __init__(self, source_id: str, text: str):
        self.source_id = source_id
        self.text = text
        self.norm, self.offsets = normalise(text)
        self.paragraphs = paragraph_starts(text)

    def paragraph_of(self, offset: int) -> int:
        number = 0
        for number, start in enumerate(self.paragraphs, 1):
            if start > offset:
                return number - 1
        return number

    def find(self, quote: str, occurrence: int = 1) -> Passage | None:
        """Locate the ``occurrence``-th appearance of ``quote`` (1 = first); ``None`` if absent."""
        needle, _ = normalise(quote)
        if not needle:
            return None
        i = -1
        for _ in range(occurrence):
            i = self.norm.find(needle, i + 1)
            if i < 0:
                return None
        start = self.offsets[i]
        end = self.offsets[i + len(needle) - 1] + 1
        return Passage(start, end, self.paragraph_of(start))

    def closest(self, quote: str, width: int = 30) -> str:
        """The passage of the seed most like ``quote``, to show in an error."""
        needle, _ = normalise(quote)
        matcher = difflib.SequenceMatcher(None, self.norm, needle, autojunk=False)
        m = matcher.find_longest_match(0, len(self.norm), 0, len(needle))
        if m.size == 0:
            return ""
        lo = max(0, m.a - m.b)
        hi = min(len(self.norm), lo + len(needle) + width)
        return self.norm[lo:hi]


def anchor(source_id: str, paragraph: int) -> str:
    """The HTML anchor of a seed paragraph, e.g. ``seed003-p27``."""
    return f"{source_id}-p{paragraph}"
