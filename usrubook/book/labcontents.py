"""The contents manager of ``make lab``: jupytext's (a page opens as a notebook), with the prose of a page given
to JupyterLab as the book reads, and saved back in the book's markup.

On opening a page, each Markdown cell's citations and cross-references become text
(:func:`usrubook.book.labtext.shown`); the cell keeps its source as written under ``metadata.usrubook_source``.
On saving, a cell whose text is unchanged gets that source back, byte for byte; an edited cell has the links
turned back into roles (:func:`usrubook.book.labtext.from_lab`). jupytext then writes the page as always
(``jupytext.toml``). ``make lab`` selects it with ``--ServerApp.contents_manager_class``.
"""
from __future__ import annotations

from pathlib import Path

from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from jupytext.async_contentsmanager import build_async_jupytext_contents_manager_class

from usrubook.book import labtext


class LabContentsManager(build_async_jupytext_contents_manager_class(AsyncLargeFileManager)):
    def _look(self) -> dict:
        return labtext.lookups(Path(self.root_dir))

    async def get(self, path, content=True, type=None, format=None, **kwargs):
        model = await super().get(path, content=content, type=type, format=format, **kwargs)
        if content and model.get("type") == "notebook" and model.get("content") and path.endswith(".md"):
            labtext.shown(model["content"], self._look())
        return model

    async def save(self, model, path=""):
        if model.get("type") == "notebook" and model.get("content") and path.endswith(".md"):
            labtext.written(model["content"], self._look())
        return await super().save(model, path)
