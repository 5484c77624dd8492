# US–Russia Relations: an executable research book.
#   make book   set up .venv, derive and validate the data, run nbval, build HTML (with a PDF per chapter) and PDF
#   make test   the test suite (builds first if needed; sets up .venv-lab for the JupyterLab tests)
#   make check  the inner loop, about a minute: the data, the tests that need no build, one chapter through nbval
SHELL := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# jupyter-book's command line, ending at once when done, without the interpreter's teardown (usrubook/book/jb.py)
JB     := $(PY) -m usrubook.book.jb
STAMP  := $(VENV)/.installed
# Strict: any Sphinx warning is an error (-W), every reference must resolve (-n),
# and all warnings are reported before failing (--keep-going).
JBFLAGS := -W -n --keep-going
PDF    := _build/latex/us-russia-relations.pdf
NPM    := node_modules/.installed


.PHONY: FORCE help venv npm system data add-seed coverage nbval html pdf book release test check refresh-references bench prose lab clean

help:
	@echo "make book                 set up everything, validate data, run nbval, build HTML and PDF"
	@echo "make test                 run the test suite (builds the book first if needed)"
	@echo "make check                the quick check while editing (about a minute): make data, the tests that"
	@echo "                          need no build, and one chapter through nbval (CHAPTER=chapters/trade)"
	@echo "make release              build the book if needed and write _build/release/us-russia-relations-<version>.zip"
	@echo "make data                 derive data/ from seeds/ and data/curated/"
	@echo "                          (ALLOW_REMOVAL=1: curated rows were removed on purpose;"
	@echo "                           DISCARD=1: overwrite derived files edited by hand)"
	@echo "make add-seed FILE=a.txt  add an article as a new seed (optional: TITLE=\"...\" GENRE=\"...\")"
	@echo "make coverage             share of the seeds' candidate facts accounted for, and the gaps"
	@echo "                          (SEED=seed005: one seed, its gaps as a coding checklist)"
	@echo "make nbval                run the chapters and compare checked cells with tests/reference/"
	@echo "                          (again only when a file it reads changed; rm _build/.nbval-passed to force)"
	@echo "make refresh-references   store new reference outputs (on purpose; review the diff)"
	@echo "make bench                print build times and page sizes"
	@echo "make prose                words per chapter, and the share of prose about the relationship"
	@echo "make lab                  open the chapters in JupyterLab (installs it first)"
	@echo "make clean                remove _build/"

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

venv: $(STAMP)

# The JavaScript the web book serves (Vega) and the browser tests use, exactly as package-lock.json pins it.
$(NPM): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

npm: $(NPM)

system:
	@bash .ci/system-packages

# The builds need the system packages checked once (per _build/), not on every run.
SYSTEM_STAMP := _build/.system-checked
$(SYSTEM_STAMP): .ci/system-packages
	@bash .ci/system-packages
	@mkdir -p _build && touch $@

# `make data` always derives and validates. The builds do so only when something derive or validate reads
# changed since they last passed (DATA_STAMP): the seeds, everything in data/ (the curated tables, and the
# derived ones, so that a hand edit is reported), references.bib and the package's pipeline code (and the
# folders, for a file added or removed).
DATA_STAMP := _build/.data-checked
DATA_SOURCES := $(shell find $(CURDIR)/seeds $(CURDIR)/data $(CURDIR)/usrubook/pipeline ! -path '*/__pycache__*' 2>/dev/null) \
	$(wildcard usrubook/*.py) references.bib
data: $(STAMP)
	$(PY) -m usrubook.pipeline.derive $(if $(ALLOW_REMOVAL),--allow-removal) $(if $(DISCARD),--discard-hand-edits)
	$(PY) -m usrubook.pipeline.validate
	@mkdir -p _build && touch $(DATA_STAMP)

$(DATA_STAMP): $(STAMP) $(DATA_SOURCES)
	$(PY) -m usrubook.pipeline.derive
	$(PY) -m usrubook.pipeline.validate
	@mkdir -p _build && touch $@

# FILE, TITLE and GENRE reach the command through the environment (make exports command-line
# variables), so that quotes and dollar signs in a title arrive as typed.
add-seed: $(STAMP)
	$(PY) -m usrubook.pipeline.addseed "$$FILE" $${TITLE:+--title "$$TITLE"} $${GENRE:+--genre "$$GENRE"}

coverage: data
	$(PY) -m usrubook.pipeline.coverage $${SEED:+--seed "$$SEED"}

# make html rebuilds only if a file the build reads changed since the last build that passed (HTML_STAMP, which
# carries the time that build started), or if one of its main outputs is missing (HTML_OUTPUTS); a no-op
# `make html` starts nothing. The files it reads (HTML_SOURCES): every page, the data and the seeds (derived and
# checked first, DATA_STAMP), the usrubook package with its templates, styles and scripts, _templates/, assets/,
# latex/, every file at the top (configuration, table of contents, references.bib, CITATION.cff, licences,
# package.json and package-lock.json, requirements, this Makefile), the installed environment ($(STAMP)) and
# node_modules ($(NPM)); and the folders themselves, whose time changes when a file is added, removed or
# renamed in them. More than it reads is listed (README.md, say): never less. (Folders are named by their full
# path: the folder data/ is not the target `data`.) Within the build, Sphinx
# re-reads only the pages that changed (and those whose code's data changed: usrubook/book/execution.py), and the
# steps after it keep every output whose inputs are unchanged (usrubook/book/buildcache.py).
#
# The build's progress goes to $(HTML_LOG); the screen shows the chapters being executed, every warning
# and error (stderr), and a failing chapter's report first, not after a screen of progress lines.
# With the build, and done when it is: the search index (Pagefind, pinned in package.json) of the pages built,
# _build/html/pagefind/, and each chapter page printed by Chromium's headless shell (usrubook/book/chapterpdf.py),
# beside it: _build/html/chapters/<name>.pdf. Both start with the build (the printer's browser is up by the time
# the pages are written), and set to work when the build has written its pages, $(HTML_STAMP).ready (before it
# zips the notebooks' kits), or its exit status, $(HTML_STAMP).status. They put their work in place only after
# status 0, and do it again if the pages changed meanwhile; after a failed build they change nothing
# (usrubook/book/afterbuild.py).
HTML_LOG := _build/html.log
HTML_STAMP := _build/.html-built
# The names at the top of the book, less those of what no build reads (the environments, $(VENV) among them,
# _build, node_modules and caches, as in .gitignore, and converted notebooks), written to TOP_LEVEL when they
# change: a file or folder added or removed there rebuilds the book; the .venv-lab that `make test` makes does
# not. (The folders below are prerequisites themselves: their times change with their files.) Not for `make help`
# or `make clean`.
TOP_LEVEL := _build/.top-level
ifneq ($(filter-out help clean,$(or $(MAKECMDGOALS),help)),)
$(shell export LC_ALL=C; mkdir -p _build && ls -A | grep -vxE '\.git|_build|\.venv|\.venv-lab|$(subst .,\.,$(notdir $(VENV)))|__pycache__|.*\.egg-info|\.ipynb_checkpoints|\.jupyter_cache|\.pytest_cache|node_modules|.*\.ipynb' > $(TOP_LEVEL).$$$$; \
	if cmp -s $(TOP_LEVEL).$$$$ $(TOP_LEVEL); then rm -f $(TOP_LEVEL).$$$$; else mv $(TOP_LEVEL).$$$$ $(TOP_LEVEL); fi)
endif
HTML_SOURCES := $(shell find $(CURDIR)/chapters $(CURDIR)/evidence $(CURDIR)/data $(CURDIR)/seeds \
	$(CURDIR)/usrubook $(CURDIR)/_templates $(CURDIR)/assets $(CURDIR)/latex \
	! -path '*/__pycache__*' ! -path '*/.ipynb_checkpoints*' ! -name '*.ipynb' 2>/dev/null) \
	$(TOP_LEVEL) $(shell find . -maxdepth 1 -type f ! -name '*.ipynb')
HTML_OUTPUTS := _build/html/index.html _build/html/search.html _build/html/pagefind/pagefind.js \
	$(patsubst %.md,_build/html/%.html,$(wildcard chapters/*.md evidence/*.md)) \
	$(patsubst %.md,_build/html/%.pdf,$(wildcard chapters/*.md))
html: $(HTML_STAMP)
	@echo "HTML: _build/html/index.html"

$(HTML_STAMP): $(STAMP) $(NPM) $(SYSTEM_STAMP) $(DATA_STAMP) $(HTML_SOURCES) $(if $(filter-out $(wildcard $(HTML_OUTPUTS)),$(HTML_OUTPUTS)),FORCE)
	@mkdir -p _build && touch $@.started && rm -f $@.status $@.ready
	@echo "$(JB) build . $(JBFLAGS)   (progress: $(HTML_LOG))"
	@echo "$(PY) -m usrubook.book.chapterpdf --ready $@.ready --after $@.status &"
	@echo "$(PY) -m usrubook.book.search _build/html --ready $@.ready --after $@.status &"
	@$(PY) -m usrubook.book.chapterpdf --ready $@.ready --after $@.status & printer=$$!; \
		$(PY) -m usrubook.book.search _build/html --ready $@.ready --after $@.status & index=$$!; \
		set -o pipefail; USRUBOOK_PAGES_READY=$@.ready PYTHONUNBUFFERED=1 $(JB) build . $(JBFLAGS) | tee $(HTML_LOG) \
			| { grep --line-buffered '^usrubook: executing' || true; }; \
		built=$$?; { echo $$built > $@.status.tmp && mv $@.status.tmp $@.status; } \
		|| { kill $$printer $$index; wait $$printer $$index; echo "make html: cannot write $@.status (disk full?)" >&2; exit 1; }; \
		wait $$printer; printed=$$?; wait $$index; indexed=$$?; \
		if [ $$built -ne 0 ]; then echo "make html failed (the build's progress: $(HTML_LOG))" >&2; exit 1; fi; \
		[ $$printed -eq 0 ] || { echo "make html: printing the chapter PDFs failed (above)" >&2; exit 1; }; \
		[ $$indexed -eq 0 ] || { echo "make html: indexing the pages for search failed (above)" >&2; exit 1; }
	@rm -f $@.status $@.ready && mv $@.started $@

FORCE:

# make nbval runs again only if a file it reads changed since the last run that passed (NBVAL_STAMP, which
# carries the time that run started): what the HTML build reads (HTML_SOURCES, above) and the reference outputs,
# tests/reference/. So `make test` after `make book` goes straight to the suite. (The suite's nbval test takes an
# up-to-date stamp as its answer, and otherwise runs nbval on a copy of the book: tests/test_nbval.py.)
NBVAL_STAMP := _build/.nbval-passed
nbval: $(NBVAL_STAMP)

$(NBVAL_STAMP): $(STAMP) $(DATA_STAMP) $(HTML_SOURCES) $(shell find $(CURDIR)/tests/reference 2>/dev/null)
	@mkdir -p _build && touch $@.started
	$(PY) -m usrubook.book.nbcheck prepare
	$(VENV)/bin/pytest -p no:cacheprovider --nbval-lax --nbval-current-env -q _build/nbval
	@mv $@.started $@

# make pdf builds again only if a file the build reads changed since the last build that passed (PDF_STAMP, with
# the time that build started; the same files as the HTML build's), or if the PDF is missing.
PDF_STAMP := _build/.pdf-built
pdf: $(PDF_STAMP)
	@echo "PDF: $(PDF)"
	@# the web book serves the PDF too, at the address its pages give (citation_pdf_url, the Book's JSON-LD)
	@if [ -d _build/html ] && ! cmp -s $(PDF) _build/html/us-russia-relations.pdf; then \
		cp $(PDF) _build/html/us-russia-relations.pdf && echo "PDF served: _build/html/us-russia-relations.pdf"; fi

$(PDF_STAMP): $(STAMP) $(NPM) $(SYSTEM_STAMP) $(DATA_STAMP) $(HTML_SOURCES) $(if $(wildcard $(PDF)),,FORCE)
	@mkdir -p _build && touch $@.started
	$(JB) build . --builder pdflatex $(JBFLAGS)
	@test -s $(PDF) || { echo "make pdf: the build wrote no $(PDF)" >&2; exit 1; }
	@mv $@.started $@

book: nbval html pdf

# The version, its date and the archive's name come from CITATION.cff (usrubook/book/release.py);
# an archive of a released version is never replaced by different content.
release: html pdf
	$(PY) -m usrubook.book.release

# Two workers (pytest-xdist), each module on one worker, so that the tests of a module share its set-up
# (tests/conftest.py). A plain `.venv/bin/pytest` runs the same suite on one.
TEST_WORKERS ?= 2
test: book $(NPM) .venv-lab/.installed
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# The inner loop: derive and validate the data, run the tests that need neither a built book nor a copy of
# it (the `book`, `copy` and `slow` markers, tests/conftest.py), and execute one chapter through nbval.
CHAPTER ?= chapters/trade
check: data
	$(VENV)/bin/pytest -q -m "not book and not copy and not slow"
	$(PY) -m usrubook.book.nbcheck prepare
	$(VENV)/bin/pytest -p no:cacheprovider --nbval-lax --nbval-current-env -q _build/nbval/$(CHAPTER).ipynb

refresh-references: data
	$(PY) -m usrubook.book.nbcheck refresh

bench: data $(NPM)
	$(PY) benchmarks/bench.py

# Words per chapter and the share of running prose about the relationship (not about the seeds or the method).
prose: $(STAMP)
	$(PY) -m usrubook.book.prose

# JupyterLab gets an environment of its own, .venv-lab, so that the book's environment stays exactly as pinned.
# It is built on top of .venv: a .pth file puts .venv's packages on its path (plain path entry: .venv's own
# .pth files, among them its editable usrubook, are not run), and pip installs into it only
# requirements-lab.txt (--no-deps: each package is pinned there), jupytext again (for its JupyterLab and
# server extensions, which live in the environment's share/ and etc/) and usrubook (editable). pip check
# then confirms that the two together satisfy every requirement. lab/overrides.json opens Markdown files
# as notebooks (jupytext). USRUBOOK_CHARTS=jupyter: charts as Vega 5, which JupyterLab draws (offline).
LAB := .venv-lab
LAB_PIP := $(LAB)/bin/python -m pip --disable-pip-version-check
$(LAB)/.installed: $(STAMP) requirements-lab.txt lab/overrides.json
	@test -x $(LAB)/bin/python || $(PY) -m venv --without-pip $(LAB)
	$(PY) -c 'import sysconfig; print(sysconfig.get_path("purelib"))' > "$$($(LAB)/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/usrubook-book-venv.pth"
	$(LAB_PIP) install --quiet --no-deps -r requirements-lab.txt
	$(LAB_PIP) install --quiet --no-deps --ignore-installed "$$(grep -i '^jupytext==' requirements.txt)"
	$(LAB_PIP) install --quiet --no-deps --no-build-isolation -e .
	$(LAB_PIP) check
	@mkdir -p $(LAB)/share/jupyter/lab/settings && cp lab/overrides.json $(LAB)/share/jupyter/lab/settings/overrides.json
	@touch $@

# As root (e.g. in a container) JupyterLab needs --allow-root; on Linux without a display it opens no browser
# (the address to open is printed). The contents manager (usrubook/book/labcontents.py) is jupytext's, with
# citations and cross-references shown as the book's text and saved back as roles.
LAB_FLAGS = --notebook-dir=. --ServerApp.contents_manager_class=usrubook.book.labcontents.LabContentsManager $(if $(filter 0,$(shell id -u)),--allow-root) \
	$(if $(and $(filter Linux,$(shell uname -s)),$(if $(DISPLAY)$(WAYLAND_DISPLAY),,none)),--no-browser)

lab: $(LAB)/.installed data
	USRUBOOK_CHARTS=jupyter $(LAB)/bin/jupyter-lab $(LAB_FLAGS)

clean:
	rm -rf _build
