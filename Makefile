# Dunwell: `make run` to try it, `make test` for the whole suite.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: install run test lint format bench messages clean

install: $(VENV)/.installed node_modules/.installed

# Browser assets (Chart.js) from the npm registry; never committed (node_modules/ is ignored).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[dev]"
	touch $@

# Quickstart: an embedded PostgreSQL and a filesystem Celery broker under var/, no service needed.
# Ctrl-C stops web, worker, beat and the embedded PostgreSQL (the Procfile's db process).
run: install
	mkdir -p var
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py seed_demo
	DEBUG=1 $(PY) manage.py backfill_snapshots --if-missing
	DEBUG=1 PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start -f Procfile

test: install
	$(VENV)/bin/pytest --create-db

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Letters, statements and their e-mails in German and French: collect the strings into each
# app's locale/<lang>/LC_MESSAGES/django.po, then compile the .mo files (committed, so running
# the app needs no gettext tools; tests/dunning/test_languages.py checks they match).
LOCALE_APPS := accounts invoices dunning
messages: install
	for app in $(LOCALE_APPS); do \
	  (cd $$app && ../$(PY) ../manage.py makemessages -l de -l fr -e html,txt,py --no-wrap \
	    --no-location && ../$(PY) ../manage.py compilemessages) || exit 1; \
	done

# Benchmarks on PostgreSQL with the large generated data set (see tests/bench/README.md), and
# the daily snapshots the dashboard benchmarks read: 25 months, back-filled once (a later run
# writes only the days since).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/dunwell_bench
# Benchmarks run production settings (DEBUG=0), which refuse to start without a real key.
bench: export SECRET_KEY ?= $(shell $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))")
bench: install
	psql "$(BENCH_DATABASE_URL)" -Atc "select 1" >/dev/null 2>&1 || \
	  createdb -h 127.0.0.1 -U postgres $(lastword $(subst /, ,$(BENCH_DATABASE_URL)))
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py migrate --noinput -v0
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py generate_data --if-empty \
	  --customers 50000 --invoices 2000000
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py backfill_snapshots --if-missing
	DATABASE_URL=$(BENCH_DATABASE_URL) $(VENV)/bin/pytest tests/bench -s --benchmarks

clean:
	rm -rf var/celery var/mail
