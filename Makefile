# One command per task, the same on a laptop and in CI. Everything runs in the project's
# virtual environment (.venv): the Python of a stock Debian or Ubuntu refuses `pip install`
# outside one (PEP 668, "externally-managed-environment").
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
export ODLAB_MIRROR_DIR ?=

.PHONY: install install-browser run test lint bench

install:            ## .venv with the Python dependencies (runtime + tests)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "Python 3.11 ou plus récent est nécessaire ($(PYTHON) : $$($(PYTHON) --version 2>&1))." >&2; \
	  echo "Indiquez-en un autre : make install PYTHON=python3.12" >&2; exit 1; }
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Module venv absent : installation du paquet python3-venv (apt-get)…" >&2; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; \
	  else \
	    echo "Module venv absent : sudo apt-get install python3-venv (Debian, Ubuntu), puis make install." >&2; \
	    exit 1; \
	  fi; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements-dev.txt
	@echo "Environnement prêt : $(VENV) (make run, make test)."

install-browser:    ## Debian's Chromium (browser tests), DejaVu fonts (PDF sheet), pdftotext (PDF test); root, needs apt
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core poppler-utils

$(PY):
	@echo "Pas d'environnement $(VENV) : lancez d'abord make install." >&2; exit 1

run: $(PY)          ## the dashboard on http://localhost:8501, for one person on their own machine (writing allowed: ODLAB_LOCAL_WRITE=1); see README to serve others
	ODLAB_LOCAL_WRITE=1 $(PY) -m streamlit run app.py --server.address localhost --server.port $(PORT) \
	  --browser.gatherUsageStats false

test: $(PY)         ## the whole test suite
	$(PY) -m pytest

lint: $(PY)
	$(PY) -m ruff check .

bench: $(PY)        ## benchmarks (print figures; not pass/fail)
	$(PY) bench/run_all.py
