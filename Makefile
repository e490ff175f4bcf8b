# 《深入卷积》: the two commands of README.md are `make book` and `make test`.
# Both create (once) and use the virtual environment .venv in this checkout.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HTML   := _build/html

.PHONY: setup book figures test unit notebooks build-book handout browser lab clean

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -r requirements.txt
	$(BIN)/pip install --no-deps -e .
	touch $@

setup: $(STAMP)

# Figures 2 and 3 are drawn from the package's model; redrawing them is part of the build.
figures: $(STAMP)
	$(BIN)/python -m googlenet figures --out book/figures

# The book's main job: render translation + notebooks (committed outputs) to $(HTML).
build-book: figures
	$(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going
	@echo "书已生成：$(HTML)/index.html"

# The translation alone as one HTML page and printable PDFs (student: answers hidden; teacher: with answers).
handout: $(STAMP)
	$(BIN)/python -m tools.notebook_tools handout

book: build-book handout

unit: $(STAMP)
	$(BIN)/pytest -m "not browser"

# nbval re-runs every notebook and compares its outputs with the committed ones.
notebooks: $(STAMP)
	$(BIN)/pytest --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg notebooks

browser: $(STAMP)
	$(BIN)/pytest -m browser

test: unit notebooks build-book handout browser

# Open the notebooks in JupyterLab (installed on first use: the book and the tests do not need it).
lab: $(STAMP)
	$(BIN)/python -c "import jupyterlab" 2>/dev/null || $(BIN)/pip install "jupyterlab>=4"
	cd notebooks && ../$(BIN)/jupyter lab

clean:
	rm -rf _build runs
