# Two commands for a new user: `make run` (the demo) and `make test` (the whole suite).
# Both build .venv on first use and need nothing else: PostgreSQL and Redis are private
# servers started from their Python wheels under var/ (see trial/embedded.py).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench stop clean

$(STAMP): requirements.lock requirements-dev.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock -r requirements-dev.lock
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m trial.devserver

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m trial.embedded run -- $(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)
	$(PY) bench/run.py
	$(PY) bench/bench_audit.py
	$(PY) bench/bench_save.py
	$(PY) bench/bench_followup.py
	$(PY) bench/bench_reminders.py
	$(PY) bench/bench_pdf.py
	$(PY) bench/bench_exports.py
	$(PY) bench/bench_load.py

stop: $(STAMP)
	$(PY) -m trial.embedded stop

clean: stop
	rm -rf $(VENV) var
