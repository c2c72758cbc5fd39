# Conveniences for the README's two commands (which work without make).
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test bench clean

$(BIN)/python:
	python3 -m venv $(VENV)

run: $(BIN)/python
	$(BIN)/pip install -e .
	$(BIN)/caseline

test: $(BIN)/python
	$(BIN)/pip install -e ".[test]"
	$(BIN)/python -m pytest -n 2

bench: $(BIN)/python
	$(BIN)/pip install -e ".[test]"
	$(BIN)/python benchmarks/import_vs_sqlite_utils.py
	$(BIN)/python benchmarks/flags_vs_read.py
	$(BIN)/python benchmarks/tui_scale.py
	$(BIN)/python benchmarks/picker_many_cases.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
