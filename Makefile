# The two commands the README opens with:
#   make sample   set up, load the pretrained dcgan-fashion-mnist, write samples.png
#   make test     set up, run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup data sample test test-fast bench benchmarks docs registry clean

$(BIN)/kerasgan: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test,mnist,export,demo]"
	touch $@

data:
	bash scripts/setup_data.sh

setup: $(BIN)/kerasgan data

sample: setup
	$(BIN)/kerasgan sample dcgan-fashion-mnist --num 64 --seed 0 --out samples.png

# Two or more workers (one per core), a test file each at a time: its module fixtures
# stay in one process. tests/conftest.py gives each worker one kernel thread.
test: setup
	$(BIN)/python -m pytest -q -n auto --dist loadfile --durations=15

test-fast: setup
	$(BIN)/python -m pytest -q -n auto --dist loadfile -m "not large"

bench: setup
	$(BIN)/python -m benchmarks

benchmarks: bench

registry:
	$(BIN)/python scripts/update_registry.py
	$(BIN)/python scripts/make_zoo_docs.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
