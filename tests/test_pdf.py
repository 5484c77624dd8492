"""The PDF loses nothing of the web book: every caption and table row, every character, the same figure and
table numbers, working passage links, print wording, a preface in the contents, no blank pages with running
heads, a clean bibliography, and chart text large enough to read."""
import json
import re
import subprocess
import zlib
from collections import Counter
from functools import lru_cache
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from docutils import nodes

from conftest import VENV, run


@lru_cache(maxsize=None)
def _pdftotext(pdf_path, *options) -> str:
    return subprocess.run(["pdftotext", *options, str(pdf_path), "-"], capture_output=True, text=True,
                          check=True).stdout


def _text(pdf_path):
    return _pdftotext(pdf_path, "-layout")


def _raw(pdf_path):
    """The PDF's text in the order the content stream draws it: a table row's cells, each cell's lines, stay
    together (pdftotext's layout modes interleave the lines of wrapped cells). Text outside the page is not
    extracted, so a table that runs off the page loses its rows here too."""
    return _pdftotext(pdf_path, "-raw")


def _squash(text: str) -> str:
    """Text without spaces, hyphens (LaTeX hyphenates), dashes and typographic quotes (Sphinx's smart quotes
    curl quotes and turn '--' into a dash)."""
    text = text.translate(str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "\u00a0": " "}))
    return re.sub(r"[\s\-‐–—]+", "", text)


def _captions(page: str) -> list[str]:
    """The opening words of every figure and table caption in a page's source (up to any role)."""
    captions = re.findall(r"caption: \|\n\s+([^{\n]+)", page)
    # jupytext writes a long caption as a single-quoted YAML scalar, folded over lines
    captions += [re.sub(r"\s+", " ", c).replace("''", "'") for c in re.findall(r"caption: '((?:[^'{]|'')+)", page)]
    captions += re.findall(r'caption="([^{"]+)', page)
    return [c.strip() for c in captions]


def _pages(root):
    from usrubook.book.nbcheck import pages

    return {page: (root / page).read_text(encoding="utf-8") for page in pages(root)}


def _html_pages(html_dir):
    skip = {"genindex.html", "search.html"}
    for page in sorted(html_dir.rglob("*.html")):
        rel = page.relative_to(html_dir).as_posix()
        if "_static" in page.relative_to(html_dir).parts or rel in skip:
            continue
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        yield rel, soup.find("article") or soup


def _cell_text(cell) -> str:
    return cell.get_text(" ", strip=True)


def _html_tables(html_dir):
    """(page, name, rows) for every table in the body of every page; a row is a list of cell texts. The name
    is the caption with its number. A chart's Data view (the rows it draws) is the web page's alternative to the
    chart and is not printed, so it is left out."""
    for page, body in _html_pages(html_dir):
        for number, table in enumerate(body.find_all("table"), 1):
            if table.find_parent(class_="usrubook-chart-data") is not None:
                continue
            caption = table.find("caption")
            name = caption.get_text(" ", strip=True) if caption else ""
            figure = table.find_parent("figure")
            if figure is not None and figure.find("figcaption"):
                name = f"data of {figure.find('figcaption').get_text(' ', strip=True)[:60]}: {name}"
            rows = [[_cell_text(c) for c in tr.find_all(["th", "td"])] for tr in table.find_all("tr")]
            yield page, (name[:90] or f"table {number} of the page"), rows


def test_pdf_has_the_chapter_and_every_caption(pdf_path, root):
    text = _squash(_text(pdf_path))
    for title in ("Trade", "Why trade collapsed after 2022", "History", "2014–2021: Crimea, sanctions and interference",
                  "Glossary", "References"):
        assert _squash(title) in text, title
    captions = [c for page in _pages(root).values() for c in _captions(page)]
    assert len(captions) >= 5
    for caption in captions:
        assert _squash(caption) in text, caption
    assert len(set(re.findall(r"Fig\.\d+\.\d+:", text))) >= 5
    assert len(set(re.findall(r"Table\d+\.\d+:", text))) >= 3


def test_pdf_has_every_row_of_every_html_table(html_dir, pdf_path):
    """Every row of every table of the web book (the chapters' tables and the evidence pages') is in the PDF: a
    table that runs off the page, as tables under 30 rows did before they were made longtables, loses rows."""
    text = _squash(_raw(pdf_path))
    tables = list(_html_tables(html_dir))
    assert len(tables) >= 30
    lost = []
    for page, name, rows in tables:
        missing = [row for row in rows if _squash(" ".join(row)) not in text]
        if missing:
            shown = "\n".join("      | " + " | ".join(c[:40] for c in row) for row in missing[:5])
            lost.append(f"{page}, {name}: {len(missing)} of {len(rows)} rows missing, e.g.\n{shown}")
    assert not lost, "table rows missing from the PDF:\n" + "\n".join(lost)


def test_pdf_tables_are_longtables(root):
    """Any table can grow past a page with the data; only a longtable breaks across pages."""
    latex = (root / "_build/latex/us-russia-relations.tex").read_text(encoding="utf-8")
    assert re.findall(r"\\begin\{longtable\}", latex)
    assert not re.findall(r"\\begin\{(?:tabulary|tabular)\}", latex)


def test_pdf_has_no_unresolved_reference(pdf_path):
    assert "??" not in _text(pdf_path)


def test_pdf_charts_are_vector(pdf_path, root):
    listing = subprocess.run(["pdfimages", "-list", str(pdf_path)], capture_output=True, text=True,
                             check=True).stdout.splitlines()
    assert listing[0].split()[:3] == ["page", "num", "type"]
    images = [line for line in listing[2:] if line.strip()]
    assert images == [], "raster images in the PDF:\n" + "\n".join(images)
    # the charts are there, as embedded PDF figures drawn by vl-convert
    latex = (root / "_build/latex/us-russia-relations.tex").read_text(encoding="utf-8")
    charts = sum(page.count("mystnb:\n  figure:") for page in _pages(root).values())
    assert charts >= 3
    assert len(re.findall(r"\\sphinxincludegraphics\{\{[0-9a-f]{64}\}\.pdf\}", latex)) == charts


def test_pdf_marks_noise_in_the_source_texts(pdf_path):
    text = _text(pdf_path)
    assert "[noise: Dining Chairs" in text
    assert "¶51" in text


def test_pdf_renders_every_character(root, pdf_path):
    """No glyph is lost: xelatex logs 'Missing character' for each character no font has (seed 000's emoji
    need the Symbola fallback)."""
    log = (root / "_build/latex/us-russia-relations.log").read_text(encoding="utf-8", errors="replace")
    missing = sorted(set(re.findall(r"Missing character: There is no (\S+) \((U\+[0-9A-F]+)\)", log)))
    assert not missing, "characters missing from the PDF: " + ", ".join(f"{c} {u}" for c, u in missing)


# -- numbering ------------------------------------------------------------------------------------------

def _html_numbers(html_dir) -> dict[str, tuple[str, str]]:
    """Caption (its first words, squashed) -> (page, number as shown, e.g. 'Table 6.2')."""
    out = {}
    for page, body in _html_pages(html_dir):
        for number in body.select(".caption-number"):
            text = number.parent.find(class_="caption-text")
            key = _squash(text.get_text(" ", strip=True))[:50] if text else ""
            out[key] = (page, number.get_text(" ", strip=True).rstrip(":").strip())
    return out


def _pdf_numbers(pdf_path) -> list[tuple[str, str]]:
    """(the text after each 'Fig. 1.2:' or 'Table 6.1:' of the PDF, squashed; the number as printed)."""
    flat = re.sub(r"\s+", " ", _raw(pdf_path))
    return [(_squash(m.group(3)), f"{m.group(1)} {m.group(2)}")
            for m in re.finditer(r"(Fig\.|Table) (\d+(?:\.\d+)*): (.{0,120})", flat)]


def test_figure_and_table_numbers_are_the_same_in_html_and_pdf(html_dir, pdf_path):
    html, pdf = _html_numbers(html_dir), _pdf_numbers(pdf_path)
    assert len(html) >= 40
    wrong = []
    for key, (page, number) in html.items():
        printed = sorted({n for text, n in pdf if text.startswith(key)})
        if printed != [number]:
            wrong.append(f"{page}: {number} in HTML, {', '.join(printed) or 'no such caption'} in the PDF "
                         f"({key[:40]}…)")
    assert not wrong, "figure and table numbers differ:\n" + "\n".join(wrong)


# -- pages ------------------------------------------------------------------------------------------------

def _layout(root) -> dict[str, float]:
    """The text block from the LaTeX log (usrubook.book.latex prints it), in PDF points."""
    log = (root / "_build/latex/us-russia-relations.log").read_text(encoding="utf-8", errors="replace")
    m = re.search(r"usrubook-layout: (.*?paperheight=[\d.]+pt)", log.replace("\n", ""))
    assert m, "the LaTeX log has no usrubook-layout line"
    return {k: float(v) * 72 / 72.27 for k, v in re.findall(r"(\w+)=([\d.]+)pt", m.group(1))}


def _words_by_page(pdf_path):
    """Per page: (page height, [(yMin, yMax, word)])."""
    html = _pdftotext(pdf_path, "-bbox")
    pages = []
    for page in re.finditer(r'<page width="[\d.]+" height="([\d.]+)">(.*?)</page>', html, re.S):
        words = [(float(a), float(b), w) for a, b, w in
                 re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>',
                            page.group(2))]
        pages.append((float(page.group(1)), words))
    return pages


def test_pdf_has_no_blank_pages_with_running_heads(root, pdf_path):
    """A page that has a running head or foot but nothing in the text block is a blank page in a book's
    clothes (openright's \\cleardoublepage with the normal page style)."""
    layout = _layout(root)
    top, bottom = layout["texttop"], layout["texttop"] + layout["textheight"]
    blank = []
    for number, (height, words) in enumerate(_words_by_page(pdf_path), 1):
        body = [w for y0, y1, w in words if y1 > top and y0 < bottom]
        margins = [w for y0, y1, w in words if y1 <= top or y0 >= bottom]
        if margins and not body:
            blank.append(f"page {number}: only '{' '.join(margins)}'")
    assert not blank, "blank pages with running heads:\n" + "\n".join(blank)


@lru_cache(maxsize=None)
def _xml(pdf_path) -> str:
    return subprocess.run(["pdftohtml", "-xml", "-i", "-q", "-stdout", str(pdf_path)], capture_output=True,
                          text=True, check=True).stdout


def _outline(pdf_path, depth=False) -> list[tuple]:
    """The PDF's bookmarks in order: (page, title), or (depth, page, title)."""
    items, level = [], 0
    for tag in re.finditer(r'<outline>|</outline>|<item page="(\d+)">([^<]*)</item>', _xml(pdf_path)):
        if tag.group(0) == "<outline>":
            level += 1
        elif tag.group(0) == "</outline>":
            level -= 1
        else:
            items.append((level, int(tag.group(1)), tag.group(2)))
    return items if depth else [(page, title) for _, page, title in items]


def _chapter_pages(pdf_path, title) -> range:
    """The pages of the chapter with this title: up to the next bookmark of its level or above."""
    items = _outline(pdf_path, depth=True)
    at = next(i for i, (_, _, text) in enumerate(items) if text == title)
    level, start = items[at][0], items[at][1]
    end = next((page for lv, page, _ in items[at + 1:] if lv <= level), 10 ** 6)
    return range(start, end)


def test_preface_is_in_the_contents_and_the_outline(root, pdf_path):
    title = re.search(r"^# (.+)$", (root / "intro.md").read_text(encoding="utf-8"), re.M).group(1).strip()
    outline = _outline(pdf_path)
    pages = [page for page, text in outline if text == title]
    assert pages, f"'{title}' is not in the PDF outline: {[t for _, t in outline[:5]]}"
    first_chapter = min(page for page, text in outline if text not in (title, "Contents") and page > 0)
    assert pages[0] < first_chapter
    heading = _pdftotext(pdf_path, "-f", str(pages[0]), "-l", str(pages[0])).split("\n\n")[0]
    assert heading.strip().lower() == title.lower(), f"the preface's page opens with '{heading}'"
    contents = _pdftotext(pdf_path, "-layout", "-l", str(pages[0] - 1))
    assert re.search(rf"^{re.escape(title)}\s+\d+\s*$", contents, re.M), "the preface is not in the contents"


# -- links ------------------------------------------------------------------------------------------------

def test_passage_references_are_links_in_the_pdf(root, pdf_path):
    """Every reference to a passage of the Source texts is a working link in the PDF: its label exists in the
    LaTeX, LaTeX resolved it, and the PDF link lands on the page that holds the paragraph."""
    latex = (root / "_build/latex/us-russia-relations.tex").read_text(encoding="utf-8")
    log = (root / "_build/latex/us-russia-relations.log").read_text(encoding="utf-8", errors="replace")
    refs = re.findall(r"\\hyperref\[\\detokenize\{(evidence/source-texts:seed\d+-p\d+)\}\]", latex)
    assert len(refs) >= 100
    labels = set(re.findall(r"\\label\{\\detokenize\{(evidence/source-texts:seed\d+-p\d+)\}\}", latex))
    assert not sorted(set(refs) - labels)[:10], "passage references without a label"
    undefined = re.findall(r"Hyper reference `([^']*)' on page", log)
    assert not undefined[:10], "undefined hyper references"

    source_texts = _chapter_pages(pdf_path, "Source texts")
    pages = re.findall(r'<page number="(\d+)"[^>]*>(.*?)</page>', _xml(pdf_path), re.S)
    fragments, plain = [], []
    for number, body in pages:
        number = int(number)
        fragments += [(number, int(target), label)
                      for target, label in re.findall(r'<a href="[^"#]*#(\d+)">(?:<[ib]>)*([^<]*)', body)]
        if number not in source_texts:
            for text in re.findall(r"<text [^>]*>((?:(?!</text>).)*)</text>", body):
                if "<a " not in text and re.search(r"¶\d+", text):
                    plain.append(f"page {number}: {re.sub('<[^>]+>', '', text)}")
    links, i = [], 0
    while i < len(fragments):           # a link broken across lines comes in pieces: "seed004, paragraph" "2"
        page, target, label = fragments[i]
        while (re.search(r"(?:¶|paragraph)\s*$", label) and i + 1 < len(fragments)
               and fragments[i + 1][1] == target):
            i += 1
            label += " " + fragments[i][2]
        m = re.search(r"(?:¶|paragraph )\s*(\d+)", label)
        if m:
            links.append((page, target, m.group(1), label))
        i += 1
    assert len(links) >= len(refs), f"{len(links)} passage links in the PDF for {len(refs)} references"
    texts = {n: _pdftotext(pdf_path, "-f", str(n), "-l", str(n)) for n in {t for _, t, _, _ in links}}
    astray = [f"page {page}: '{label}' leads to page {target}" for page, target, para, label in links
              if not (target in source_texts and f"¶{para}" in texts[target])]
    assert not astray, "passage links that miss their paragraph:\n" + "\n".join(astray[:10])
    assert not plain, "passage references that are not links:\n" + "\n".join(plain[:10])


# -- wording ----------------------------------------------------------------------------------------------

WEB_ONLY = re.compile(r"\b(hover(?:s|ed|ing)?|click(?:s|ed|ing)?|tap(?:s|ped|ping)?|tooltips?|mouse)\b"
                      r"|links? to (?:its|a) passage", re.I)


def test_pdf_does_not_tell_readers_to_hover_click_or_tap(pdf_path):
    """Web-only instructions are printed only on the web (`{only} html`, the `{web}` role); the Source texts,
    verbatim seeds, are not the book's wording and are left out of the check."""
    source_texts = _chapter_pages(pdf_path, "Source texts")
    text = _pdftotext(pdf_path, "-l", str(source_texts.start - 1)) + _pdftotext(pdf_path, "-f", str(source_texts.stop))
    found = sorted({re.sub(r"\s+", " ", m.group(0)) for m in WEB_ONLY.finditer(text)})
    lines = [line.strip() for line in text.splitlines() if WEB_ONLY.search(line)]
    assert not found, f"web-only wording in the PDF: {found}\n" + "\n".join(lines[:10])


def test_web_and_print_wording_each_go_to_their_medium(root, html_dir):
    latex = (root / "_build/latex/us-russia-relations.tex").read_text(encoding="utf-8")
    intro = (html_dir / "intro.html").read_text(encoding="utf-8")
    assert "over a point or bar" in intro and "printed book" not in intro
    assert "printed book" in latex and "over a point or bar" not in latex
    history = (html_dir / "chapters/history.html").read_text(encoding="utf-8")
    assert "links to its passage" in history and "printed in the Source texts chapter" not in history
    assert "links to its passage" not in latex and "printed in the Source texts chapter" in latex
    assert "usrubook-web-only" not in latex + history and "usrubook-print-only" not in latex + history


# -- bibliography -----------------------------------------------------------------------------------------

RAW_LATEX = re.compile(r"\\|[{}]")
YEAR = re.compile(r"(?<![\w-])(1[6-9]\d\d|20\d\d)(?![\w-])")


def _repeated_years(entry: str) -> list[str]:
    """Years printed twice in one sentence of an entry (a date in both 'year' and 'howpublished' gives
    '6 January 2017, 2017'). The URL and the access date are left out; a year in a title's own sentence
    and again in the publication date is not a repeat."""
    entry = re.sub(r"URL:\s*\S+", "", entry)
    entry = re.sub(r"Accessed \d{1,2} \w+ \d{4}\.?", "", entry)
    return [f"{year} in '{sentence.strip()[:80]}'" for sentence in re.split(r"\.\s", entry)
            for year, n in Counter(YEAR.findall(sentence)).items() if n > 1]


def test_bibliography_checks_fire():
    """The checks themselves: each catches what it is for and passes what is fine."""
    assert _repeated_years("ABC News. Putin ordered it. ABC News, 6 January 2017, 2017. Accessed 22 November 2026.")
    assert _repeated_years("Wire. Talks. Paper, January 2026 (2026).")
    assert not _repeated_years("VOA. Condolences - 2002-09-11. Voice of America, 11 September 2002. "
                               "Accessed 22 November 2026. URL: https://example.org/2002/2002.")
    assert not _repeated_years("Tehran Times. Maritime Security Belt 2025: Iran. Tehran Times, 11 March 2025.")
    assert not _repeated_years("Wikipedia (Kiwix snapshot wikipedia_en_all_maxi_2024-01), January 2024.")
    assert RAW_LATEX.search(r"CNS. \$12.7 Billion.") and RAW_LATEX.search("{Russia} and {US}")
    assert not RAW_LATEX.search("CNS. $12.7 Billion: U.S. Ran Trade Deficit.")


def _pdf_bibliography(root, pdf_path) -> list[str]:
    """The printed entries, read from the text block only (no running heads)."""
    outline = _outline(pdf_path)
    # the References chapter is the bibliography; the Re-run chapter follows it
    start = next(page for page, text in outline if text.endswith("References"))
    end = next(page for page, text in outline if page > start and "Re-run" in text)
    layout = _layout(root)
    text = _pdftotext(pdf_path, "-raw", "-f", str(start), "-l", str(end - 1), "-x", "0",
                      "-y", str(int(layout["texttop"])), "-W", "2000",
                      "-H", str(int(layout["textheight"]) + 1)).replace("\f", "\n")
    entries = re.split(r"(?m)^\[((?:Seed \d{3})|[^\]\n]{2,80}?)\]\s", text)
    return [re.sub(r"\s+", " ", body).strip() for body in entries[2::2]]


def _html_bibliography(html_dir) -> dict[str, str]:
    soup = BeautifulSoup((html_dir / "references.html").read_text(encoding="utf-8"), "html.parser")
    out = {}
    for entry in soup.select("article div.citation[id]"):
        label = entry.find(class_="label")
        if label is not None:
            label.extract()
        out[entry["id"]] = entry.get_text(" ", strip=True)
    return out


def test_bibliography_has_no_raw_latex_and_no_repeated_year(root, html_dir, pdf_path):
    pdf, html = _pdf_bibliography(root, pdf_path), _html_bibliography(html_dir)
    assert len(pdf) >= 100 and len(pdf) == len(html), (len(pdf), len(html))
    problems = []
    for medium, entries in (("PDF", pdf), ("HTML", list(html.values()))):
        for entry in entries:
            if RAW_LATEX.search(entry):
                problems.append(f"{medium}: raw LaTeX in '{entry[:100]}'")
            problems += [f"{medium}: year {r}" for r in _repeated_years(entry)]
    assert not problems, "\n".join(problems[:20])
    # both media print the same entries
    assert Counter(_squash(e) for e in pdf) == Counter(_squash(e) for e in html.values())


def test_bibliography_lists_only_cited_entries(root, html_dir):
    latex = (root / "_build/latex/us-russia-relations.tex").read_text(encoding="utf-8")
    items = re.findall(r"\\bibitem\[[^\]]*\]\{([^}]*)\}", latex)
    cited = set(re.findall(r"\\hyperlink\{cite\.([^}]*)\}", latex))
    assert items and not [i for i in items if i not in cited], "uncited entries in the PDF bibliography"
    linked = set()
    for page in html_dir.rglob("*.html"):
        linked |= set(re.findall(r'href="(?:[^"#]*/)?references\.html#([^"]+)"', page.read_text(encoding="utf-8")))
        if page.name == "references.html":
            linked |= set(re.findall(r'href="#([^"]+)"', page.read_text(encoding="utf-8")))
    uncited = sorted(set(_html_bibliography(html_dir)) - linked)
    assert not uncited, f"uncited entries in the HTML bibliography: {uncited[:10]}"
    assert "all" not in re.findall(r":(\w+):", (root / "references.md").read_text(encoding="utf-8"))


# -- chart text -------------------------------------------------------------------------------------------

def _matmul(a, b):
    return [a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3],
            a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3],
            a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5]]


_OPS = re.compile(rb"\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>|\[|\]|/[^\s/\[\]()<>]+|[-+]?(?:\d+\.?\d*|\.\d+)"
                  rb"|[A-Za-z'\"*]+")


def chart_text_sizes(path: Path) -> list[float]:
    """The size at which each piece of text of a one-page PDF is drawn, in points of the page: the font size
    (Tf) times the scale of the text and transformation matrices, following form XObjects."""
    from usrubook.book.latex import _Parser, _Ref

    objs, _ = _Parser(path.read_bytes()).objects()

    def stream(num):
        value, data = objs[num]
        return zlib.decompress(data) if "FlateDecode" in repr(value.get(b"/Filter")) else data

    def resources(value):
        res = value.get(b"/Resources")
        res = objs[res.num][0] if isinstance(res, _Ref) else (res or {})
        xo = res.get(b"/XObject", {})
        return objs[xo.num][0] if isinstance(xo, _Ref) else xo

    sizes = []

    def run_stream(num, value, ctm):
        matrix = value.get(b"/Matrix")
        if matrix:
            ctm = _matmul([float(v[1]) for v in matrix], ctm)
        xobjects = resources(value)
        stack, tm, size, operands = [], [1, 0, 0, 1, 0, 0], 0.0, []
        for tok in _OPS.findall(stream(num)):
            if re.fullmatch(rb"[-+]?(?:\d+\.?\d*|\.\d+)", tok) or tok[:1] in b"/([<]":
                operands.append(tok)
                continue
            if tok == b"q":
                stack.append(ctm)
            elif tok == b"Q":
                ctm = stack.pop()
            elif tok == b"cm":
                ctm = _matmul([float(v) for v in operands[-6:]], ctm)
            elif tok == b"BT":
                tm = [1, 0, 0, 1, 0, 0]
            elif tok == b"Tm":
                tm = [float(v) for v in operands[-6:]]
            elif tok == b"Tf":
                size = float(operands[-1])
            elif tok in (b"Tj", b"TJ", b"'", b'"'):
                m = _matmul(tm, ctm)
                sizes.append(size * abs(m[0] * m[3] - m[1] * m[2]) ** 0.5)
            elif tok == b"Do":
                ref = xobjects.get(operands[-1])
                if isinstance(ref, _Ref) and objs[ref.num][0].get(b"/Subtype") == ("atom", b"/Form"):
                    run_stream(ref.num, objs[ref.num][0], ctm)
            operands = []

    page = next(v for v, _ in objs.values() if isinstance(v, dict) and v.get(b"/Type") == ("atom", b"/Page"))
    contents = page[b"/Contents"]
    for ref in contents if isinstance(contents, list) else [contents]:
        run_stream(ref.num, page, [1, 0, 0, 1, 0, 0])
    return sizes


def test_chart_text_sizes_are_measured_as_drawn(tmp_path):
    """The measure itself: a chart with 12, 10 and 8 px text, from vl-convert, reads as 12, 10 and 8 pt
    (vl-convert draws 1 px as 1 pt)."""
    import vl_convert

    spec = {"data": {"values": [{"x": i, "t": t} for i, t in enumerate("abc")]}, "width": 200, "height": 50,
            "layer": [{"mark": {"type": "text", "fontSize": s}, "transform": [{"filter": f"datum.x == {i}"}],
                       "encoding": {"x": {"field": "x", "type": "quantitative", "axis": None},
                                    "text": {"field": "t"}}} for i, s in enumerate((12, 10, 8))]}
    path = tmp_path / "chart.pdf"
    path.write_bytes(vl_convert.vegalite_to_pdf(spec))
    assert sorted(set(round(s, 3) for s in chart_text_sizes(path))) == [8.0, 10.0, 12.0]


def _page_size(path: Path) -> tuple[float, float]:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    w, h = re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups()
    return float(w), float(h)


MIN_PRINTED_PT = 8.0


def test_chart_text_is_at_least_8_pt_when_printed(root):
    """Each chart PDF is included at its natural size or shrunk to the text width (Sphinx's
    \\sphinxincludegraphics); its smallest text times that scale must print at 8 pt or more."""
    latex_dir = root / "_build/latex"
    latex = (latex_dir / "us-russia-relations.tex").read_text(encoding="utf-8")
    layout = _layout(root)
    includes = re.findall(r"\\sphinxincludegraphics(\[[^\]]*\])?\{\{([0-9a-f]{64})\}\.pdf\}"
                          r"(?:(?!\\label).)*\\label\{\\detokenize\{([^}]*)\}", latex, re.S)
    assert len(includes) >= 3
    small = []
    for options, name, label in includes:
        width, height = _page_size(latex_dir / f"{name}.pdf")
        m = re.search(r"width=([\d.]+)pt", options or "")
        assert not options or m, f"{label}: include options the test does not know: {options}"
        target = float(m.group(1)) * 72 / 72.27 if m else width
        scale = min(target / width, layout["linewidth"] / width, layout["textheight"] / height)
        smallest = min(chart_text_sizes(latex_dir / f"{name}.pdf"))
        if smallest * scale < MIN_PRINTED_PT - 0.005:
            small.append(f"{label}: {width:.0f}x{height:.0f} pt chart printed at {scale:.3f}: its {smallest:g} px text "
                         f"prints at {smallest * scale:.2f} pt; at this size the chart may be at most "
                         f"{layout['linewidth'] * smallest / MIN_PRINTED_PT:.0f} px wide, or its smallest text "
                         f"{MIN_PRINTED_PT / scale:.1f} px")
    assert not small, "chart text under 8 pt in print:\n" + "\n".join(small)


# -- the chart Data view in print -------------------------------------------------------------------------

def _png() -> bytes:
    """A one-pixel PNG."""
    import struct

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + chunk(b"IEND", b""))


CHAPTER = """Chapter one
===========

Section A
---------

.. figure:: chart.png
   :name: fig-demo

   A demo chart, see :ref:`sec-b`.

   Legend.

   .. container:: usrubook-chart-data

      .. table:: Bars

         ===== =====
         Name  Value
         ===== =====
         alpha 1
         beta  2
         ===== =====

.. _sec-b:

Section B
---------

The last words of chapter one.
"""


def test_chart_data_is_not_printed(pdf_path, root):
    """A printed chapter is its text, charts and content tables: the rows each chart draws (its Data view on the
    web page, and its CSV) are not printed after the chapter."""
    tex = (root / "_build/latex/us-russia-relations.tex").read_text(encoding="utf-8")
    assert "Data drawn in the figures" not in tex and "usrubook-chart-data" not in tex
    assert "Data drawn in the figures" not in _text(pdf_path)

# -- page labels ------------------------------------------------------------------------------------------

def _page_labels(pdf_path) -> list[tuple[int, dict]]:
    """The /PageLabels number tree of the catalogue: (first page index, {"S": style, "P": prefix, "St": start}).
    xdvipdfmx puts the catalogue in a compressed object stream, so every stream is inflated and searched."""
    data = Path(pdf_path).read_bytes()
    chunks = [data]
    for m in re.finditer(rb"stream\r?\n", data):
        end = data.find(b"endstream", m.end())
        try:
            chunks.append(zlib.decompress(data[m.end():end]))
        except zlib.error:
            continue
    for chunk in chunks:
        found = re.search(rb"/PageLabels\s*<<\s*/Nums\s*\[(.*?)\]\s*>>", chunk, re.S)
        if found:
            entries = re.findall(rb"(\d+)\s*<<(.*?)>>", found.group(1), re.S)
            return [(int(index), {key: a or b or c for key, a, b, c in
                                  re.findall(r"/(S|P|St)\s*(?:/(\w+)|\(([^)]*)\)|(\d+))", body.decode("latin-1"))})
                    for index, body in entries]
    return []


def _roman(n: int) -> str:
    out = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"),
                           (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out, n = out + letters, n - value
    return out


def _labels(ranges, pages: int) -> list[str]:
    out = []
    for index in range(pages):
        first, spec = [r for r in ranges if r[0] <= index][-1]
        number = index - first + int(spec.get("St", 1))
        style = spec.get("S")
        text = {"D": str(number), "r": _roman(number), "R": _roman(number).upper(), None: ""}[style]
        out.append(spec.get("P", "") + text)
    return out


def test_page_labels_are_the_printed_page_numbers(pdf_path):
    """A viewer's page box shows the number printed on the page: the contents in roman numerals, the preface
    from 1 on; the title page, which prints no number, is labelled 'Title' (so that no two pages are '1')."""
    ranges = _page_labels(pdf_path)
    assert ranges, "the PDF has no page labels"
    pages = _text(pdf_path).split("\f")[:-1]
    labels = _labels(ranges, len(pages))
    assert labels[0] == "Title", f"the title page is labelled {labels[0]!r}"
    assert len(set(labels)) == len(labels), "two pages have the same label"
    wrong = []
    for index, (page, label) in enumerate(zip(pages, labels, strict=True)):
        if index == 0:
            continue
        lines = [line.split() for line in page.splitlines() if line.strip()]
        printed = {lines[0][0], lines[0][-1], lines[-1][0], lines[-1][-1]}
        if label not in printed:
            wrong.append(f"PDF page {index + 1}: labelled {label}, prints {lines[0][:3]} … {lines[-1][-3:]}")
    assert not wrong, "page labels that are not the printed numbers:\n" + "\n".join(wrong[:10])
    # e.g. the first page of the chapters prints 1 and is labelled 1; the contents' first page is i
    assert labels[1] == "i" and "1" in labels


def test_only_the_latex_build_draws_chart_pdfs(monkeypatch):
    """A chart's print PDF is drawn for the LaTeX build alone; the web build's node carries the spec only (for the
    "Get the data" files), and a LaTeX build given such a node stops instead of printing no chart."""
    from types import SimpleNamespace

    from usrubook.book import buildcache, mimerender
    from usrubook.book.protocol import MIME

    spec = {"description": "Two bars", "data": {"values": [{"x": "a", "y": 1}, {"x": "b", "y": 2}]},
            "mark": "bar", "encoding": {"x": {"field": "x", "type": "nominal"}, "y": {"field": "y", "type": "quantitative"}},
            "usermeta": {"usrubook_data": [{"x": "a"}]}}
    drawn, written = [], []
    real = mimerender.print_pdf
    monkeypatch.setattr(mimerender, "print_pdf", lambda s: drawn.append(s) or real(s))
    monkeypatch.setattr(buildcache, "CHART_PDFS", SimpleNamespace(get=lambda key: None, put=lambda key, value: None))

    def render(builder_format):
        app = SimpleNamespace(builder=SimpleNamespace(format=builder_format))
        renderer = SimpleNamespace(renderer=SimpleNamespace(sphinx_env=SimpleNamespace(app=app)),
                                   write_file=lambda path, content, **kw: written.append(content) or path[0])
        [node] = mimerender.ChartPDF.handle_mime(renderer, SimpleNamespace(mime_type=MIME, content=spec), False)
        return node

    web = render("html")
    assert (drawn, written) == ([], [])
    assert mimerender.SPEC_ONLY in web["classes"] and not isinstance(web, nodes.image)
    assert json.loads(web[mimerender.SPEC_ATTRIBUTE]) == {k: v for k, v in spec.items() if k != "usermeta"}
    printed = render("latex")
    assert isinstance(printed, nodes.image) and printed["uri"].endswith(".pdf")
    assert len(drawn) == 1 and written[0].startswith(b"%PDF")
    assert printed[mimerender.SPEC_ATTRIBUTE] == web[mimerender.SPEC_ATTRIBUTE]
    # a LaTeX build that meets the web build's node (another builder's doctrees) stops and says why
    from docutils.utils import new_document
    from sphinx.errors import SphinxError

    from usrubook.book.latex import print_transforms

    from sphinx import addnodes

    # as the LaTeX builder assembles the book: one doctree, named after the root page, each page in its start_of_file
    document = new_document("intro.md")
    document.settings.env = SimpleNamespace(docname="intro", app=SimpleNamespace(
        builder=SimpleNamespace(name="latex", format="latex")))
    document += addnodes.start_of_file("", nodes.section("", nodes.figure("", web)), docname="chapters/trade")
    [guard] = [t for t in print_transforms() if t.__name__ == "ChartsDrawn"]
    with pytest.raises(SphinxError, match="chapters/trade: its charts were read by another builder"):
        guard(document).apply()
