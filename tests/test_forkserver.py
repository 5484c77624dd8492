"""Chapter kernels forked by the book's kernel server (usrubook/book/forkserver.py) run a page as an ordinary
kernel does: the same outputs, a failing cell reported with the kernel's own standard error, signals passed on,
no kernel left behind when its client is killed, and an ordinary kernel when the server cannot be reached."""
import asyncio
import copy
import json
import os
import signal
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT
from usrubook.book import execution, forkserver

pytestmark = pytest.mark.slow


def _outputs(nb) -> str:
    return json.dumps([c.get("outputs") for c in nb.cells if c.cell_type == "code"], sort_keys=True)


def _notebook(*sources: str):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources],
                                    metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                             "language": "python"}})


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def test_a_forked_kernel_gives_the_outputs_of_an_ordinary_one():
    """The Trade chapter executed in an ordinary kernel and in a forked one: the same outputs, no error, and
    nothing on the kernel's own standard error."""
    import jupytext

    page = ROOT / "chapters" / "trade.md"
    source = jupytext.read(page)
    ordinary, forked = copy.deepcopy(source), copy.deepcopy(source)
    plain = execution._execute(page, "chapters/trade.md", ordinary, 300, False)
    with forkserver.running(ROOT) as server:
        result = execution._execute(page, "chapters/trade.md", forked, 300, False, server)
    assert plain[1] is None and result[1] is None, (plain[1], result[1])
    assert result[3] == "", result[3]
    assert _outputs(forked) == _outputs(ordinary)


def test_a_failing_cell_in_a_forked_kernel_is_reported_with_the_kernels_stderr():
    """A cell that fails is the page's error, at its cell; what the kernel's process wrote to its standard error
    (here by a low-level write) is captured, as with an ordinary kernel; the kernel runs in the page's folder,
    with the page's name in its environment and the book's code importable."""
    nb = _notebook("import os, usrubook\nos.write(2, b'written by the process\\n')\n"
                   "print(os.getcwd(), os.environ.get('USRUBOOK_CHAPTER'))",
                   "raise ValueError('the third cell fails')", "print('never')")
    with forkserver.running(ROOT) as server:
        seconds, error, index, stderr = execution._execute(ROOT / "chapters" / "trade.md", "chapters/trade.md", nb,
                                                           60, False, server)
    assert "the third cell fails" in str(error) and index == 1, (error, index)
    assert "written by the process" in stderr, stderr
    assert nb.cells[0].outputs[0]["text"].split() == [str(ROOT / "chapters"), "chapters/trade.md"]


def test_without_the_server_the_client_is_an_ordinary_kernel(tmp_path):
    """A kernel whose server cannot be reached (no socket at the path) starts as an ordinary kernel."""
    nb = _notebook("import sys\nprint(sys.argv[0].endswith('ipykernel_launcher.py'))")
    _, error, _, _ = execution._execute(ROOT / "chapters" / "trade.md", "chapters/trade.md", nb, 60, False,
                                        str(tmp_path / "no-server"))
    assert error is None and nb.cells[0].outputs[0]["text"].strip() == "True"


def test_a_killed_client_takes_its_kernel_with_it_and_signals_reach_the_kernel():
    """jupyter_client interrupts a kernel with SIGINT and, at the last, kills its process (the client): the
    interrupt reaches the forked kernel (a running cell stops with KeyboardInterrupt), and once the client is
    killed, the server has no kernel left."""
    async def scenario(server: str, pid: int) -> tuple[str, set, set]:
        with tempfile.TemporaryDirectory() as sockets:
            km = execution._ipc_kernel_manager(Path(sockets), server)(kernel_name="python3")
            await km.start_kernel(cwd=str(ROOT))
            kc = km.client()
            kc.start_channels()
            await kc.wait_for_ready(timeout=60)
            running = _children(pid)
            msg_id = kc.execute("import time\ntry:\n    time.sleep(60)\nexcept KeyboardInterrupt:\n"
                                "    print('interrupted')")
            await asyncio.sleep(1.0)
            await km.interrupt_kernel()
            text = ""
            deadline = time.monotonic() + 30
            while "interrupted" not in text and time.monotonic() < deadline:
                msg = await kc.get_iopub_msg(timeout=30)
                if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream":
                    text += msg["content"]["text"]
            kc.stop_channels()
            os.kill(km.provisioner.process.pid, signal.SIGKILL)
            await km.shutdown_kernel(now=True)
            deadline = time.monotonic() + 10
            while _children(pid) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            return text, running, _children(pid)

    with forkserver.running(ROOT) as server:
        pid = next(int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and
                   server in (p / "cmdline").read_bytes().decode(errors="ignore"))
        text, running, left = asyncio.run(scenario(server, pid))
    assert len(running) == 1, f"the server forked {len(running)} kernels for one client"
    assert "interrupted" in text, text
    assert left == set(), f"kernels left after their client was killed: {left}"


def test_a_forked_kernel_has_the_path_and_process_group_of_an_ordinary_one():
    """Where a forked kernel imports from (sys.path, in order) is where an ordinary kernel started in the same
    folder imports from, and it leads a process group of its own, as an ordinary kernel does (so that a signal to
    the kernel reaches what it started)."""
    code = "import os, sys\nprint(repr(sys.path))\nprint(os.getpgid(0) == os.getpid())"
    ordinary, forked = _notebook(code), _notebook(code)
    execution._execute(ROOT / "chapters" / "trade.md", "chapters/trade.md", ordinary, 60, False)
    with forkserver.running(ROOT) as server:
        execution._execute(ROOT / "chapters" / "trade.md", "chapters/trade.md", forked, 60, False, server)
    assert forked.cells[0].outputs[0]["text"] == ordinary.cells[0].outputs[0]["text"]
    assert forked.cells[0].outputs[0]["text"].split()[-1] == "True"


def test_a_clean_build_starts_the_server_with_the_process_and_the_build_takes_it(tmp_path, monkeypatch):
    """`python -m usrubook.book.jb build .` starts the kernel server before jupyter-book when no page's execution is
    recorded (no _build/.jupyter_cache: a clean build of the web book), and only then; the build takes that server
    (execution.pre_execute: forkserver.take_early), which forks kernels and ends with the build's use of it."""
    from contextlib import ExitStack

    from usrubook.book import jb

    book = tmp_path / "book"
    (book / "_build").mkdir(parents=True)
    (book / "_config.yml").write_text("title: t\n", encoding="utf-8")
    assert jb.executes_everything(["build", str(book), "-W", "-n", "--keep-going"]) == book
    for argv in (["build", str(book), "--builder", "pdflatex"], ["build", str(book), "--path-output", "x"],
                 ["clean", str(book)], ["build", str(tmp_path)]):
        assert jb.executes_everything(argv) is None, argv
    (book / "_build" / ".jupyter_cache").mkdir()
    assert jb.executes_everything(["build", str(book)]) is None

    monkeypatch.setattr(forkserver, "_early", {})
    forkserver.start_early(ROOT)
    server = forkserver._early["usrubook.book.forkserver"]
    converter = forkserver._early[forkserver.CONVERTER]
    with ExitStack() as stack:
        path = forkserver.take_early(stack)
        assert Path(forkserver.take_early(stack, module=forkserver.CONVERTER)).exists() and not forkserver._early
        assert path and Path(path).exists() and server.process.poll() is None
        assert forkserver.take_early(stack) is None        # taken once
        nb = _notebook("import sys", "print('pandas' in sys.modules)")
        execution_time, error, _, stderr = execution._execute(ROOT / "x.md", "x.md", nb, 60, False, path)
        assert error is None, stderr
        assert nb.cells[1].outputs[0]["text"] == "True\n"     # forked from the server, which imported pandas
    assert server.process.poll() is not None and not server.folder
    assert converter.process.poll() is not None and not converter.folder


def test_charts_compiled_by_the_builds_converter_are_those_compiled_in_the_kernel(monkeypatch):
    """A kernel of a build asks the build's one vl-convert (usrubook.book.vlserver, socket in $USRUBOOK_VL_CONVERTER)
    to compile its charts: the answer is vl-convert's in the kernel, for a chart of the book, and comes from the
    converter (the kernel's own vl-convert is not called); a chart the converter cannot compile raises in the
    kernel the error vl-convert raises there; drawings (SVG) are never asked for; with the converter gone, the
    kernel compiles the chart itself."""
    import vl_convert

    from usrubook.book import protocol

    spec = {"$schema": "https://vega.github.io/schema/vega-lite/v6.json", "description": "Trade",
            "data": {"values": [{"year": 2021, "usd": 36.1}, {"year": 2024, "usd": 3.5}]}, "mark": "bar",
            "encoding": {"x": {"field": "year", "type": "ordinal"}, "y": {"field": "usd", "type": "quantitative"}}}
    bad = {"mark": "no-such-mark", "data": {"values": [{}]}}
    expected = vl_convert.vegalite_to_vega(spec, vl_version="6.4")
    with pytest.raises(ValueError) as here:
        vl_convert.vegalite_to_vega(bad)
    asked, real_ask = [], protocol._ask
    monkeypatch.setattr(protocol, "_ask", lambda path, request: asked.append(request["function"]) or
                        real_ask(path, request))
    with forkserver.running(ROOT, module=forkserver.CONVERTER) as path:
        monkeypatch.setenv(protocol.CONVERTER_ENV, path)
        with monkeypatch.context() as local:
            local.setattr(vl_convert, "vegalite_to_vega", lambda *a, **k: pytest.fail("compiled in the kernel"))
            assert protocol.convert("vegalite_to_vega", spec, vl_version="6.4") == expected
        with pytest.raises(type(here.value), match=str(here.value)[:40].replace("(", r"\(")):
            protocol.convert("vegalite_to_vega", bad)
        svg = protocol.convert("vegalite_to_svg", spec, vl_version="6.4")
        assert svg.startswith("<svg")
    assert asked == ["vegalite_to_vega", "vegalite_to_vega"]
    assert not Path(path).exists()        # the converter has ended: the kernel compiles the chart itself
    assert protocol.convert("vegalite_to_vega", spec, vl_version="6.4") == expected
