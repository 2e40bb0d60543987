"""The Dagster code location loads and wires what the design says."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from dagster import AssetKey

from dagster_project.dbt_assets import is_asset_check
from dagster_project.definitions import DAILY_JOB, DAILY_SCHEDULE, defs
from dagster_project.resources import DBT_PROJECT


def test_definitions_asset_graph_checks_job_and_schedule():
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert {
        "raw/calls",
        "raw/bill_lines",
        "staging/stg_raw__calls",
        "staging/stg_raw__bill_lines",
        "intermediate/int_call_buckets_priced",
        "intermediate/int_call_buckets_allocated",
        "marts/fct_llm_calls",
        "marts/fct_cost_daily",
        "marts/fct_reconciliation",
        "marts/dim_tenants",
        "reference/tenants",
        "raw/price_catalog",
        "raw/model_aliases",
        "marts/dim_models",
        "raw/config_price_overrides",
        "raw/config_model_aliases",
        "raw/config_account_map",
        "raw/config_acknowledged_variances",
        "intermediate/int_bill_allocation_grains",
        "intermediate/int_reconciliation_days",
        "marts/fct_bill_reconciliation",
        "marts/focus_cost_and_usage",  # the FOCUS export: built by the daily job like every mart
        "serving/finops_serving",
        "landing/openai",
        "landing/anthropic",
        "landing/litellm",
        "landing/langfuse",
        "landing/focus_aws",
        "landing/focus_azure",
    } <= keys
    assert "reference/price_overrides" not in keys  # company prices live in the config dir, not the repository
    # the company config feeds pricing: the dbt staging model reads the config asset's table
    assert (
        AssetKey(["raw", "config_price_overrides"])
        in graph.get(AssetKey(["staging", "stg_config__price_overrides"])).parent_keys
    )
    # publishing waits for every dbt asset (write-audit-publish)
    serving = graph.get(AssetKey(["serving", "finops_serving"]))
    assert AssetKey(["marts", "fct_reconciliation"]) in serving.parent_keys
    groups = {
        graph.get(AssetKey(k.split("/"))).group_name
        for k in ("raw/calls", "staging/stg_raw__calls", "marts/fct_llm_calls", "serving/finops_serving")
    }
    assert groups == {"ingest", "staging", "marts", "serving"}
    assert graph.get(AssetKey(["marts", "fct_llm_calls"])).owners == ["team:data-platform"]
    # dbt models depend on the ingest assets through the raw sources
    assert AssetKey(["raw", "calls"]) in graph.get(AssetKey(["staging", "stg_raw__calls"])).parent_keys
    # the connectors' pull assets are upstream of the raw table their files feed, partitioned by day too
    pulls = {"calls": {"litellm", "langfuse"}, "bill_lines": {"openai", "anthropic", "focus_aws", "focus_azure"}}
    for table, names in pulls.items():
        parents = graph.get(AssetKey(["raw", table])).parent_keys
        assert {k.path[1] for k in parents if k.path[0] == "landing"} == names
        for name in names:
            node = graph.get(AssetKey(["landing", name]))
            assert (
                node.group_name == "pull" and node.partitions_def == graph.get(AssetKey(["raw", table])).partitions_def
            )
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    assert ("raw/calls", "gx_loaded_batch_valid") in checks
    assert ("raw/bill_lines", "gx_loaded_batch_valid") in checks
    assert any(a == "marts/fct_reconciliation" and n.startswith("no_period_out_of_tolerance") for a, n in checks)
    # the project's own dbt tests are asset checks, dbt's column tests are not (they still run and fail a build)
    manifest = json.loads(DBT_PROJECT.manifest_path.read_text())
    tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"]
    own = {n["name"] for n in tests if is_asset_check(n)}
    assert {n for _, n in checks} - {"gx_loaded_batch_valid", "pull_succeeded"} == own
    assert {a for a, n in checks if n == "pull_succeeded"} == {f"landing/{n}" for v in pulls.values() for n in v}
    assert len(own) == 48 and len(tests) - len(own) == 104
    assert {"warn_cap_breaches", "warn_cost_anomalies"} <= own
    job = defs.resolve_job_def("daily_finops")
    assert job.executor_def.name == "in_process"
    # no connector is configured here: the daily job leaves every pull asset out (see the next test)
    assert not [k for k in job.asset_layer.executable_asset_keys if k.path[0] == "landing"]
    assert AssetKey(["raw", "calls"]) in job.asset_layer.executable_asset_keys
    assert job.partitions_def.get_partition_keys()[0] == "2026-10-01"
    schedule = defs.resolve_schedule_def(DAILY_SCHEDULE.name)
    assert schedule.job_name == DAILY_JOB.name and schedule.cron_schedule == "0 2 * * *"
    assert schedule.default_status.value == "RUNNING"
    sensor = defs.resolve_sensor_def("alert_webhook")
    assert sensor.default_status.value == "RUNNING"


def test_daily_job_includes_the_configured_connectors(tmp_path):
    """A connector whose credential is set when the code location loads is part of the daily job; the
    others stay out (a fresh process: the job is defined at import)."""
    code = (
        "from dagster_project.definitions import defs; "
        "job = defs.resolve_job_def('daily_finops'); "
        "print(sorted(k.path[1] for k in job.asset_layer.executable_asset_keys if k.path[0] == 'landing'))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ANTHROPIC_", "LANGFUSE_", "LITELLM_"))}
    env.update(
        OPENAI_ADMIN_KEY="sk-admin-test",
        FINOPS_FOCUS_AWS_URL=str(tmp_path),
        DAGSTER_HOME=str(tmp_path),
        DLT_PROJECT_DIR=str(tmp_path),
    )
    env.pop("FINOPS_FOCUS_AZURE_URL", None)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "['focus_aws', 'openai']"


def test_dagster_cli_loads_the_code_location(tmp_path):
    """What `make dev` loads: the real dagster CLI validates the module's definitions."""
    (tmp_path / "dagster.yaml").touch()
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-m", "dagster_project.definitions"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Validation successful" in result.stdout + result.stderr


def test_dbt_profile_caps_duckdb_memory_like_the_loader():
    """profiles.yml repeats the pipeline's DuckDB memory default (one number for every connection)."""
    from ingest.warehouse import DEFAULT_MEMORY_LIMIT, MEMORY_LIMIT_ENV

    profile = (Path(__file__).resolve().parent.parent / "dbt_project" / "profiles.yml").read_text()
    assert f"env_var('{MEMORY_LIMIT_ENV}', '{DEFAULT_MEMORY_LIMIT}')" in profile


def test_dbt_resource_skips_dagster_dbt_run_preparation():
    """FinopsDbtCliResource replaces two dagster-dbt internals; this fails if dagster-dbt renames or
    stops using them, and checks that the version it reports is the dbt executable's own."""
    import inspect
    from functools import cached_property

    from dagster_dbt import DbtCliResource

    from dagster_project.resources import FinopsDbtCliResource, dbt_resource

    assert isinstance(DbtCliResource.__dict__["_cli_version"], cached_property)
    cli_source = inspect.getsource(DbtCliResource.cli)
    assert "self._cli_version" in cli_source and "self._initialize_dbt_core_adapter(" in cli_source
    resource = dbt_resource()
    assert isinstance(resource, FinopsDbtCliResource)
    dbt = Path(sys.executable).parent / "dbt"
    reported = subprocess.check_output([str(dbt), "--version"], text=True)
    assert f"installed: {resource._cli_version}" in reported
    assert resource._initialize_dbt_core_adapter(["build"]) is None


def test_dbt_resource_runs_this_environment_s_dbt_without_the_venv_on_path():
    """`.venv/bin/finops materialize` from cron (venv not activated, PATH without .venv/bin): the dbt
    resource is built and its executable, the venv's dbt, runs; with dagster-dbt's default (`dbt` on
    PATH) building it failed with a pydantic ValidationError."""
    from importlib.metadata import version

    bare_path = "/usr/bin:/bin"
    assert shutil.which("dbt", path=bare_path) is None  # else this test proves nothing
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"} | {"PATH": bare_path}
    code = (
        "import subprocess; from dagster_project.resources import dbt_resource; exe = dbt_resource().dbt_executable; "
        "print(exe); print(subprocess.run([exe, '--version'], capture_output=True, text=True, check=True).stdout)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    exe, reported = done.stdout.split("\n", 1)
    assert exe == str(Path(sys.executable).parent / "dbt") and Path(exe).is_file()
    assert f"installed: {version('dbt-core')}" in reported


def test_the_dbt_manifest_is_parsed_again_when_the_project_changed(tmp_path):
    """A model added or renamed after the last `dbt parse` is one of Dagster's assets at the next load (a
    stale manifest made the run fail after its dbt build, on the new model's id); an unchanged project is
    not parsed again."""
    shutil.copytree(DBT_PROJECT.project_dir, tmp_path / "dbt_project", ignore=shutil.ignore_patterns("target", "logs"))
    shutil.copytree(Path(DBT_PROJECT.project_dir).parent / "data" / "reference", tmp_path / "data" / "reference")
    env = {**os.environ, "FINOPS_DBT_PROJECT_DIR": str(tmp_path / "dbt_project")}
    keys = (
        "from dagster_project.definitions import defs; "
        "print(sorted(k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()))"
    )

    def load() -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-c", keys], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-3000:]
        return done

    parsing = f"dbt project {tmp_path / 'dbt_project'} changed since its last parse: parsing it"
    first = load()  # no manifest yet
    assert parsing in first.stderr and "marts/fct_added" not in first.stdout
    assert parsing not in load().stderr
    added_model = tmp_path / "dbt_project" / "models" / "marts" / "fct_added.sql"
    added_model.write_text("select 1 as x\n")
    added = load()
    assert parsing in added.stderr and "'marts/fct_added'" in added.stdout
    added_model.rename(added_model.with_name("fct_renamed.sql"))  # same mtime and size: still a change
    renamed = load()
    assert parsing in renamed.stderr
    assert "'marts/fct_renamed'" in renamed.stdout and "'marts/fct_added'" not in renamed.stdout
