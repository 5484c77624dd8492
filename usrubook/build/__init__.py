"""The book build: the Sphinx extension (``sphinxext`` wires ``execution``, ``html``, ``latex`` and
``seedtext``), the Vega bundle the web book serves (``vega``), charts as vector PDF (``mimerender``),
nbval preparation (``nbcheck``), and ``protocol``, the names chapter outputs and the build share."""
