"""The dbt project as partitioned Dagster assets; the partition window goes to dbt as its vars
start_day / end_day."""

import os
from collections.abc import Iterator, Mapping
from typing import Any

from dagster import AssetCheckSpec, AssetExecutionContext, AssetKey, BackfillPolicy
from dagster_dbt import DagsterDbtTranslator, DbtCliInvocation, DbtCliResource, dbt_assets

from dagster_project.partitions import DAILY
from dagster_project.resources import DBT_PROJECT, WarehouseResource, prepared_manifest
from ingest.lake import LAKE_ENV, engine, export_raw, lake_dir
from ingest.rebuild import RebuildWindow, rebuild_window
from ingest.validation import stop_worker
from ingest.warehouse import connect
from serving.spark_marts import SPARK_DIR_ENV, mirror_spark_tables, spark_dir

# dbt's own column tests guard each model's shape (190 of the 231 tests). They run in every build
# and a failure fails it, but they are not Dagster asset checks: as checks they were ~570 of a run's
# ~850 events (planned, evaluated, output), ~1-1.5 s of every run. The project's own tests
# (reconciliation, accounting identities, alerts, price validity) are the asset checks.
# A run that leaves some asset checks out (the UI's subset launches) runs only the selected checks'
# tests, so no column tests; the daily job and `finops materialize` select everything.
DBT_COLUMN_TESTS = frozenset({"not_null", "not_null_columns", "unique", "accepted_values", "relationships"})


def is_asset_check(test_props: Mapping[str, Any]) -> bool:
    """Whether a dbt test (its manifest node) is a Dagster asset check."""
    return (test_props.get("test_metadata") or {}).get("name") not in DBT_COLUMN_TESTS


def check_description(test_props: Mapping[str, Any]) -> str:
    """What an asset check verifies, for the UI: the test's own description (tests/_tests.yml for the
    singular tests), else the generic test and its arguments (e.g. the expression that must hold)."""
    if test_props.get("description"):
        return test_props["description"].strip()
    metadata = test_props.get("test_metadata") or {}
    kwargs = {k: v for k, v in (metadata.get("kwargs") or {}).items() if k != "model"}
    column = kwargs.pop("column_name", None)
    arguments = "; ".join(f"{k}: {v}" for k, v in kwargs.items())
    return f"{metadata.get('name', test_props['name'])}{f' on {column}' if column else ''}: {arguments}".rstrip(": ")


class FinopsTranslator(DagsterDbtTranslator):
    """raw.<table> sources are the ingest assets; models are grouped by layer (their schema); the
    project's own dbt tests are asset checks (`is_asset_check`)."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return AssetKey([dbt_resource_props["config"].get("schema") or "main", dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props["config"].get("schema") or "main"

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return ["team:data-platform"]

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project):
        node = manifest["nodes"][unique_id]
        if not is_asset_check(node):
            return None
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        return AssetCheckSpec(
            name=spec.name,
            asset=spec.asset_key,
            description=check_description(node),
            additional_deps=spec.additional_deps,
            metadata=spec.metadata,
            blocking=spec.blocking,
        )


@dbt_assets(
    manifest=prepared_manifest(DBT_PROJECT),
    project=DBT_PROJECT,
    dagster_dbt_translator=FinopsTranslator(),
    partitions_def=DAILY,
    backfill_policy=BackfillPolicy.single_run(),
)
def finops_dbt_assets(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource) -> Iterator:
    stop_worker()  # the ingest checks are done: the GX worker's memory is freed for the build
    window = run_window(context, warehouse)
    start, end = window.start.isoformat(), window.end.isoformat()
    context.log.info(f"dbt build for {window.describe()}")
    # dbt runs in a subprocess and reads these; the window is the dbt vars start_day / end_day, set
    # through the environment so that dbt keeps its partial parsing between runs (dbt_project.yml)
    window_env = {
        "FINOPS_WINDOW_START": start,
        "FINOPS_WINDOW_END": end,
        # the per-call money models are built one UTC day at a time (dbt microbatch, macro by_day):
        # their days are the window's
        "DBT_EVENT_TIME_START": start,
        "DBT_EVENT_TIME_END": end,
        # dbt.log without its debug lines (every SQL statement, every connection event): writing
        # them cost ~0.6 s of each run. Set DBT_LOG_LEVEL_FILE=debug to have them again.
        "DBT_LOG_LEVEL_FILE": os.environ.get("DBT_LOG_LEVEL_FILE") or "info",
    }
    on_spark = engine() == "spark"  # FINOPS_ENGINE: the dbt target (profiles.yml), checked here
    if on_spark:  # Spark reads the raw tables from the lake: bring it up to date first
        lake = lake_dir(warehouse.warehouse_path)
        con = connect(warehouse.warehouse_path)
        try:
            context.log.info(f"lake {lake}: {export_raw(con, lake).describe()}")
        finally:
            con.close()
        window_env.update({LAKE_ENV: str(lake), SPARK_DIR_ENV: str(spark_dir(warehouse.warehouse_path))})
    before = {name: os.environ.get(name) for name in window_env}
    os.environ.update(FINOPS_WAREHOUSE=warehouse.warehouse, **window_env)
    try:
        try:
            # dbt unit tests check the SQL on hand-made inputs: the test suite runs them, not every day
            yield from _dbt_build_events(
                context,
                dbt.cli(
                    ["build", "--exclude-resource-type", "unit_test"],
                    context=context,
                    target_path=warehouse.dbt_target_path,
                ),
            )
        finally:  # Spark: the marts into the build file (as a DuckDB build leaves them there, failed or not)
            if on_spark:
                _mirror_spark_marts(context, warehouse)
    finally:  # a later dbt call in this process must not inherit the window
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _mirror_spark_marts(context: AssetExecutionContext, warehouse: WarehouseResource) -> None:
    """The marts and reference tables of the Spark build copied into the DuckDB build file, which the
    publish step, `finops reconcile` / `summary` / `report` and the alert sensor read on both engines."""
    con = connect(warehouse.warehouse_path)
    try:
        counts = mirror_spark_tables(
            con, spark_dir(warehouse.warehouse_path) / "warehouse", warehouse.dbt_target_path / "manifest.json"
        )
    finally:
        con.close()
    context.log.info(f"copied {len(counts)} Spark tables (marts, reference) into {warehouse.warehouse}")


def run_window(context: AssetExecutionContext, warehouse: WarehouseResource) -> RebuildWindow:
    """The run's partition window widened back to the days whose inputs changed (ingest.rebuild); the dbt
    build and the publish of one run compute it alike (nothing changes raw.changed_days in between)."""
    partition = context.partition_time_window
    con = connect(warehouse.warehouse_path)
    try:
        window = rebuild_window(con, partition.start.date(), partition.end.date())
    finally:
        con.close()
    if window.warning():
        context.log.warning(window.warning())
    return window


def _dbt_build_events(context: AssetExecutionContext, invocation: DbtCliInvocation) -> Iterator:
    """dagster-dbt's events for the build, less the results of dbt's column tests, which are not asset
    checks: one that failed, warned or errored is logged (skipped ones, downstream of a failure, are not)."""
    nodes = invocation.manifest["nodes"]
    for event in invocation.stream_raw_events():  # raises at the end if the build failed
        unique_id = event.raw_event["data"].get("node_info", {}).get("unique_id", "")
        if event.is_result_event and unique_id.startswith("test.") and not is_asset_check(nodes[unique_id]):
            status = event.raw_event["data"]["node_info"]["node_status"]
            if status in ("fail", "warn", "error"):
                context.log.warning(f"dbt test {nodes[unique_id]['name']}: {status} ({event.raw_event['info']['msg']})")
            continue
        yield from event.to_default_asset_events(
            manifest=invocation.manifest,
            dagster_dbt_translator=invocation.dagster_dbt_translator,
            context=context,
            target_path=invocation.target_path,
            project=invocation.project,
        )
