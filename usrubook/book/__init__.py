"""The book's build code (named ``book``, not ``build``, so that no one takes it for generated output; the
output is ``_build/``): the Sphinx extension (``sphinxext`` wires ``execution``, ``html``, ``latex`` and
``seedtext``), the Vega bundle the web book serves (``vega``), charts as vector PDF (``mimerender``),
nbval preparation (``nbcheck``), and ``protocol``, the names chapter outputs and the build share."""
