"""The package's folders follow the flow (pipeline → chapter → build) and its imports have no circle."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "usrubook"


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> dict[str, set[str]]:
    """Every usrubook module and the usrubook modules it imports (at top level or inside functions)."""
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("usrubook"):
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    found.add(sub if sub in modules else node.module)
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith("usrubook.")}
        graph[name] = {m for m in found if m in modules and m != name and m != "usrubook"}
    return graph


def test_no_import_circle():
    graph = imports()
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node):
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                raise AssertionError("import circle: " + " -> ".join(path[path.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_folders_follow_the_flow():
    """The pipeline imports neither chapter helpers nor the book's build code; chapter helpers import of it only
    the shared names in ``usrubook.book.protocol``."""
    bad = []
    for module, deps in imports().items():
        for dep in deps:
            if module.startswith("usrubook.pipeline") and dep.startswith(("usrubook.chapter", "usrubook.book")):
                bad.append(f"{module} imports {dep}")
            if module.startswith("usrubook.chapter") and dep.startswith("usrubook.book") \
                    and dep != "usrubook.book.protocol":
                bad.append(f"{module} imports {dep}")
    assert not bad, "; ".join(sorted(bad))
    assert {p.name for p in PACKAGE.iterdir() if p.is_dir() and not p.name.startswith("__")} == {
        "pipeline", "chapter", "book"}


def test_the_build_process_does_not_import_pandas_or_altair():
    """The book's Sphinx extension (and the myst-nb chart renderer it registers) imports no pandas: it took 0.8 s
    at the start of every build. The chapters' kernels import it; the build only reads their outputs. Nor does it
    import Altair (0.12 s) for the Vega-Lite version of its charts, which it reads from Altair's files: the
    version Altair itself gives."""
    import subprocess
    import sys

    # and the chapter helpers the build's modules import while they write pages (inside functions)
    helpers = sorted({node.module for path in (PACKAGE / "book").glob("*.py")
                      for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                      if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("usrubook.chapter.")}
                     # data (a chapter's loader, with pandas) only for the message about an unknown table
                     - {"usrubook.chapter.data"})
    assert helpers, "the build imports no chapter helper: the test no longer checks them"
    code = ("import sys, jupyter_book.cli.main, usrubook.book.sphinxext, usrubook.book.mimerender; "
            f"import {', '.join(helpers)}; "
            "from usrubook.book.protocol import vl_version; v = vl_version(); "
            "print(sorted(m for m in ('pandas', 'numpy', 'altair') if m in sys.modules)); "
            "import altair; print(v, '.'.join(altair.VEGALITE_VERSION.split('.')[:2]))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    imported, versions = result.stdout.strip().splitlines()
    assert imported == "[]", result.stdout
    read, altairs = versions.split()
    assert read == altairs, f"read from Altair's files: {read}; Altair says {altairs}"


def test_the_build_command_ends_with_jupyter_books_status_and_output():
    """``python -m usrubook.book.jb`` (the Makefile's $(JB)) ends with os._exit: what jupyter-book printed still
    arrives, and its exit status is the process's, for a command that succeeds and for one that fails."""
    import subprocess
    import sys

    command = [sys.executable, "-m", "usrubook.book.jb"]
    ok = subprocess.run(command + ["--version"], cwd=PACKAGE.parent, capture_output=True, text=True)
    assert ok.returncode == 0 and "Jupyter Book" in ok.stdout and "MyST-NB" in ok.stdout, ok
    bad = subprocess.run(command + ["build", "no-such-folder"], cwd=PACKAGE.parent, capture_output=True, text=True)
    assert bad.returncode == 2 and "'no-such-folder' does not exist" in bad.stderr, bad
    from usrubook.book.jb import status_of
    assert [status_of(None), status_of(0), status_of(3)] == [0, 0, 3]
