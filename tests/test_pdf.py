"""The PDF holds the chapter, every figure and table caption, and charts as vector graphics."""
import re
import subprocess



def _text(pdf_path):
    return subprocess.run(["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True, text=True,
                          check=True).stdout


def _squash(text: str) -> str:
    """Text without spaces, hyphens (LaTeX hyphenates) and typographic quotes (Sphinx curls them)."""
    text = text.translate(str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'}))
    return re.sub(r"[\s\-‐]+", "", text)


def _captions(page: str) -> list[str]:
    """The opening words of every figure and table caption in a page's source (up to any role)."""
    captions = re.findall(r"caption: \|\n\s+([^{\n]+)", page)
    captions += re.findall(r'caption="([^{"]+)', page)
    return [c.strip() for c in captions]


def _pages(root):
    from usrubook.build.nbcheck import pages

    return {page: (root / page).read_text(encoding="utf-8") for page in pages(root)}


def test_pdf_has_the_chapter_and_every_caption(pdf_path, root):
    text = _squash(_text(pdf_path))
    for title in ("Trade", "Goods and services in 2022", "Direct investment", "History", "The turn of 2014"):
        assert _squash(title) in text, title
    captions = [c for page in _pages(root).values() for c in _captions(page)]
    assert len(captions) >= 5
    for caption in captions:
        assert _squash(caption) in text, caption
    assert len(set(re.findall(r"Fig\.\d+\.\d+:", text))) >= 5
    assert len(set(re.findall(r"Table\d+\.\d+:", text))) >= 3


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
