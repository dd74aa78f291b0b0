# EduDesk: `make run` for the demo, `make test` for the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test lint install check-python bench clean

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' || { \
	  echo "EduDesk needs Python 3.12 or newer (Django 6); $(PYTHON) is $$($(PYTHON) --version 2>&1)."; \
	  echo "With pyenv, the .python-version file here selects 3.13; or run: make PYTHON=python3.13 ..."; \
	  exit 1; }

$(BIN)/activate: pyproject.toml | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(BIN)/activate

install: $(BIN)/activate

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --tickets 0  # tickets come from the fake Zendesk
	$(BIN)/python manage.py run_demo --port $(PORT)

lint: install
	$(BIN)/ruff check .

test: install
	EDUDESK_VAR_DIR=$(CURDIR)/var/test DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/console.py

clean:
	rm -rf var/test var/celery var/cache
