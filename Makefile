# Every target bootstraps .venv from pyproject.toml; nothing is installed by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STEP ?=
PORT ?= 8080

TYPE ?= container
ROLES_STACK ?= agentcore-lambda-roles

.PHONY: help demo test lint format stage run deploy bench cost images clean

help:
	@echo "make demo                 local end-to-end run of the steps on an embedded AWS (moto)"
	@echo "make test                 lint, type-check and the whole test suite (no AWS account needed)"
	@echo "make stage STEP=<folder>  copy shared/ into a step folder for agentcore configure/deploy"
	@echo "make run STEP=<folder>    serve one step on http://127.0.0.1:$(PORT) (like agentcore dev)"
	@echo "make deploy STEP=<folder> stage, agentcore configure (roles stack outputs) and agentcore deploy;"
	@echo "                          TYPE=direct_code_deploy, ROLES_STACK=<stack>, ARGS='--idle-timeout 60'"
	@echo "make bench                benchmarks (ratios against floors measured in the same run)"
	@echo "make cost                 monthly cost on Lambda vs AgentCore from REPORT lines (REPORTS=, COST_ARGS=)"
	@echo "make images               redraw images/arch-*.png (needs graphviz's dot on PATH)"
	@echo "make lint / make format    ruff (lint, format), mypy and the import contracts / fix what ruff can"

# .venv/sam: aws-sam-cli pins an older boto3 than the project, so it gets a venv of its own (the `sam` group
# of pyproject.toml; pip >= 25.1 installs dependency groups). .venv/wheelhouse: aarch64 wheels of every
# step's requirements, so the deploy tests build direct code deploy zips and `sam build` offline.
$(STAMP): pyproject.toml $(wildcard [0-9]_*/requirements.txt)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
		|| { echo "Python 3.10 or newer is needed (found: $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m venv $(VENV)/sam
	$(VENV)/sam/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/sam/bin/python -m pip install --quiet --group sam
	ln -sf ../sam/bin/sam $(BIN)/sam
	$(BIN)/python -m devtools.wheelhouse
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m devtools.demo

# Two workers or more (pytest-xdist): tests that share a fixed port keep to one worker (xdist_group).
test: $(STAMP) lint
	$(BIN)/python -m pytest -n auto --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

stage: $(STAMP)
	@test -n "$(STEP)" || { echo "usage: make stage STEP=<step folder>, e.g. STEP=2_sqs_sink"; exit 2; }
	$(BIN)/python -m devtools.stage $(STEP)

run: $(STAMP)
	@test -n "$(STEP)" || { echo "usage: make run STEP=<step folder>, e.g. STEP=1_compute_without_model"; exit 2; }
	@$(BIN)/python -m devtools.stage --if-stale $(STEP)
	PYTHONPATH=$(CURDIR) $(BIN)/python -m uvicorn agent:app --app-dir $(STEP) --host 127.0.0.1 --port $(PORT)

deploy: $(STAMP)
	@test -n "$(STEP)" || { echo "usage: make deploy STEP=<step folder>, e.g. STEP=2_sqs_sink"; exit 2; }
	$(BIN)/python -m devtools.deploy $(STEP) --deployment-type $(TYPE) --roles-stack $(ROLES_STACK) $(ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench

# Prices the sample REPORT lines (or yours: make cost REPORTS=my-reports.json COST_ARGS="--cpu-share 0.2");
# the plot goes to build/ (git-ignored), never over the committed images/cost-model.png.
REPORTS ?= examples/lambda_reports/orders-api.log
COST_ARGS ?= --requests 3000000 --cpu-share 0.15
COST_PLOT ?= build/cost.png
cost: $(STAMP)
	$(BIN)/python -m devtools.cost --reports $(REPORTS) $(COST_ARGS) --plot $(COST_PLOT)

# Not part of test or demo: the PNGs are committed. Needs Graphviz (apt-get install graphviz).
images: $(STAMP)
	@command -v dot >/dev/null || { echo "make images needs Graphviz's dot on PATH (apt-get install graphviz, brew install graphviz)"; exit 1; }
	$(BIN)/python -m pip install --quiet -e '.[dev,images]'
	$(BIN)/python images/generate.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
	find . -path ./.git -prune -o -type d -name __pycache__ -exec rm -rf {} +
