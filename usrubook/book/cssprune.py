"""The theme's stylesheet less the rules no page of the book can use.

pydata-sphinx-theme ships one stylesheet of about 300 KB (Bootstrap's utilities among it) for every page; the
book uses a third of it. At the end of an HTML build, :func:`prune` keeps a rule only if every class its
selector names occurs in the built book: as a word of any page (``.html``) or of any script the book serves
(``.js``, where the theme's scripts add classes such as ``show`` at run time). A selector without classes
(elements, ids, attributes, ``:root``) is kept; ``@media``/``@supports``/``@container``/``@layer`` blocks are
pruned inside and dropped when empty; every other at-rule (``@font-face``, ``@keyframes``, ``@import``) stays.
The test is by whole words over everything served, so a class that can appear is never removed; a word that
merely looks like a class keeps its rule, which costs bytes, not correctness.

The source is always the full stylesheet (``usrubook.book.html`` writes it before the build), never an
earlier pruned copy, so a class a later edit starts to use gets its rules back.
"""
from __future__ import annotations

import re
from pathlib import Path

_CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
_WORD = re.compile(r"[\w-]+")
_GROUPS = ("@media", "@supports", "@container", "@layer")


def _skip_string(css: str, i: int) -> int:
    quote, i = css[i], i + 1
    while i < len(css) and css[i] != quote:
        i += 2 if css[i] == "\\" else 1
    return i + 1


def _items(css: str) -> list[tuple[str, str | None]]:
    """The top-level items of ``css``: (prelude, block) for a rule or group, (statement, None) for ``@x …;``."""
    items, i, n = [], 0, len(css)
    while i < n:
        j = i
        while j < n and css[j] not in "{;":
            if css[j] in "\"'":
                j = _skip_string(css, j)
                continue
            if css.startswith("/*", j):
                end = css.find("*/", j + 2)
                j = n if end < 0 else end + 2
                continue
            j += 1
        if j >= n:
            break
        prelude = css[i:j].strip()
        if css[j] == ";":
            items.append((prelude + ";", None))
            i = j + 1
            continue
        k, depth = j + 1, 1
        while k < n and depth:
            if css[k] in "\"'":
                k = _skip_string(css, k)
                continue
            depth += {"{": 1, "}": -1}.get(css[k], 0)
            k += 1
        if depth:
            raise ValueError(f"unbalanced braces in the stylesheet after {prelude[:60]!r}")
        items.append((prelude, css[j + 1:k - 1]))
        i = k
    return items


def _selectors(prelude: str) -> list[str]:
    parts, depth, current = [], 0, []
    for c in prelude:
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(c, 0)
        if c == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(c)
    parts.append("".join(current).strip())
    return parts


def _classes(selector: str) -> list[str]:
    # attribute values ([href$=".pdf"]) and url() are not classes
    return _CLASS.findall(re.sub(r"\[[^\]]*\]|url\([^)]*\)", "", selector))


def prune(css: str, words: set[str]) -> str:
    out = []
    for prelude, block in _items(css):
        if block is None:
            out.append(prelude)
        elif prelude.startswith(_GROUPS):
            inner = prune(block, words)
            if inner.strip():
                out.append(f"{prelude}{{{inner}}}")
        elif prelude.startswith("@"):
            out.append(f"{prelude}{{{block}}}")
        else:
            keep = [s for s in _selectors(prelude) if all(c in words for c in _classes(s))]
            if keep:
                out.append(f"{','.join(keep)}{{{block}}}")
    return "".join(out)


def served_words(outdir: Path, kept=None) -> set[str]:
    """Every word of every page and script under ``outdir`` that Sphinx writes.

    The search index (:data:`usrubook.book.search.BUNDLE`) is left out: it is written after Sphinx, so it is
    absent when a clean build prunes the stylesheet and present on a rebuild, and counting its words would make
    the served stylesheet depend on whether the book was built before. Its classes are styled by the book's own
    stylesheet, never by the theme's.

    With ``kept`` (a :class:`usrubook.book.buildcache.Kept`), the words of a file whose bytes (and this module's
    code) are those of an earlier build are not looked for again."""
    import hashlib

    from usrubook.book.buildcache import code_digest
    from usrubook.book.search import BUNDLE

    code = code_digest("book/cssprune.py").encode()     # the words found depend on this module's code too
    words: set[str] = set()
    for top in sorted(outdir.iterdir()):
        if top.name == BUNDLE:
            continue
        for path in sorted(top.rglob("*")) if top.is_dir() else [top]:
            if path.suffix in (".html", ".js") and path.is_file():
                data = path.read_bytes()
                find = lambda: frozenset(_WORD.findall(data.decode("utf-8", errors="ignore")))  # noqa: E731
                words |= find() if kept is None else kept.get(
                    "words:" + path.relative_to(outdir).as_posix(), hashlib.sha256(code + b"\0" + data).hexdigest(), find)
    return words


def prune_served(full: str, outdir: Path, memo: Path) -> str:
    """:func:`prune` of ``full`` by the words served under ``outdir`` (:func:`served_words`), kept in the file
    ``memo`` between builds: the words of each page or script until its bytes change, and the pruned stylesheet
    until the stylesheet or the set of words changes. (Sphinx copies the full stylesheet over the pruned one at
    every build; this saves reading every page and pruning again after an edit of one.)"""
    import hashlib

    from usrubook.book.buildcache import Kept, code_digest

    kept = Kept(memo)
    words = served_words(outdir, kept)
    digest = hashlib.sha256("\n".join([code_digest("book/cssprune.py"), full, *sorted(words)]).encode("utf-8")).hexdigest()
    pruned = kept.get("pruned", digest, lambda: prune(full, words))
    kept.save()
    return pruned
