"""Put figures and words from the data into the prose: myst-nb glue in the book, kernel variables in Jupyter.

One way to write counts, plurals and lists, so that generated text reads as written by hand: never "1 events",
"event(s)", "All 4 of the 4" or "0 of them".
"""
from __future__ import annotations

import keyword
import re

_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_IRREGULAR = {"is": "are", "was": "were", "has": "have", "does": "do", "this": "these", "analysis": "analyses",
              "passage": "passages", "country": "countries", "entry": "entries", "dependency": "dependencies",
              "statistic": "statistics", "party": "parties", "century": "centuries", "summary": "summaries",
              "ally": "allies", "time": "times"}


class Glued:
    """A figure formatted for prose; its plain-text form is the text itself (no quotes)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """The form of ``singular`` that agrees with ``n``; the last word of a phrase is inflected."""
    if n == 1:
        return singular
    if plural_form:
        return plural_form
    head, _, last = singular.rpartition(" ")
    if last in _IRREGULAR:
        word = _IRREGULAR[last]
    elif last.endswith(("s", "x", "ch", "sh")):
        word = last + "es"
    elif last.endswith("y") and last[-2:-1] not in "aeiou":
        word = last[:-1] + "ies"
    else:
        word = last + "s"
    return f"{head} {word}" if head else word


def number(n: int, words: bool = False) -> str:
    """``n`` as digits, or as a word from "no" to "ten" when ``words``."""
    return _WORDS[n] if words and 0 <= n < len(_WORDS) else f"{n:,d}"


def count(n: int, singular: str, plural_form: str | None = None, words: bool = False) -> str:
    """'1 event', '2 events', 'no events' (with ``words``: 'one event', 'two events')."""
    return f"{number(int(n), words)} {plural(int(n), singular, plural_form)}"


def listing(items, conjunction: str = "and") -> str:
    """'a', 'a and b', 'a, b and c'; an empty list is an error, not an empty string."""
    items = [str(i) for i in items]
    if not items:
        raise ValueError("listing() needs at least one item")
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def share(part: int, whole: int, noun: str, words: bool = False) -> str:
    """'all three seeds', 'both seeds', 'none of the four seeds', '2 of the 5 seeds', 'the only seed'."""
    part, whole = int(part), int(whole)
    if part > whole or whole < 1:
        raise ValueError(f"share({part}, {whole}): the part must lie between 0 and the whole")
    if whole == 1:
        return f"the only {noun}" if part == 1 else f"not the only {noun}"
    if part == whole:
        return f"both {plural(2, noun)}" if whole == 2 else f"all {count(whole, noun, words=words)}"
    if part == 0:
        return f"none of the {count(whole, noun, words=words)}"
    return f"{number(part, words)} of the {count(whole, noun, words=words)}"


def lower_first(text: str) -> str:
    """A sentence's text for use after other words: its first letter in lower case, unless it starts a name
    (a capitalised word followed by another capitalised word, or an abbreviation)."""
    first = text.split(" ", 1)[0]
    if len(first) > 1 and (first[1:2].isupper() or first in _NAMES):
        return text
    return text[:1].lower() + text[1:]


_NAMES = {"Russia", "Russia's", "Russian", "Moscow", "Washington", "Ukraine", "Joe", "Sergei", "Dmitry", "Census",
          "Reuters"}


_THEME_NAMES = {"ukraine": "Ukraine", "arctic": "the Arctic", "syria middle east": "Syria and the Middle East",
                "human rights democracy": "human rights and democracy", "trade investment": "trade and investment"}


def theme_label(theme: str) -> str:
    """A theme code as words: 'syria_middle_east' -> 'Syria and the Middle East', 'nuclear_safety' -> 'nuclear safety'."""
    words = theme.replace("_", " ")
    return _THEME_NAMES.get(words, words)


def times(n: int) -> str:
    """'once', 'twice', '3 times'."""
    return {0: "never", 1: "once", 2: "twice"}.get(int(n), f"{int(n):,d} times")


def glue_value(name: str, value, fmt: str = "{:,.1f}") -> None:
    """Glue ``value`` under ``name`` for ``{eval}`name``` in the prose, formatted with ``fmt``.

    The book's build pastes the glued text where the role stands (:mod:`usrubook.book.sphinxext`); in Jupyter,
    the kernel holds the text as the variable ``name``, which jupyterlab-myst shows in place of the role once
    the Markdown cell has run. ``name`` is therefore a Python identifier (``tr_imports_1996``).
    Returns nothing, so that a cell ending with it shows no stray output (the glued text is in the prose)."""
    from usrubook.chapter.mode import jupyter_mode

    if not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"glue name {name!r} is not a Python identifier: write it with underscores "
                         f"({re.sub(r'[^0-9A-Za-z_]', '_', name)!r}), here and in its {{eval}} roles")
    text = value if isinstance(value, str) else fmt.format(value)
    _into_namespace(name, Glued(text))
    if not jupyter_mode():
        _glue(name, Glued(text))


def glue_count(name: str, n: int, singular: str, plural_form: str | None = None, words: bool = False) -> None:
    """Glue a counted noun phrase, e.g. '31 events' or 'one seed', so the noun always agrees with the number."""
    glue_value(name, count(n, singular, plural_form, words))


def glue_markdown(name: str, text: str) -> None:
    """Glue MyST text, for a block ``{glue:md}`` directive with ``:format: myst``; it may be empty."""
    from IPython.display import Markdown, display

    from usrubook.chapter.mode import jupyter_mode

    if jupyter_mode():      # no front end fills the {glue:md} directive: the paragraph is shown where it is made
        if text.strip():
            display(Markdown(text))
        return
    _glue(name, Markdown(text))


def _into_namespace(name: str, value: Glued) -> None:
    """``value`` as the variable ``name`` of the running IPython kernel (if any), for ``{eval}`name```; a name the
    chapter's code already uses for something else is refused."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    old = shell.user_ns.get(name, value)
    if not isinstance(old, Glued):
        raise ValueError(f"glue name {name!r} is already a variable of the chapter's code "
                         f"({type(old).__name__}); glue the value under another name")
    shell.user_ns[name] = value


GLUE_PREFIX = "application/papermill.record/"   # myst-nb's prefix of a glued, undisplayed value


def _glue(name: str, variable) -> None:
    """myst-nb's ``glue(name, variable, display=False)``; outside the book (a chapter's kit has no myst-nb)
    the same output written here: the value's display formats under myst-nb's prefix, named in the output's
    ``scrapbook`` metadata."""
    try:
        from myst_nb import glue
    except ImportError:
        import IPython.core.formatters
        from IPython.display import display

        bundle, metadata = IPython.core.formatters.format_display_data(variable)
        metadata["scrapbook"] = {"name": name, "mime_prefix": GLUE_PREFIX}
        display({GLUE_PREFIX + k: v for k, v in bundle.items()}, raw=True, metadata=metadata)
        return
    glue(name, variable, display=False)
