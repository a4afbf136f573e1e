# Two commands: `make run` serves the app with demo data on SQLite; `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
APT_PACKAGES := hledger chromium fonts-dejavu-core
# The design system (GOV.UK Frontend) and axe-core come from the npm registry, pinned in package-lock.json;
# the pages' styles and scripts are built from them into ledger/web/frontend/build/, which Flask serves.
NODE_STAMP := node_modules/.installed-$(shell cat package-lock.json | cksum | cut -d' ' -f1)
ASSETS := ledger/web/frontend/build/.built
ASSET_SOURCES := $(wildcard ledger/web/frontend/*.scss ledger/web/frontend/*.css ledger/web/frontend/*.js ledger/web/frontend/*.mjs) ledger/easy_read_icons.json

.PHONY: run test lint bench bench-packages system-packages assets clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# npm comes from Debian's nodejs and npm packages; install them when missing and we may.
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian packages: nodejs npm"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	  else echo "npm is needed: install Debian's nodejs and npm packages"; exit 1; fi; }
	npm ci --no-audit --no-fund
	rm -f node_modules/.installed-*
	touch $(NODE_STAMP)

$(ASSETS): $(NODE_STAMP) $(ASSET_SOURCES)
	node ledger/web/frontend/build.mjs
	touch $(ASSETS)

assets: $(ASSETS)

run: $(STAMP) $(ASSETS)
	$(BIN)/flask --app wsgi ledger init
	$(BIN)/flask --app wsgi run --host 127.0.0.1 --port 5000

# hledger and chromium come from Debian's packages; install them when missing and we may.
system-packages:
	@missing=""; \
	command -v hledger >/dev/null 2>&1 || missing="$$missing hledger"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing$$missing: install with apt-get (tests needing them will fail under CI=true)"; fi; \
	fi

# The layering (import-linter contracts in pyproject.toml) and the types are checked before the tests.
test: $(STAMP) $(ASSETS) system-packages
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/pytest -n auto

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# wrk (Debian's package) drives the HTTP benchmark's load; the tests do not need it.
bench-packages:
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian packages: wrk"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else echo "missing wrk: install it with apt-get (the HTTP benchmark then uses Python threads)"; fi; }

bench: $(STAMP) $(ASSETS) system-packages bench-packages
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance node_modules ledger/web/frontend/build
