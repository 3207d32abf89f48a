# Two commands do everything: `make run` and `make test` (each creates .venv if missing).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT ?= report

LINT_COPY := build/lint-copy

.PHONY: run test lint lint-copy contracts typecheck pytest docs bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,docs]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/belru-trade run all --offline --out $(OUT)

test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) contracts typecheck
	$(BIN)/python -m pytest -q
	$(MAKE) docs

# The documentation site (build/site), built offline; tutorials are executed and any failing
# block, broken link or docstring warning fails the build (--strict).
docs: $(VENV)/.installed-test
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# import-linter, the cycle check and mypy read a non-editable copy: the package-dir mapping of
# fetchers/ and analyses/ is invisible to them in the editable install.
lint-copy: $(VENV)/.installed-test
	rm -rf $(LINT_COPY) build/lib build/bdist.*  # setuptools reuses build/lib: no stale modules
	$(BIN)/python -m pip install --quiet --no-deps --target $(LINT_COPY) .

contracts: lint-copy
	cd $(LINT_COPY) && PYTHONPATH=. $(CURDIR)/$(BIN)/lint-imports $(CURDIR)/pyproject.toml
	cd $(LINT_COPY) && PYTHONPATH=. $(CURDIR)/$(BIN)/python $(CURDIR)/scripts/check_import_cycles.py

# mypy over the whole installed package (belru_trade, belru_trade.fetchers,
# belru_trade.analyses) with the configuration in pyproject.toml; the cache stays in the
# project so that a second run only rechecks what changed.
typecheck: lint-copy
	cd $(LINT_COPY) && $(CURDIR)/$(BIN)/mypy --config-file $(CURDIR)/pyproject.toml \
		--cache-dir $(CURDIR)/.mypy_cache

bench: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[bench,dask]'
	$(BIN)/python benchmarks/bench_ppml.py
	$(BIN)/python benchmarks/bench_scan.py
	$(BIN)/python benchmarks/bench_fetch.py
	$(BIN)/python benchmarks/bench_bulk.py --rows 10000000 --7z --engines

clean:
	rm -rf $(VENV) $(OUT) build *.egg-info
