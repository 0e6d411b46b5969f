# Every target bootstraps .venv from pyproject.toml; nothing is installed by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Built only by the targets that use them: the SAM CLI's own venv and the aarch64 wheelhouse.
SAM_STAMP := $(VENV)/sam/.installed
WHEELHOUSE_STAMP := $(VENV)/wheelhouse/.installed
STEP ?=
PORT ?= 8080
# pip retries a download that fails or times out (a loaded machine, a slow index) before giving up.
PIP := -m pip install --disable-pip-version-check --retries 10 --timeout 60

TYPE ?= container
ROLES_STACK ?= agentcore-lambda-roles

.PHONY: help demo test test-all lint format stage run deploy bench cost images clean sam wheelhouse

help:
	@echo "make demo                 local end-to-end run of the steps on the local cloud (no AWS account)"
	@echo "make test                 lint, type-check and the test suite (no AWS account needed)"
	@echo "make test-all             the same with the heavy variants (the demo's own run, every deploy path)"
	@echo "make run STEP=<folder>    serve one step on http://127.0.0.1:$(PORT) (like agentcore dev), its AWS resources local"
	@echo "make stage STEP=<folder>  copy the shared/ modules a step imports into its folder, for agentcore configure/deploy"
	@echo "make deploy STEP=<folder> stage, agentcore configure (roles stack outputs) and agentcore deploy;"
	@echo "                          TYPE=direct_code_deploy, ROLES_STACK=<stack>, ARGS='--idle-timeout 60'"
	@echo "make bench                benchmarks (ratios against floors measured in the same run)"
	@echo "make cost                 monthly cost on every AWS home from REPORT lines (REPORTS=, COST_ARGS= adds flags)"
	@echo "make images               redraw images/arch-*.png (needs graphviz's dot on PATH)"
	@echo "make lint / make format   ruff (lint, format), mypy and the import contracts / fix what ruff can"

# One line per stage; a stage's own output is shown only when it fails (the log's last lines).
define stage
	@echo "==> $(1)"
	@log=$$(mktemp); if ! { $(2); } >"$$log" 2>&1; then \
		echo "FAILED: $(2)"; echo "--- its last output:"; tail -n 40 "$$log"; rm -f "$$log"; exit 1; fi; rm -f "$$log"
endef

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
		|| { echo "Python 3.11 or newer is needed (found: $$($(PYTHON) --version)); set PYTHON=python3.12, say"; exit 1; }
	$(call stage,creating $(VENV) with $$($(PYTHON) --version),$(PYTHON) -m venv $(VENV))
	$(call stage,upgrading pip,$(BIN)/python $(PIP) --upgrade pip)
	$(call stage,installing the project and its dev tools into $(VENV) (about a minute the first time),$(BIN)/python $(PIP) -e '.[dev]')
	@touch $(STAMP)
	@echo "==> $(VENV) ready: $$(ls $(BIN) | wc -l) commands in $(BIN)"

# aws-sam-cli pins an older boto3 than the project, so it gets a venv of its own (the `sam` group of
# pyproject.toml; pip >= 25.1 installs dependency groups); .venv/bin/sam links to it.
$(SAM_STAMP): $(STAMP)
	$(call stage,creating $(VENV)/sam for the SAM CLI (it pins an older boto3),$(BIN)/python -m venv $(VENV)/sam)
	$(call stage,installing the SAM CLI into $(VENV)/sam,$(VENV)/sam/bin/python $(PIP) --upgrade pip && $(VENV)/sam/bin/python $(PIP) --group sam)
	@ln -sf ../sam/bin/sam $(BIN)/sam
	@touch $(SAM_STAMP)

# aarch64 wheels of every step's requirements, so the deploy tests build direct code deploy zips and
# `sam build` offline.
$(WHEELHOUSE_STAMP): $(STAMP) $(wildcard [0-9]_*/requirements.txt on_lambda/*/requirements.txt)
	$(call stage,downloading the aarch64 wheelhouse the deploy tests build with,$(BIN)/python -m commands.wheelhouse)
	@touch $(WHEELHOUSE_STAMP)

sam: $(SAM_STAMP)
wheelhouse: $(WHEELHOUSE_STAMP)

demo: $(STAMP)
	@$(BIN)/python -m commands.demo

# Two workers or more (pytest-xdist): tests that share a fixed port keep to one worker (xdist_group).
# `heavy` tests repeat what others cover (the demo itself, the other deploy path): make test-all runs them.
test: $(STAMP) $(SAM_STAMP) $(WHEELHOUSE_STAMP) lint
	$(BIN)/python -m pytest -n auto --dist loadgroup -m "not heavy"

test-all: $(STAMP) $(SAM_STAMP) $(WHEELHOUSE_STAMP) lint
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
	@$(BIN)/stage-step $(STEP)

run: $(STAMP)
	@test -n "$(STEP)" || { echo "usage: make run STEP=<step folder>, e.g. STEP=1_compute_without_model"; exit 2; }
	@$(BIN)/run-step $(STEP) --port $(PORT)

deploy: $(STAMP) $(WHEELHOUSE_STAMP)
	@test -n "$(STEP)" || { echo "usage: make deploy STEP=<step folder>, e.g. STEP=2_sqs_sink"; exit 2; }
	$(BIN)/deploy-step $(STEP) --deployment-type $(TYPE) --roles-stack $(ROLES_STACK) $(ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench

# Prices the sample REPORT lines (or yours: make cost REPORTS=my-reports.json COST_ARGS="--cpu-share 0.2");
# COST_ARGS adds to (or overrides) the defaults. The plot goes to build/ (git-ignored), never over the
# committed images/cost-model.png.
REPORTS ?= examples/lambda_reports/orders-api.log
COST_DEFAULTS := --requests 3000000 --cpu-share 0.15
COST_ARGS ?=
COST_PLOT ?= build/cost.png
cost: $(STAMP)
	$(BIN)/cost-model --reports $(REPORTS) $(COST_DEFAULTS) $(COST_ARGS) --plot $(COST_PLOT)

# Not part of test or demo: the PNGs are committed. Needs Graphviz (apt-get install graphviz).
images: $(STAMP)
	@command -v dot >/dev/null || { echo "make images needs Graphviz's dot on PATH (apt-get install graphviz, brew install graphviz)"; exit 1; }
	$(BIN)/python $(PIP) --quiet -e '.[dev,images]'
	$(BIN)/python images/generate.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
	find . -path ./.git -prune -o -type d -name __pycache__ -exec rm -rf {} +
