# Steward: one entry point for every routine task. `make help` lists them.
# `make run` and `make test` do all their own set-up on a fresh machine.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the commands
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-16s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $@

# The care engine compiled with mypyc (about three times faster, the same plans); rebuilt
# when its source changes. Without a C compiler it says so and stays pure Python.
ENGINE := steward/scheduling/care_solver
$(ENGINE).compiled: $(ENGINE).py $(VENV)/.installed
	@echo "Compiling the care engine with mypyc (about a minute, once)..."
	@$(BIN)/python -c "import sys; from steward.scheduling.compiled import main; sys.exit(main([]))"

.PHONY: install
install: $(VENV)/.installed $(ENGINE).compiled ## Create .venv, install the pinned dependencies, compile the care engine

.PHONY: migrate
migrate: install ## Apply database migrations
	@$(BIN)/python manage.py migrate --no-input -v 0

.PHONY: demo
demo: migrate ## Load the demo personas (idempotent)
	@$(BIN)/python manage.py load_demo

.PHONY: run
run: demo ## Set up, load the demo and serve on http://$(HOST):$(PORT)
	@echo
	@echo "  Steward is starting on http://$(HOST):$(PORT)/"
	@echo "  Staff console:  http://$(HOST):$(PORT)/console/   e.g. dan.evans (call handler) or priya.shah (team lead)"
	@echo "                  kim.lee plans CheapCare's visits (Schedule); joy.mensah is a carer (My visits today)"
	@echo "  Customer portal: http://$(HOST):$(PORT)/me/       e.g. amina.khan@example.org or sara.khan@example.org"
	@echo "                  (the one-time sign-in code is printed in this terminal, as the email it would be)"
	@echo "  Admin:          http://$(HOST):$(PORT)/admin/     admin"
	@echo "  API docs:       http://$(HOST):$(PORT)/api/v1/docs  (token: $(BIN)/python manage.py issue_token dan.evans)"
	@echo "  Demo password for everyone: steward-demo"
	@echo "  A background worker runs alongside (sweeps every minute, queued tasks within seconds)."
	@echo
	@$(BIN)/python manage.py worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

.PHONY: worker
worker: migrate ## Run the background worker (sweeps + queued tasks)
	@$(BIN)/python manage.py worker

.PHONY: test
test: install ## Run the whole test suite (DATABASE_URL=postgres://… for PostgreSQL)
	@DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python -m pytest -n auto --dist loadgroup -p no:cacheprovider $(PYTEST_ARGS)

.PHONY: lint
lint: install ## ruff and mypy
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/mypy steward config

.PHONY: bench
bench: migrate ## Measure p50/p95 on a generated dataset (BENCH_CUSTOMERS=100000 …)
	@$(BIN)/python -m bench.run

.PHONY: bench-schedule
bench-schedule: install ## The scheduler on the HHCRSP instances and a realistic care day (BENCH_SCHEDULE=hhcrsp,day, HHCRSP_DIR, HHCRSP_LIMITS=10,60, DAY_LIMIT=28, DAY_SEARCH_SEEDS …)
	@$(BIN)/python -m bench.schedule

.PHONY: lock
lock: ## Re-pin dependencies after editing requirements*.in
	@rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	@.lockenv/bin/pip install --quiet -r requirements.in -r requirements-dev.in
	@.lockenv/bin/pip freeze > requirements.lock && rm -rf .lockenv
	@echo "requirements.lock updated"

.PHONY: clean
clean: ## Remove the virtualenv and the local SQLite database
	rm -rf $(VENV) var
	rm -f steward/scheduling/*.so $(ENGINE).compiled
