"""Build-speed and page-size benchmark of the book (``make bench``).

Works on a fresh copy of the book's sources in a temporary folder, so the
measurements start clean and leave ``_build/`` alone. Prints each figure with
its budget; exits 1 if a budget is exceeded. Budgets (2-core machine):

* clean HTML build  <= 2 x the floor (kernel start + import pandas and altair,
  times the number of executed pages);
* no-change rebuild <= 3 s;
* a chapter page    <= 250 KB (the page's own HTML; shared static files excluded);
* derive-and-validate time per seed stays flat: at 100x the seeds, at most
  1.5 x the time per seed of the real corpus (benchmarks/scale.py).
"""
from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.prefix) / "bin"
JB = [str(VENV_BIN / "jupyter-book"), "build", ".", "-W", "-n", "--keep-going"]
ENV = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}"}


def timed(args, cwd) -> float:
    start = time.perf_counter()
    result = subprocess.run(args, cwd=cwd, env=ENV, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"bench: {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return elapsed


def floor_per_page(repeats: int = 3) -> float:
    """Seconds to start a kernel and import pandas and altair (median of ``repeats``)."""
    from jupyter_client.manager import start_new_kernel

    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        km, kc = start_new_kernel(kernel_name="python3")
        try:
            kc.execute_interactive("import pandas, altair", timeout=120)
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def executed_pages(root: Path) -> list[str]:
    sys.path.insert(0, str(ROOT))
    from usrubook.build.nbcheck import pages
    return pages(root)


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="usrubook-bench-"))
    book = tmp / "book"
    shutil.copytree(ROOT, book, ignore=shutil.ignore_patterns("_build", ".venv", ".git", "__pycache__", "*.egg-info"))
    try:
        pages = executed_pages(book)
        rows = []
        clean = timed(JB, book)
        nochange = timed(JB, book)
        page = book / "chapters" / "trade.md"
        page.write_text(page.read_text(encoding="utf-8").replace(
            "Two cautions apply.", "Two cautions apply here."), encoding="utf-8")
        prose = timed(JB, book)
        nbval_prep = timed([str(VENV_BIN / "python"), "-m", "usrubook.build.nbcheck", "prepare"], book)
        nbval = nbval_prep + timed([str(VENV_BIN / "pytest"), "-p", "no:cacheprovider", "--nbval-lax",
                                    "--nbval-current-env", "-q", "_build/nbval"], book)
        pdf = timed(JB[:3] + ["--builder", "pdflatex"] + JB[3:], book)
        floor = floor_per_page() * len(pages)

        rows.append(("clean HTML build", f"{clean:.1f} s", f"<= {2 * floor:.1f} s (2 x floor)", clean <= 2 * floor))
        rows.append(("no-change rebuild", f"{nochange:.1f} s", "<= 3.0 s", nochange <= 3.0))
        rows.append(("prose-only rebuild", f"{prose:.1f} s", "", None))
        rows.append(("nbval (prepare + run)", f"{nbval:.1f} s", "", None))
        rows.append(("PDF build (after HTML)", f"{pdf:.1f} s", "", None))
        rows.append(("floor", f"{floor:.1f} s", f"{len(pages)} executed pages x {floor / len(pages):.2f} s", None))
        html = book / "_build" / "html"
        for rel in pages:
            out = html / (rel[:-3] + ".html")
            kb = out.stat().st_size / 1024
            rows.append((f"page {rel[:-3]}.html", f"{kb:.0f} KB", "<= 250 KB", kb <= 250))
        bundle = html / "_static" / "usrubook-vega.js"
        rows.append(("shared Vega bundle", f"{bundle.stat().st_size / 1024:.0f} KB", "shared by chart pages", None))
        sys.path.insert(0, str(ROOT / "benchmarks"))
        import scale

        sizes = scale.measure(ROOT, tmp / "scale")
        base = sizes[0][2] / sizes[0][1]
        for factor, seeds, seconds in sizes:
            per = seconds / seeds
            ok = per <= 1.5 * base if factor == 100 else None
            rows.append((f"derive+validate {factor}x ({seeds} seeds)", f"{seconds:.2f} s",
                         f"{1000 * per:.1f} ms per seed" + (" (<= 1.5 x the 1x figure)" if factor == 100 else ""), ok))
        width = max(len(r[0]) for r in rows)
        print(f"{'measure':<{width}}  {'value':>9}  budget")
        over = 0
        for name, value, budget, ok in rows:
            mark = "" if ok is None else ("  ok" if ok else "  OVER BUDGET")
            over += ok is False
            print(f"{name:<{width}}  {value:>9}  {budget}{mark}")
        return 1 if over else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
