# The README's two commands are `make demo` and `make test`; both set up the virtual
# environment on first use. Everything else here is for people working on the project.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test lint format typecheck pytest dev admin-api sandbox bench bench-airbyte clean \
	browser-deps browser-test screenshots

$(STAMP): pyproject.toml setup.cfg
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## The main job: embedded database, sandbox store, demo connector, full sync, re-sync, summary.
demo: install
	$(BIN)/goldsphere demo

## Chromium when missing, lint, format check, type check, then every test (CI runs this).
test: install browser-deps lint typecheck pytest

lint: install
	$(BIN)/ruff check goldsphere_pipelines goldsphere_pipelines_tests
	$(BIN)/ruff format --check goldsphere_pipelines goldsphere_pipelines_tests

typecheck: install
	$(BIN)/mypy goldsphere_pipelines

pytest: install
	$(BIN)/pytest $(PYTEST_ARGS)

format: install
	$(BIN)/ruff check --fix goldsphere_pipelines goldsphere_pipelines_tests
	$(BIN)/ruff format goldsphere_pipelines goldsphere_pipelines_tests

## The Dagster UI on the same data as the CLI and the demo.
dev: install
	DAGSTER_HOME=$${DAGSTER_HOME:-$(CURDIR)/.goldsphere/dagster} ; mkdir -p $$DAGSTER_HOME ; \
	DAGSTER_HOME=$$DAGSTER_HOME $(BIN)/dagster dev -h 127.0.0.1 -p $${DAGSTER_PORT:-3000}

## Chromium for the real-browser tests (Debian's package; Playwright drives it). Installs
## it with apt-get when missing (as root, or through sudo), and does nothing when present.
browser-deps:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then \
		echo "browser-deps: chromium is installed"; \
	else \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get install -y --no-install-recommends chromium \
		|| { $$SUDO apt-get update && $$SUDO apt-get install -y --no-install-recommends chromium; } \
		|| if [ -n "$$CI" ]; then echo "browser-deps: could not install chromium" >&2; exit 1; \
		else echo "browser-deps: could not install chromium; the browser tests will be skipped" >&2; fi; \
	fi

## Only the real-browser tests (the Connectivity page and the Dagster UI journeys).
browser-test: install browser-deps
	$(BIN)/pytest -m browser $(PYTEST_ARGS)

## The browser journeys again, saving their screenshots into docs/screenshots/.
screenshots: install browser-deps
	GOLDSPHERE_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/pytest -m browser -q \
		goldsphere_pipelines_tests/admin_api/test_browser_connectivity.py::test_journey_a_connect_test_sync_and_sign_out \
		goldsphere_pipelines_tests/admin_api/test_browser_dagster_ui.py

admin-api: install
	$(BIN)/goldsphere admin-api serve

sandbox: install
	$(BIN)/goldsphere sandbox serve

bench: install
	$(BIN)/goldsphere bench $(BENCH_ARGS)

## Airbyte's WooCommerce source (its own .venv-airbyte, from PyPI) beside our full sync.
bench-airbyte: install
	$(BIN)/python -m goldsphere_pipelines.bench_airbyte $(BENCH_ARGS)

clean:
	-$(BIN)/goldsphere db stop-embedded
	rm -rf .goldsphere
