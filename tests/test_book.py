"""The book's structure and minimums: table of contents, chapters, citations, PDF front matter and layout."""
import re
import subprocess

import pytest
import yaml

CHAPTERS = ["chapters/history", "chapters/current-state", "chapters/europe-asia", "chapters/trade",
            "chapters/outlook"]
EVIDENCE = ["evidence/sources", "evidence/verification", "evidence/chronology", "evidence/methods",
            "evidence/source-texts", "glossary", "references"]
RERUN = ["rerun"]


def _prose(text: str) -> str:
    text = re.sub(r"```\{code-cell\}.*?```", "", text, flags=re.S)
    return re.sub(r"\A---.*?---", "", text, flags=re.S)


def test_table_of_contents_order(root):
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    assert toc["root"] == "intro"
    parts = {p["caption"]: [c["file"] for c in p["chapters"]] for p in toc["parts"]}
    assert parts == {"Chapters": CHAPTERS, "Evidence": EVIDENCE, "Re-run": RERUN}
    assert [p.get("numbered", False) for p in toc["parts"]] == [True, True, False]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_minimums(chapter, root):
    text = (root / f"{chapter}.md").read_text(encoding="utf-8")
    assert len(_prose(text).split()) >= 1500, "at least 1,500 words of analysis"
    assert ":::{admonition} Key points" in text
    assert len(re.findall(r"mystnb:\n  figure:", text)) >= 2, "at least two charts as numbered figures"
    assert re.search(r"usrubook\.table\(", text), "at least one table built from data/"
    for figure in re.findall(r"name: (fig-[\w-]+)", text):
        assert f"{{numref}}`{figure}`" in text, f"{figure} is never cross-referenced"
    cells = re.findall(r"```\{code-cell\} ipython3\n(.*?)\n", text)
    assert cells and all("hide-input" in c or "hide-cell" in c or c == "---" for c in cells)
    for block in re.findall(r"```\{code-cell\} ipython3\n---\n(.*?)\n---", text, flags=re.S):
        assert "hide-input" in block or "hide-cell" in block


def test_every_citation_key_is_in_the_bibliography(root):
    keys = set(re.findall(r"^@\w+\{([^,\s]+),", (root / "references.bib").read_text(encoding="utf-8"), re.M))
    pages = [root / "intro.md", *(root / "chapters").glob("*.md"), *(root / "evidence").glob("*.md")]
    cited = {k.strip() for page in pages for group in re.findall(r"\{cite\}`([\w,\s-]+)`", page.read_text(encoding="utf-8"))
             for k in group.split(",")}
    assert cited and cited <= keys, sorted(cited - keys)


def test_citation_metadata_agrees(root, html_dir):
    """CITATION.cff is the one source: the configuration names no title, version or release, and the built
    preface cites the version of CITATION.cff (tests/test_metadata.py checks the rest)."""
    cff = yaml.safe_load((root / "CITATION.cff").read_text(encoding="utf-8"))
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    assert "title" not in config and "release" not in config["sphinx"]["config"]
    intro = (html_dir / "intro.html").read_text(encoding="utf-8")
    assert f"(Version {cff['version']})" in intro and f'<span class="s">{{{cff["version"]}}}</span>' in intro
    assert f"<title>Preface &#8212; {cff['title']}</title>" in intro


def _pdftext(pdf_path, *args):
    return subprocess.run(["pdftotext", *args, str(pdf_path), "-"], capture_output=True, text=True, check=True).stdout


def test_pdf_front_matter_and_back_matter(root, pdf_path):
    version = yaml.safe_load((root / "CITATION.cff").read_text(encoding="utf-8"))["version"]
    title = _pdftext(pdf_path, "-l", "1")
    assert "US–Russia Relations" in title and f"Version {version}" in title and "Evidence as of January 2026" in title
    text = _pdftext(pdf_path)
    assert "CONTENTS" in text.upper()
    for heading in ("History", "Current state", "Europe and Asia", "Trade", "Outlook", "Sources",
                    "Methods and data", "Source texts", "Bibliography"):
        assert heading in text, heading
    numbers = []
    for i in range(12, 18):   # pages of the main matter
        lines = [line for line in _pdftext(pdf_path, "-layout", "-f", str(i), "-l", str(i)).splitlines() if line.strip()]
        footer = re.match(r"^\s*(\d+)\s|.*\s(\d+)\s*$", lines[-1]) if lines else None
        numbers.append(int(footer.group(1) or footer.group(2)) if footer else None)
    assert None not in numbers and numbers == list(range(numbers[0], numbers[0] + len(numbers))), numbers


def test_pdf_text_stays_on_the_page(root, pdf_path):
    log = (root / "_build/latex/us-russia-relations.log").read_text(encoding="utf-8", errors="replace")
    widths = [float(w) for w in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)]
    assert max(widths, default=0) <= 10, f"a line runs {max(widths):.1f}pt beyond its box"
