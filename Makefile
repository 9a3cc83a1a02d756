# DealIQ — the two commands: `make demo` (set up + analyse the sample deal) and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
# Tests run against real services; override on the command line or in the environment.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/dealiq
DEALIQ_TEST_BROKER_URL ?= redis://127.0.0.1:6379/15
PYTEST_ARGS ?=

.PHONY: demo test check serve worker beat flower doctor backup migrate install install-dev clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	DEBUG=1 $(PY) manage.py migrate --noinput

# Embedded default: SQLite under var/, Celery eager, offline engine. Run twice → a second run.
demo: migrate
	DEBUG=1 $(PY) manage.py demo

serve: migrate
	DEBUG=1 $(PY) manage.py serve 127.0.0.1:8000

# Static checks CI runs before the suite (.ci/run): ruff (ruff.toml), models and migrations agree, the
# layers and the acyclic workers/ package of .importlinter hold. Each stops `make check` on its own.
check: install-dev
	$(VENV)/bin/ruff check .
	DEBUG=1 DATABASE_URL=sqlite:///:memory: $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/lint-imports

# Two passes: everything that can share the machine runs on TEST_WORKERS pytest-xdist workers (each with
# its own test database and Redis index); then, alone, what measures time or kills processes (the fault
# suite, the browser flows, tests marked `serial`). Both passes always run; a pass that selects nothing (exit 5) is fine; the exit status is the last failure.
TEST_WORKERS ?= 2
SERIAL_TESTS := faults or browser or serial
test: install-dev
	@status=0; \
	CI=$${CI:-} DATABASE_URL=$(TEST_DATABASE_URL) DEALIQ_TEST_BROKER_URL=$(DEALIQ_TEST_BROKER_URL) \
		$(PY) -m pytest -n $(TEST_WORKERS) -m "not ($(SERIAL_TESTS))" $(PYTEST_ARGS) || { rc=$$?; [ $$rc -eq 5 ] || status=$$rc; }; \
	CI=$${CI:-} DATABASE_URL=$(TEST_DATABASE_URL) DEALIQ_TEST_BROKER_URL=$(DEALIQ_TEST_BROKER_URL) \
		$(PY) -m pytest -m "$(SERIAL_TESTS)" $(PYTEST_ARGS) || { rc=$$?; [ $$rc -eq 5 ] || status=$$rc; }; \
	exit $$status

# Real stack (set DATABASE_URL and CELERY_BROKER_URL first).
worker: install
	$(VENV)/bin/celery -A config worker -l INFO --concurrency $${WORKER_CONCURRENCY:-2}

beat: install
	$(VENV)/bin/celery -A config beat -l INFO

# Operator tools (docs/operations.md). Flower: port FLOWER_PORT (5555), credentials FLOWER_BASIC_AUTH
# ("user:password"; with DEBUG=1 and none set, a random password is printed — auth is always on).
flower: install
	$(PY) manage.py flower --port $${FLOWER_PORT:-5555}

doctor: install
	$(PY) manage.py doctor

backup: install
	$(PY) manage.py backup

clean:
	rm -rf var/ .pytest_cache
