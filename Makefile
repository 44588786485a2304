# Every target creates or refreshes .venv first, so a fresh machine needs only python3.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: venv test lint typecheck check demo bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

test: venv
	$(BIN)/python -m pytest -q

lint: venv
	$(BIN)/ruff format --check engine tests bench
	$(BIN)/ruff check engine tests bench

typecheck: venv
	$(BIN)/mypy

check: lint typecheck test

demo: venv
	$(BIN)/sync validate

clean:
	rm -rf $(VENV) .sync .pytest_cache .mypy_cache .ruff_cache
