# Opportune: `make run` to try it, `make test` to test it. Nothing else is needed.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run dev test install vendor lint bench clean openapi loadtest
PORT ?= 8000
VAR := $(or $(OPPORTUNE_VAR_DIR),var)
VENDOR := opportune/static/vendor
VENDOR_STAMP := $(VENDOR)/.installed-stamp

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(VENV)/bin/pip install -q --disable-pip-version-check uv
	$(VENV)/bin/uv pip install -q --python $(PY) -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

# Front-end libraries come from the npm registry (exact pins in package.json and
# package-lock.json); the pages load the copies in opportune/static/vendor/ (not committed).
# axe-core (a dev dependency) is not copied: the browser tests read node_modules/axe-core.
$(VENDOR_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	cp node_modules/sortablejs/Sortable.min.js $(VENDOR)/Sortable.min.js
	cp node_modules/chart.js/dist/chart.umd.min.js $(VENDOR)/chart.umd.min.js
	@touch $(VENDOR_STAMP)

vendor: $(VENDOR_STAMP)

# The production shape on one machine (python -m opportune.serve, docs/deploy.md): migrate, the
# demo data the first time (when the database has no users), static files collected into
# $(VAR)/static, then gunicorn on 127.0.0.1:$(PORT) with WEB_WORKERS (2) workers and DEBUG off,
# the Huey consumer beside it (stopped with it). `make run WEB_WORKERS=4` for more workers.
run: install vendor
	$(PY) -m opportune.serve --port $(PORT)

# The development server: auto-reloading runserver with DEBUG on, the Huey consumer beside it.
dev: install vendor
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo --if-no-users
	@echo ""
	@echo "  Opportune (development): http://127.0.0.1:$(PORT)/   (DEBUG on, reloads on changes)"
	@echo "  Demo logins, password demo1234: admin, manager, sales1, sales2, purchase. Worker log: $(VAR)/huey.log"
	@echo ""
	@mkdir -p $(VAR); \
	DEBUG=true $(PY) manage.py run_huey >> $(VAR)/huey.log 2>&1 & huey_pid=$$!; \
	trap 'kill $$huey_pid 2>/dev/null; wait $$huey_pid 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM; \
	DEBUG=true $(PY) manage.py runserver 127.0.0.1:$(PORT)

# The whole suite (browser tests need the vendor files); failures, errors and skips are listed at the end.
# Two processes by default (pytest-xdist; a group such as the demo loaded once stays on one worker);
# PYTEST_ARGS replaces that: `make test PYTEST_ARGS="-k lead"` runs in one process.
PYTEST_ARGS ?= -n 2 --dist loadgroup
test: install vendor
	$(VENV)/bin/pytest -rfEs $(PYTEST_ARGS)

# Removes what make installs (not the database in var/).
clean:
	rm -rf $(VENV) node_modules $(VENDOR) staticfiles

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

# The committed OpenAPI document: regenerate after every API change (a test fails until you do).
openapi: install
	$(PY) manage.py export_openapi > docs/openapi.json.tmp && mv docs/openapi.json.tmp docs/openapi.json

# Benchmarks (not tests): bench/suite.py fills a database of its own with SCALE opportunities
# (bench/generate.py, resumable), starts the production shape (as make run) on it, runs every
# benchmark module of bench/ through HTTP and writes bench/results/<date>-<database>-<scale>.json
# and .md (each figure against its target). bench/README.md.
#   make bench SCALE=1000000 DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench   # createdb bench first
SCALE ?= $(or $(BENCH_N),100000)
BENCH_DATABASE_URL ?= $(or $(DATABASE_URL),sqlite:///$(CURDIR)/var/bench-$(SCALE).sqlite3)
bench: install vendor
	DATABASE_URL=$(BENCH_DATABASE_URL) BENCH_N=$(SCALE) $(PY) bench/suite.py

# Load test (not a test: never in `make test`): drops and recreates LOAD_DATABASE_URL, fills it,
# starts gunicorn on 127.0.0.1, runs 50 locust users for LOAD_SECONDS (60), checks every
# acknowledged write against the database; exit 1 on any failure. bench/load/run.py says more.
LOAD_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/loadtest
loadtest: install
	LOAD_DATABASE_URL=$(LOAD_DATABASE_URL) $(PY) bench/load/run.py
