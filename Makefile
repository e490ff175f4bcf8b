# 《深入卷积》: the two commands of README.md are `make book` and `make test`.
# Both create (once) and use the virtual environment .venv in this checkout.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HTML   := _build/html

.PHONY: setup book figures test unit notebooks notebooks-second-config notebooks-alone experiments experiments-smoke build-book handout browser lab clean

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
NBVAL := $(BIN)/pytest --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg -p no:cacheprovider
notebooks: $(STAMP)
	$(NBVAL) notebooks

# The cheap notebooks once more on "another machine": one thread and ATen's plain (non-SIMD)
# kernels change every floating-point reduction order, so an output that prints rounding
# digits (it happened: 1.8e-07 here, 2.4e-07 with one thread) fails here even when the
# first pass ran on the machine that wrote it. 09 reads the results the first pass saved.
notebooks-second-config: $(STAMP)
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 ATEN_CPU_CAPABILITY=default \
	  $(NBVAL) notebooks/01_*.ipynb notebooks/02_*.ipynb notebooks/03_*.ipynb notebooks/04_*.ipynb \
	  notebooks/04b_*.ipynb notebooks/05_*.ipynb notebooks/09_*.ipynb

# Notebooks 07 and 08 as a Colab reader opens them: alone, in an empty folder, without notebook
# 06's runs, so they load the fp16 weights shipped with the package; the same outputs must come out.
ALONE := build/alone
notebooks-alone: $(STAMP)
	rm -rf $(ALONE) && mkdir -p $(ALONE)
	cp notebooks/07_multicrop.ipynb notebooks/08_detection.ipynb $(ALONE)/
	$(NBVAL) $(ALONE)/07_multicrop.ipynb $(ALONE)/08_detection.ipynb

# The experiments behind the book's findings (experiments/README.md): the full set, and a
# tiny configuration that CI runs so the scripts cannot rot.
experiments: $(STAMP)
	$(BIN)/python experiments/run_all.py

experiments-smoke: $(STAMP)
	$(BIN)/python experiments/run_all.py --smoke

browser: $(STAMP)
	$(BIN)/pytest -m browser

test: unit notebooks notebooks-second-config notebooks-alone build-book handout browser

# Open the notebooks in JupyterLab (installed on first use: the book and the tests do not need it).
lab: $(STAMP)
	$(BIN)/python -c "import jupyterlab" 2>/dev/null || $(BIN)/pip install "jupyterlab>=4"
	cd notebooks && ../$(BIN)/jupyter lab

clean:
	rm -rf _build runs
