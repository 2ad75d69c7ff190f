# One command per task, the same on a laptop and in CI.
PYTHON ?= python3
export ODLAB_MIRROR_DIR ?=

.PHONY: install install-browser run test lint bench

install:            ## Python dependencies (runtime + tests)
	$(PYTHON) -m pip install -q -r requirements-dev.txt

install-browser:    ## Debian's Chromium (browser tests), DejaVu fonts (PDF sheet), pdftotext (PDF test); root, needs apt
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core poppler-utils

run:                ## the dashboard on http://localhost:8501 (localhost only: see README to serve others)
	$(PYTHON) -m streamlit run app.py --server.address localhost

test:               ## the whole test suite
	$(PYTHON) -m pytest

lint:
	$(PYTHON) -m ruff check .

bench:              ## benchmarks (print figures; not pass/fail)
	$(PYTHON) bench/run_all.py
