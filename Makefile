# `make test` and `make demo` set everything up on a fresh machine with Python 3.11+:
# the virtualenv, every pinned dependency from PyPI, then they run. As root with apt-get, also Debian's
# prometheus for the PromQL stand-in's engine tests (never started as a service; they skip without it).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test test-long demo lint protos crds benchmarks soak clean

$(STAMP): pyproject.toml deploy/install-prometheus.sh
	sh deploy/install-prometheus.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

test: lint
	$(BIN)/pytest

# The suite with 10,000 hostile metadata maps instead of 150 (about 90 s more).
test-long: lint
	$(BIN)/pytest --long

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

demo: $(STAMP)
	$(BIN)/kedawatch demo

protos: $(STAMP)
	$(BIN)/python protos/generate.py

crds: $(STAMP)
	$(BIN)/kedawatch crds --write helm/kedawatch/crds

benchmarks: $(STAMP)
	$(BIN)/python -m benchmarks.aws_calls
	$(BIN)/python -m benchmarks.grpc_load
	$(BIN)/python -m benchmarks.activation

# Ten minutes of 2,000 triggers' KEDA traffic against moto failing 5% of AWS calls: memory, fds, errors.
soak: $(STAMP)
	$(BIN)/python -m benchmarks.soak

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
