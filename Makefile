# The two commands: `make run` and `make test`. Everything else is set up by them.
SHELL := /bin/bash
DEFAULT_LANDING := $(CURDIR)/data/landing
export FINOPS_LANDING_DIR ?= $(DEFAULT_LANDING)
export FINOPS_WAREHOUSE ?= $(CURDIR)/data/warehouse/finops.duckdb
export DAGSTER_HOME ?= $(CURDIR)/data/dagster_home
# uv from PATH, else installed with pip into .tools/ (a private venv, so no system pip is touched).
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
DBT := cd dbt_project && $(UV) run --frozen dbt

.PHONY: install system-deps spark-deps run test test-spark lint dev docs demo reconcile report publish bench bench-quick clean focus-validator
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# `make run` needs no browser and no sudo: only the tests install Chromium.
install: .venv/.installed

# Headless Chromium renders the docs site and the HTML report in the tests; PostgreSQL is the LiteLLM
# database the connector tests start (a throwaway cluster, tests/connectors/pg_server.py). Debian packages.
system-deps:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y -qq postgresql; }

$(UV):
	python3 -m venv .tools && .tools/bin/python -m pip install --quiet uv

.venv/.installed: pyproject.toml uv.lock | $(UV)
	# compiled once here: every finops, dagster and dbt process then starts 3-8 s faster than when it
	# compiles its imports again (PYTHONDONTWRITEBYTECODE stops Python's own cache); not on every `uv run`
	# the `spark` group (pyspark, dbt-spark: ~450 MB) only for FINOPS_ENGINE=spark: `make spark-deps`
	$(UV) sync --frozen --all-groups --no-group spark --compile-bytecode
	touch $@

# FINOPS_ENGINE=spark (docs/scaling.md): Java 17 from the Debian packages (installed when `java` is
# missing, never skipped) and the `spark` dependency group. A later `make install` that re-syncs
# (pyproject.toml or uv.lock changed) removes the group again, and this target puts it back.
spark-deps: .venv/.spark-installed
	@command -v java >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq openjdk-17-jre-headless; }
	@java -version 2>&1 | head -1

.venv/.spark-installed: .venv/.installed
	$(UV) sync --frozen --all-groups --compile-bytecode
	touch $@

# The FinOps Foundation's focus-validator, for tests/test_focus_export.py, in a venv of its own: the newest
# release that runs on Python 3.11 (1.0.0) needs pandas < 3, the project pins pandas >= 3.1.1
# (tests/focus_validator/requirements.txt: pinned with hashes). The test runs this target when it is missing.
FOCUS_VALIDATOR := .tools/focus-validator
focus-validator: $(FOCUS_VALIDATOR)/.installed

$(FOCUS_VALIDATOR)/.installed: tests/focus_validator/requirements.txt | $(UV)
	rm -rf $(FOCUS_VALIDATOR)
	$(UV) venv --quiet --python "$$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )" $(FOCUS_VALIDATOR)
	$(UV) pip install --quiet --python $(FOCUS_VALIDATOR)/bin/python --require-hashes \
		-r tests/focus_validator/requirements.txt
	touch $@

# The dbt manifest that Dagster loads is parsed on first use and whenever the dbt project changed
# (dagster_project.resources.prepared_manifest).

# The demo's fictional company is written only into the default landing dir: a FINOPS_LANDING_DIR that
# is missing or empty is a mistake to report, not a place for the demo (`finops demo` writes it anywhere).
demo: install
	@if [ -n "$$(ls -A "$(FINOPS_LANDING_DIR)" 2>/dev/null)" ]; then \
		echo "landing dir $(FINOPS_LANDING_DIR) is not empty: using it as is"; \
	elif [ "$(FINOPS_LANDING_DIR)" = "$(DEFAULT_LANDING)" ]; then $(UV) run --frozen finops demo; \
	else echo "FINOPS_LANDING_DIR=$(FINOPS_LANDING_DIR) is missing or empty: point it at your calls/ and" \
		"billing/ folders, or run 'finops demo' to write the demo there" >&2; exit 2; fi

run: demo
	$(UV) run --frozen finops materialize
	$(UV) run --frozen finops summary
	$(UV) run --frozen finops report

# The linters run first, so CI (.ci/run: `make test`) fails on a lint error too.
test: system-deps install focus-validator lint
	$(UV) run --frozen pytest

# The marts on both engines, identical (tests/spark/): the demo built by DuckDB and by Spark (local
# session), every published table compared, and a bill tampered by +3% failing reconciliation on both.
# Apart from `make test` (several minutes of Spark on 2 cores); .ci/run calls it after `make test`.
test-spark: spark-deps
	@start=$$(date +%s); FINOPS_TEST_SPARK=1 $(UV) run --frozen pytest -n 0 tests/spark; rc=$$?; \
	echo "make test-spark: $$(( $$(date +%s) - start )) s"; exit $$rc

# ruff (Python: rules and format, pyproject.toml) and sqlfluff (dbt models and tests, .sqlfluff).
# To apply the fixes: `uv run ruff check --fix . && uv run ruff format .`, and sqlfluff fix with the
# same variables. sqlfluff's dbt templater compiles the project: it opens the profile's DuckDB file and
# writes a target dir, so both go to a throwaway dir, never the warehouse or the dbt_project/target
# that Dagster reads.
lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	FINOPS_WAREHOUSE=$$tmp/lint.duckdb DBT_TARGET_PATH=$$tmp/target \
	$(UV) run --frozen sqlfluff lint dbt_project/models dbt_project/tests --processes 0

dev: install
	mkdir -p $(DAGSTER_HOME) && { [ -s $(DAGSTER_HOME)/dagster.yaml ] || printf 'telemetry:\n  enabled: false\n' > $(DAGSTER_HOME)/dagster.yaml; }
	$(UV) run --frozen dagster dev -m dagster_project.definitions

docs: install
	$(DBT) docs generate
	$(DBT) docs serve --port 8080 --no-browser

reconcile: install
	$(UV) run --frozen finops reconcile

publish: install
	$(UV) run --frozen finops publish

report: install
	$(UV) run --frozen finops report

# Scale benchmark (not a test): pipeline vs a same-work DuckDB script (demo.yardstick) at 1M/10M/30M calls, then the Spark column
# (DuckDB and Spark side by side at 1M/10M calls, and the projection of a 33M-calls-a-day month); writes
# docs/benchmarks.md.
bench: install spark-deps
	$(UV) run --frozen python -m demo.benchmark
	$(UV) run --frozen python -m demo.bench_spark

bench-quick: install
	$(UV) run --frozen python -m demo.benchmark --quick

clean:
	rm -rf data/bench data/bench-spark data/warehouse data/dagster_home dbt_project/target .venv .tools .cache
