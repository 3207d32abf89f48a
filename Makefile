# Two commands do everything: `make run` and `make test` (each creates .venv if missing).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT ?= report

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
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

bench: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[bench,dask]'
	$(BIN)/python benchmarks/bench_ppml.py
	$(BIN)/python benchmarks/bench_scan.py
	$(BIN)/python benchmarks/bench_fetch.py
	$(BIN)/python benchmarks/bench_bulk.py --rows 10000000 --7z --engines

clean:
	rm -rf $(VENV) $(OUT) build *.egg-info
