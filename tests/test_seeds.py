"""The seeds are byte-identical to the shared originals and pinned by checksum."""
import hashlib
import os

import pytest

from conftest import ROOT, run
from usrubook.pipeline.derive import build
from usrubook.errors import DataError
from usrubook.pipeline.seeds import load_seeds

SHARED = ROOT.parent / "shared" / "seeds"


def test_five_seeds_pinned_in_manifest(root):
    rows, texts = load_seeds(root)
    assert [r["source_id"] for r in rows] == [f"seed00{i}" for i in range(5)]
    for r in rows:
        data = (root / "seeds" / r["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == r["sha256"]
        assert len(data.decode("utf-8").split()) == r["words"]


def test_seeds_match_shared_originals(root):
    if not SHARED.is_dir():
        if os.environ.get("CI"):
            pytest.fail("../shared/seeds is not beside the checkout in CI")
        pytest.skip("../shared/seeds is not beside this checkout")
    shared = sorted(p.name for p in SHARED.glob("*.txt"))
    assert shared == sorted(p.name for p in (root / "seeds").glob("*.txt"))
    for name in shared:
        assert (root / "seeds" / name).read_bytes() == (SHARED / name).read_bytes(), name


def test_changed_seed_is_refused(book_copy):
    seed = book_copy / "seeds" / "003_fac465e6cb5f4842.txt"
    seed.write_bytes(seed.read_bytes().replace(b"$20.2 billion", b"$20.3 billion"))
    with pytest.raises(DataError) as err:
        build(book_copy)
    message = str(err.value)
    assert "seeds/sources.csv, line 5, column 'sha256'" in message
    assert "003_fac465e6cb5f4842.txt has changed" in message
    assert "restore the file from ../shared/seeds/" in message


def test_seed_dating_evidence_is_quoted(root):
    sources = (root / "data" / "sources.csv").read_text(encoding="utf-8")
    assert "Last Updated : 08 Mar, 2024" in sources
    result = run(["python", "-c", "import usrubook; s = usrubook.load('sources'); "
                  "print(s.set_index('source_id').loc['seed002', 'stated_date'])"], cwd=root / "chapters")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2024-03-08"
