"""The pictures of the charts' "Get the data" files (SVG and PNG), drawn by a process of their own.

vl-convert holds Python's global interpreter lock while it draws, so drawing in the build's own process, or in a
thread of it, held up the writing of the pages: 1.6 s of a clean build for 14 charts. The build
(:class:`usrubook.book.figures.FigureDownloads`) hands each chart to :class:`Painter`, which sends it to
``python -m usrubook.book.pictures`` (started at the first chart) and goes on; that process draws while Sphinx
writes, on the other core. A chart's files are written in order, the spec last (:func:`draw`): a spec on disk
means its pictures were drawn from it, so a rebuild draws again exactly the charts whose spec changed or whose
drawing failed. At the end of the build the painter waits for the process; a drawing that failed stops the
build, naming the chart.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def draw(job: dict) -> None:
    """Draw one chart's pictures and write its files: the SVG, the PNG, then the spec."""
    import vl_convert

    from usrubook.pipeline.csvio import write_if_changed

    vl, version = job["vl"], job["vl_version"]
    Path(job["spec"]).unlink(missing_ok=True)       # until the pictures are drawn, no spec says they are
    write_if_changed(Path(job["svg"]), vl_convert.vegalite_to_svg(vl, vl_version=version).encode("utf-8"))
    write_if_changed(Path(job["png"]), vl_convert.vegalite_to_png(vl, vl_version=version, scale=job["scale"]))
    write_if_changed(Path(job["spec"]), job["spec_text"].encode("utf-8"))


class Painter:
    """The build's side: charts sent to the drawing process as they come, and the end of it awaited."""

    def __init__(self):
        self.process: subprocess.Popen | None = None
        self.errors = None          # the process's standard error (a temporary file)
        self.names: list[str] = []

    def draw(self, name: str, job: dict) -> None:
        if self.process is None:
            import tempfile

            self.errors = tempfile.TemporaryFile()      # read at the end: a pipe could fill and stop the drawing
            self.process = subprocess.Popen([sys.executable, "-m", "usrubook.book.pictures"], stdin=subprocess.PIPE,
                                            stdout=subprocess.DEVNULL, stderr=self.errors)
        self.names.append(name)
        try:
            self.process.stdin.write((json.dumps({"name": name, **job}, ensure_ascii=False) + "\n").encode("utf-8"))
            self.process.stdin.flush()
        except BrokenPipeError:     # the process stopped at a chart it could not draw: finish() says which
            pass

    def finish(self, cancel: bool = False) -> str | None:
        """Wait for the drawings (or, with ``cancel``, stop them); what went wrong, if anything."""
        if self.process is None:
            return None
        process, names, self.process, self.names = self.process, self.names, None, []
        if cancel:
            process.kill()
        process.communicate()
        self.errors.seek(0)
        err = self.errors.read().decode("utf-8", errors="replace")
        self.errors.close()
        if process.returncode != 0 and not cancel:
            return f"drawing the pictures of the charts ({', '.join(names)}) failed (exit {process.returncode}):\n" + err[-3000:]
        return None


def main() -> int:
    for line in sys.stdin:
        job = json.loads(line)
        try:
            draw(job)
        except Exception as exc:        # noqa: BLE001 - reported with the chart's name, the build stops
            print(f"{job['name']}: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
