"""The PDF holds the chapter, every figure and table caption, and charts as vector graphics."""
import re
import subprocess



def _text(pdf_path):
    return subprocess.run(["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True, text=True,
                          check=True).stdout


def _squash(text: str) -> str:
    return re.sub(r"[\s\-‐]+", "", text)


def _captions(chapter: str) -> list[str]:
    """The first words of every figure and table caption in a chapter's source, up to the citation."""
    captions = re.findall(r"caption: \|\n\s+(.+?)\s*\{cite\}", chapter)
    captions += re.findall(r'caption="(.+?)\s*\{cite\}', chapter)
    return captions


def test_pdf_has_the_chapter_and_every_caption(pdf_path, root):
    text = _squash(_text(pdf_path))
    assert _squash("Trade") in text
    chapter = (root / "chapters/trade.md").read_text(encoding="utf-8")
    captions = _captions(chapter)
    assert len(captions) == 5
    for caption in captions:
        assert _squash(caption) in text, caption
    for label in ("Fig. 1.1", "Fig. 1.2", "Fig. 1.3", "Table 1.1", "Table 1.2"):
        assert _squash(label) in text, label


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
    assert len(re.findall(r"\\sphinxincludegraphics\{\{[0-9a-f]{64}\}\.pdf\}", latex)) == 3
