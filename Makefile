# Sales playbook and coaching kit. `make` (or `make help`) lists the commands.
# Everything installs itself: a .venv with the kit, and (as root) the Debian
# packages for the browser tests and Chinese fonts.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PLAYBOOK := $(VENV)/bin/playbook
STAMP := $(VENV)/.installed
DATA ?= data/sample
LANG_ ?= en
PORT ?= 8866
REPORTS := reports
# Jupyter refuses to run as root without --allow-root: pass it only when root (a container, CI).
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)
DEBS := chromium fonts-noto-cjk poppler-utils postgresql

.DEFAULT_GOAL := help
.PHONY: help setup system-deps demo test lab app bench lint clean

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found " + sys.version.split()[0] + ")")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

setup: $(STAMP) system-deps ## create .venv and install the kit (and, as root, chromium + CJK fonts)

system-deps: ## install chromium, CJK fonts and poppler with apt-get when missing (root only)
	@missing=""; \
	for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else \
	  echo "NOTE: please install these Debian packages (needed for Chinese charts and browser tests):$$missing"; \
	  echo "      sudo apt-get install$$missing"; \
	fi

demo: setup ## render one IDP per rep of the sample company (中文 and EN) + the team overview, to reports/
	$(PLAYBOOK) overview --data $(DATA) --out $(REPORTS) --lang zh
	$(PLAYBOOK) idp render --data $(DATA) --out $(REPORTS)/idp-en --lang en
	$(PLAYBOOK) idp render --data $(DATA) --out $(REPORTS)/idp-zh --lang zh

test: setup ## run the whole test suite (lint, import contracts, unit, doctests, notebooks, browser)
	$(VENV)/bin/ruff check playbook tests
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q -n auto --dist loadgroup --durations=15 tests playbook --doctest-modules

lab: setup ## open JupyterLab on the notebooks
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(ALLOW_ROOT)

app: setup ## serve the staff apps (Voila) on http://127.0.0.1:$(PORT)
	$(PLAYBOOK) app --port $(PORT) --data $(DATA) $(if $(MAP),--map $(MAP))

bench: setup ## run the benchmarks (floors, peers, pass/fail; under 10 min); writes reports/bench.md and the README table
	-$(PY) -m pip install -q -e '.[test,bench]'  # the peers (lifetimes, pymc-marketing); a row says "not installed" if this fails
	$(PLAYBOOK) bench --out $(REPORTS)/bench.md

lint: setup ## ruff on the package and tests; the layers' import contracts
	$(VENV)/bin/ruff check playbook tests
	$(VENV)/bin/lint-imports

clean: ## remove build outputs (keeps .venv)
	rm -rf $(REPORTS) .pytest_cache .hypothesis build *.egg-info
