# Two commands do everything: `make run` and `make test` (each creates .venv if missing).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT ?= report

LINT_COPY := build/lint-copy

.PHONY: run test lint contracts pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/belru-trade run all --offline --out $(OUT)

test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) contracts
	$(BIN)/python -m pytest -q

# import-linter and the cycle check read a non-editable copy: the package-dir mapping of
# fetchers/ and analyses/ is invisible to them in the editable install.
contracts: $(VENV)/.installed-test
	rm -rf $(LINT_COPY)
	$(BIN)/python -m pip install --quiet --no-deps --target $(LINT_COPY) .
	cd $(LINT_COPY) && PYTHONPATH=. $(CURDIR)/$(BIN)/lint-imports $(CURDIR)/pyproject.toml
	cd $(LINT_COPY) && PYTHONPATH=. $(CURDIR)/$(BIN)/python $(CURDIR)/scripts/check_import_cycles.py

bench: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[bench,dask]'
	$(BIN)/python benchmarks/bench_ppml.py
	$(BIN)/python benchmarks/bench_scan.py
	$(BIN)/python benchmarks/bench_fetch.py
	$(BIN)/python benchmarks/bench_bulk.py --rows 10000000 --7z --engines

clean:
	rm -rf $(VENV) $(OUT) build *.egg-info
