# Two commands on a fresh machine: `make run` serves the app, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
# This machine kind keeps a CPU wheel of PyTorch 2.13.0 on disk: install it as the reference the
# tests compare against. Elsewhere the torch tests skip (any other torch would download gigabytes).
TORCH_WHEEL := $(wildcard /opt/wheels/torch-2.13.0*.whl)

.PHONY: run test bench bench-browser experiment-defaults soak lint format setup setup-dev browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Re-install whenever a requirements file changes.
$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
ifneq ($(TORCH_WHEEL),)
	$(BIN)/pip install --quiet torch==2.13.0 || echo "torch 2.13.0 not installed: PyTorch reference tests will skip"
endif
	touch $@ $(VENV)/.runtime

setup: $(VENV)/.runtime
setup-dev: $(VENV)/.dev browser

# Debian's chromium drives the real-browser tests; installed when missing and we are root.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
	      || echo "could not install chromium: browser tests will skip"; \
	  else echo "chromium missing and not root: browser tests will skip"; fi; \
	fi

run: setup
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.address 0.0.0.0

test: setup-dev
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

bench: setup-dev
	OPENBLAS_NUM_THREADS=1 $(BIN)/python bench/bench_normalize.py
	OPENBLAS_NUM_THREADS=1 $(BIN)/python bench/bench_experiment.py

# The Experiment page's default results, shipped in assets/ so the page opens at once (README).
experiment-defaults: setup
	OPENBLAS_NUM_THREADS=1 $(BIN)/python scripts/make_experiment_defaults.py

# What a person waits for in a real browser, against a bare Streamlit page (README's Speed).
# BENCH_ARGS passes options, e.g. make bench-browser BENCH_ARGS="--trials 3 --only bare,q1".
bench-browser: setup-dev
	$(BIN)/python bench/bench_browser.py $(BENCH_ARGS)

# A classroom on one server (README's Speed): many browser sessions follow a scripted lesson,
# one lesson each of warm-up (at most --warmup-max minutes, not in the memory verdict), then
# --minutes measured.  SOAK_ARGS passes options, e.g. make soak SOAK_ARGS="--sessions 5 --minutes 0.5".
soak: setup-dev
	$(BIN)/python bench/soak.py $(SOAK_ARGS)

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
