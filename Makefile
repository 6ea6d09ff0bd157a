# Two commands for a new user: `make run` (the demo) and `make test` (the whole suite).
# Both build .venv on first use and need nothing else: PostgreSQL and Redis are private
# servers started from their Python wheels under var/ (see trial/embedded.py). Every target
# that uses them runs through `trial.embedded run`, which stops the servers it started.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: system-test system-run run test lint format messages bench backup restore stop clean

# mypy's Django plugin imports the settings, which start the private servers when no URL names
# a server; started outside `trial.embedded run`, nothing would stop them. The type check needs
# no database, so it is given URLs it never connects to.
MYPY := DATABASE_URL=postgres://typecheck@127.0.0.1:1/typecheck REDIS_URL=redis://127.0.0.1:1/0 $(VENV)/bin/mypy

$(STAMP): requirements.lock requirements-dev.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock -r requirements-dev.lock
	touch $(STAMP)

# The Debian packages outside Python (Chromium, fonts, Pango, gettext): installed as root,
# else named with the exact command before anything else runs (scripts/system-packages).
system-test:
	@scripts/system-packages test

system-run:
	@scripts/system-packages run

run: system-run $(STAMP)
	$(PY) -m trial.devserver

test: system-test $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(MYPY)
	$(PY) -m trial.embedded run -- $(PY) manage.py makemigrations --check --dry-run '&&' $(PY) -m pytest -n auto

# The French catalogue (issue 15). `make messages` extracts the marked strings into
# locale/fr/LC_MESSAGES/django.po (new ones untranslated, gone ones dropped) and compiles
# django.mo; both are committed, so `make run` and the Docker image need no gettext. It needs
# GNU gettext (msgfmt, xgettext: Debian's `gettext`). tests/i18n/test_catalogue.py reads
# MESSAGES_IGNORE from here.
MESSAGES_IGNORE := .venv var tests bench node_modules static/vendor staticfiles media locale
messages: $(STAMP)
	mkdir -p locale/fr/LC_MESSAGES
	$(PY) manage.py makemessages -l fr --no-obsolete $(addprefix --ignore=,$(MESSAGES_IGNORE))
	$(PY) manage.py compilemessages -l fr $(addprefix --ignore=,$(MESSAGES_IGNORE))

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(MYPY)

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Every benchmark, then one table: measure, target, value, pass or fail (bench/README.md).
bench: $(STAMP)
	$(PY) -m trial.embedded run -- $(PY) bench/all.py

# make backup [FILE=path]: pg_dump of the database (the embedded one, or DATABASE_URL's).
backup: $(STAMP)
	$(PY) -m trial.embedded run -- $(PY) manage.py backup $(if $(FILE),--output $(FILE))

# make restore FILE=path [INTO=name]: into a new database INTO, else in place of the database.
restore: $(STAMP)
	@test -n "$(FILE)" || { echo "usage: make restore FILE=var/backups/edc-....dump [INTO=name]" >&2; exit 2; }
	$(PY) -m trial.embedded run -- $(PY) manage.py restore $(FILE) $(if $(INTO),--into $(INTO),--replace)

stop: $(STAMP)
	$(PY) -m trial.embedded stop

clean: stop
	rm -rf $(VENV) var
