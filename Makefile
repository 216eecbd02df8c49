# Tripflow — `make run` to use it, `make test` to check it. Python 3.11 and Node 20 are all it assumes.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
WORKERS ?= 4
TIMER_WORKERS ?= 2

.PHONY: setup run serve test test-fast lint bench bench-check assets translations chromium pdf-tools postgres redis clean

setup: $(VENV)/.installed assets translations pdf-tools

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: node_modules/.installed
	npm run --silent build

translations: $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d webapp/translations 2>&1 | tail -n 2

# DEMO=0 skips the year of demo history that `make run` loads into a new database (one without cases).
DEMO ?= 1
run: setup
	@echo "Tripflow on http://127.0.0.1:$(PORT) (timer worker beside it; Ctrl-C stops both; demo users, for trying it out)"
	@trap 'kill 0' EXIT INT TERM; \
	TRIPFLOW_DEMO_USERS=1 $(BIN)/flask --app webapp init-db; \
	TRIPFLOW_SETUP_ON_START=0 $(BIN)/flask --app webapp worker --interval 5 & \
	if [ "$(DEMO)" != 0 ]; then \
	  echo "Loading a year of demo history in the background if the database is new (a few minutes; make run DEMO=0 skips it)"; \
	  TRIPFLOW_SETUP_ON_START=0 $(BIN)/flask --app webapp demo --if-new & \
	fi; \
	TRIPFLOW_SETUP_ON_START=0 $(BIN)/flask --app webapp run --host 127.0.0.1 --port $(PORT)

# init-db builds the app once with setup on start (schema, models in bpmn/; no users: see README for the first admin);
# the workers then start without repeating it. Ctrl-C stops gunicorn and the timer workers together.
serve: setup
	@echo "Tripflow on http://127.0.0.1:$(PORT): gunicorn with $(WORKERS) workers, $(TIMER_WORKERS) timer workers"
	@trap 'kill 0' EXIT INT TERM; \
	TRIPFLOW_DEMO_USERS=0 $(BIN)/flask --app webapp init-db || exit 1; \
	for i in $$(seq $(TIMER_WORKERS)); do TRIPFLOW_SETUP_ON_START=0 $(BIN)/flask --app webapp worker & done; \
	TRIPFLOW_SETUP_ON_START=0 $(BIN)/gunicorn --config webapp/gunicorn.conf.py --workers $(WORKERS) \
	  --bind 127.0.0.1:$(PORT) "webapp:create_app()"

chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

# WeasyPrint draws PDFs with Pango; the Chinese font is Noto CJK; the tests read PDFs back with pdftotext
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk poppler-utils
pdf-tools:
	@(command -v pdftotext && fc-list | grep -q 'Noto Sans CJK' && ldconfig -p | grep -q libpangoft2) >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PDF_PACKAGES) >/dev/null)

postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || \
	  (command -v pg_ctlcluster >/dev/null && pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start) || true

# the login-limit tests count in Redis too; the machine usually runs it already
redis:
	@(command -v redis-cli >/dev/null && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1) || \
	  (command -v redis-server >/dev/null && redis-server --daemonize yes --bind 127.0.0.1 --port 6379 >/dev/null) || true

test: setup chromium postgres redis
	$(BIN)/python -m pytest -q
	@if [ -n "$${CI:-}" ] || pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
	  echo "== the suite again on PostgreSQL"; \
	  TRIPFLOW_TEST_DATABASE=postgresql $(BIN)/python -m pytest -q -m "not browser"; \
	else echo "== no PostgreSQL server on 127.0.0.1:5432: PostgreSQL run skipped"; fi

test-fast: setup
	$(BIN)/python -m pytest -q -m "not browser"

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

bench: setup postgres $(VENV)/.bench
	$(BIN)/python -m bench.run

$(VENV)/.bench: pyproject.toml
	$(BIN)/pip install --quiet -e ".[test,bench]"
	touch $@

bench-check: setup postgres $(VENV)/.bench  # the same, exiting 1 when a target is missed (never part of make test)
	$(BIN)/python -m bench.run --check

clean:
	rm -rf $(VENV) node_modules webapp/static/vendor instance
