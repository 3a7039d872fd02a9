# Two commands do all the set-up: `make demo` and `make test`.
# Both create or refresh .venv from the pinned constraints; a re-run with
# nothing changed only checks a stamp file.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.chatgate-installed
PIP    := $(BIN)/python -m pip --disable-pip-version-check

.PHONY: venv test demo lint bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "chatgate needs Python 3.10 or newer; set PYTHON=python3.x")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade "pip>=24"
	$(PIP) install --quiet -c constraints.txt -e '.[dev,load]'
	@touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The main job on the embedded defaults: every suite against the reference (the seeds'
# checklists), then a short load run with its gates; both print where their reports are.
demo: $(STAMP)
	$(BIN)/chatgate verify --report-dir reports/verify
	$(BIN)/chatgate load --users 5 --spawn-rate 5 --duration 10s --report-dir reports/load
	@echo "demo reports: reports/verify/checklists.html (open it in a browser), reports/load/report.html"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis reports
