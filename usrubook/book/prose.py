"""How much of each chapter's running prose is about the relationship itself (``make prose``).

Running prose is every paragraph and list item of a chapter's Markdown outside code cells, glued blocks,
admonitions (the key points and the "How the sources tell it" boxes), figure captions, headings and the
further-reading list. A paragraph is *about the sources* when it names a seed ("seed 003", "the seeds",
"seed's") or the book's method (verdict, judgement, corroborat…); every other paragraph counts as about the
relationship. Glued values count as one word. Prints words and shares per chapter; exits 1 when a chapter's
share about the relationship is below ``MIN_SHARE``.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

MIN_SHARE = 0.60
CHAPTERS = ("history", "current-state", "europe-asia", "trade", "outlook")
ABOUT_SOURCES = re.compile(r"\bseeds?\b|\bseed's\b|\bverdicts?\b|\bjudgements?\b|\bcorroborat\w*", re.I)
_ROLE = re.compile(r"\{(?:cite|numref|ref|term|doc|download)(?::\w+)?\}`[^`]*`")
_GLUE = re.compile(r"\{(?:glue(?::\w+)?|eval)\}`[^`]*`")     # a glued value counts as one word


def paragraphs(text: str) -> list[str]:
    """The running-prose paragraphs of a chapter's MyST text."""
    text = text.split("\n---\n", 1)[1] if text.startswith("---\n") else text
    out, block, fence, depth, skip = [], [], None, 0, False
    for line in text.split("\n"):
        s = line.strip()
        if fence:
            if s.startswith(fence) and s.strip("`:") == "":
                fence = None
            continue
        m = re.match(r"^(`{3,}|:{3,})", s)
        if m:
            if block:
                out.append(" ".join(block))
                block = []
            fence = m.group(1)
            if s == fence:      # a bare closing fence
                fence = None
            continue
        if s.startswith("#"):
            skip = s.lower().lstrip("# ").startswith("further reading")
            if block:
                out.append(" ".join(block))
                block = []
            continue
        if skip or s.startswith("(") and s.endswith(")=") or s.startswith("<!--"):
            continue
        if not s:
            if block:
                out.append(" ".join(block))
                block = []
            continue
        if s.startswith(("- ", "* ")) and block:
            out.append(" ".join(block))
            block = []
        block.append(s)
    if block:
        out.append(" ".join(block))
    return [p for p in out if p]


def words(paragraph: str) -> int:
    return len(_GLUE.sub(" x ", _ROLE.sub(" ", paragraph)).split())


def measure(root: Path) -> list[dict]:
    rows = []
    for name in CHAPTERS:
        paras = paragraphs((root / "chapters" / f"{name}.md").read_text(encoding="utf-8"))
        total = sum(words(p) for p in paras)
        sources = sum(words(p) for p in paras if ABOUT_SOURCES.search(_ROLE.sub(" ", p)))
        rows.append({"chapter": name, "words": total, "about_sources": sources,
                     "share_relationship": (total - sources) / total if total else 0.0})
    return rows


def main() -> int:
    from usrubook.paths import book_root

    rows = measure(book_root())
    print(f"{'chapter':<15}{'words':>8}{'about the sources':>20}{'about the relationship':>25}")
    failed = False
    for r in rows:
        flag = "" if r["share_relationship"] >= MIN_SHARE else f"   below {MIN_SHARE:.0%}"
        failed |= bool(flag)
        print(f"{r['chapter']:<15}{r['words']:>8}{r['about_sources']:>20}{r['share_relationship']:>24.0%}{flag}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
