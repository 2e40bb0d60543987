# The two commands: `make run` and `make test`. Everything else is set up by them.
SHELL := /bin/bash
export FINOPS_LANDING_DIR ?= $(CURDIR)/data/landing
export FINOPS_WAREHOUSE ?= $(CURDIR)/data/warehouse/finops.duckdb
export DAGSTER_HOME ?= $(CURDIR)/data/dagster_home
# uv from PATH, else installed with pip into .tools/ (a private venv, so no system pip is touched).
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
DBT := cd dbt_project && $(UV) run --frozen dbt

.PHONY: install run test dev docs demo reconcile clean

install: .venv/.installed dbt_project/target/manifest.json

$(UV):
	python3 -m venv .tools && .tools/bin/python -m pip install --quiet uv

.venv/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-groups
	touch $@

# A fresh clone has no dbt manifest; Dagster needs one to load the dbt assets.
dbt_project/target/manifest.json: .venv/.installed $(shell find dbt_project/models dbt_project/macros dbt_project/tests data/reference -type f 2>/dev/null) dbt_project/dbt_project.yml
	$(DBT) parse --quiet
	touch $@

demo: install
	@if [ -z "$$(ls -A "$(FINOPS_LANDING_DIR)" 2>/dev/null)" ]; then $(UV) run --frozen finops demo; \
	else echo "landing dir $(FINOPS_LANDING_DIR) is not empty: using it as is"; fi

run: demo
	$(UV) run --frozen finops materialize
	$(UV) run --frozen finops summary

test: install
	$(UV) run --frozen pytest

dev: install
	mkdir -p $(DAGSTER_HOME) && touch $(DAGSTER_HOME)/dagster.yaml
	$(UV) run --frozen dagster dev -m dagster_project.definitions

docs: install
	$(DBT) docs generate
	cd dbt_project/target && $(UV) run --frozen python -m http.server 8080

reconcile: install
	$(UV) run --frozen finops reconcile

clean:
	rm -rf data/warehouse data/dagster_home dbt_project/target .venv .tools
