# Trivsel: `make up` runs the whole platform locally, `make test` runs every test.
# Both install what is missing first (virtualenvs, npm packages).

PYTHON ?= $(shell command -v python3.11 || echo python3.11)
VENV := .venv
PY := $(VENV)/bin/python
STAMP_APP := $(VENV)/.installed
STAMP_TASKS := .venv-tasks/.installed
STAMP_NODE := emulators/node_modules/.installed
# Debian's Chromium and its driver, for the remote-task page's browser test.
BROWSER := /usr/bin/chromedriver
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
ARGS ?=

.PHONY: setup doctor up test test-unit bench lint deploy-dry-run openapi clean

setup: doctor $(STAMP_APP) $(STAMP_TASKS) $(STAMP_NODE)

doctor:
	@PYTHON=$(PYTHON) bash emulators/doctor.sh

$(STAMP_APP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

# The Cloud Tasks emulator pins protobuf<5, so it gets a virtualenv of its own.
$(STAMP_TASKS): emulators/requirements-tasks.txt
	$(PYTHON) -m venv .venv-tasks
	.venv-tasks/bin/pip install --quiet --disable-pip-version-check -r emulators/requirements-tasks.txt
	touch $@

$(STAMP_NODE): emulators/package.json emulators/package-lock.json
	npm ci --prefix emulators --no-audit --no-fund --loglevel=error
	touch $@

up: setup
	$(PY) -m emulators --profile dev up

$(BROWSER):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver

# pytest starts its own stack on the test ports (tests/conftest.py); ruff and mypy
# run as tests too (tests/test_code_quality.py).
test: setup $(BROWSER)
	$(PY) -m pytest $(ARGS)

# The pure tests only: no emulator stack, no whole-tree checkers (seconds, not minutes).
test-unit: setup
	$(PY) -m pytest -m "not stack and not tooling" -p no:cacheprovider $(ARGS)

bench: setup
	$(PY) -m emulators --profile test run -- $(PY) -m bench

lint: setup
	$(PY) -m ruff check .
	$(PY) -m mypy

deploy-dry-run: setup
	$(PY) -m infra.deploy --project trivsel-example --dry-run

openapi: setup
	$(PY) -m infra.openapi

clean:
	rm -rf $(VENV) .venv-tasks emulators/node_modules .stack build
