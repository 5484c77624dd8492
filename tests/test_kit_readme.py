"""A chapter kit's README (usrubook/book/rerun.py, ``_readme``) tells a reader on Linux, macOS and Windows how to run
it, and every file and command it names is one the kit has."""
import io
import re
import zipfile

import pytest

from conftest import ROOT
from usrubook.book.metadata import book_metadata

_CFF = book_metadata(ROOT)
META = {"book": _CFF.title, "version": _CFF.version}


def _kit(chapter: str) -> dict[str, bytes]:
    from usrubook.book import rerun

    archive = zipfile.ZipFile(io.BytesIO(rerun.kit(ROOT, f"chapters/{chapter}.md", META)))
    top = f"usrubook-{chapter}/"
    return {n[len(top):]: archive.read(n) for n in archive.namelist() if not n.endswith("/")}


def _code_blocks(readme: str) -> list[list[str]]:
    """The README's indented code blocks, each as its list of commands."""
    blocks, current = [], []
    for line in readme.splitlines() + [""]:
        if line.startswith("    ") and line.strip():
            current.append(line.strip())
        elif current:
            blocks.append(current)
            current = []
    return blocks


@pytest.mark.parametrize("chapter", ["trade", "europe-asia"])
def test_kit_readme_gives_commands_for_each_system(chapter):
    files = _kit(chapter)
    readme = files["README.md"].decode("utf-8")
    blocks = _code_blocks(readme)
    unix = [b for b in blocks if b[0].startswith("python3 -m venv")]
    windows = [b for b in blocks if b[0].startswith("py -3 -m venv")]
    assert len(unix) == 1 and len(windows) == 1, f"{chapter}: README.md should have one block of commands for Linux " \
                                                 f"and macOS and one for Windows; its code blocks are {blocks}"
    assert unix[0] == ["python3 -m venv .venv", ".venv/bin/python -m pip install -r requirements.txt",
                       f".venv/bin/jupyter execute --inplace {chapter}.ipynb"], unix[0]
    assert windows[0] == ["py -3 -m venv .venv", r".venv\Scripts\python -m pip install -r requirements.txt",
                          rf".venv\Scripts\jupyter execute --inplace {chapter}.ipynb"], windows[0]
    for system in ("Linux", "macOS", "Windows"):
        assert re.search(rf"\bOn (\w+ or )?{system}\b", readme), f"{chapter}: README.md has no paragraph for {system}"
    # what the commands need is in the kit: the requirements they install pin the kernel and `jupyter execute`
    pins = {line.split("==")[0].lower().replace("_", "-") for line in files["requirements.txt"].decode("utf-8").splitlines()}
    assert {"nbclient", "ipykernel", "jupyter-core"} <= pins, pins
    assert f"{chapter}.ipynb" in files


@pytest.mark.parametrize("chapter", ["trade", "europe-asia"])
def test_kit_readme_names_only_what_the_kit_holds(chapter):
    files = _kit(chapter)
    readme = files["README.md"].decode("utf-8")
    # each item of the list opens with the names it describes: "- `a`, `b`: ..."
    listed = [n for head in re.findall(r"^- ((?:`[^`]+`(?:, )?)+):", readme, re.M) for n in re.findall(r"`([^`]+)`", head)]
    assert listed, readme[:500]
    for name in listed:
        if name.endswith("/"):
            assert any(f.startswith(name) for f in files), f"{chapter}: README.md names {name}, which the kit lacks"
        else:
            assert name in files, f"{chapter}: README.md names {name}, which the kit lacks"
    # every file the README names anywhere (in the list or in a sentence) is in the kit
    for token in set(re.findall(r"`([\w./-]+\.(?:ipynb|json|txt|toml|bib))`", readme)):
        assert token in files or f"data/{token}" in files, f"{chapter}: README.md names {token}, which the kit lacks"
    if "`-e .`" in readme:
        assert files["requirements.txt"].decode("utf-8").splitlines()[-1] == "-e ." and "pyproject.toml" in files
    for table in re.findall(r"`(\w+)`", readme.split("the tables the chapter loads (", 1)[1].split(")", 1)[0]):
        assert f"data/{table}.csv" in files, f"{chapter}: README.md names table {table}, which the kit lacks"
    assert re.search(r"about \d+ MB of disk space", readme)
    assert f'(version {_CFF.version})' in readme.splitlines()[0] and _CFF.title in readme.splitlines()[0]
