"""Write-audit-publish: after the dbt build and its tests pass, the marts are copied into the
serving file that readers use. A failed audit fails the run and leaves the old serving file as is.
The copy itself lives in serving.publish."""

from dagster import AssetExecutionContext, BackfillPolicy, MaterializeResult, asset

from dagster_project.dbt_assets import finops_dbt_assets, run_window
from dagster_project.partitions import DAILY
from dagster_project.resources import WarehouseResource
from ingest.config import Settings
from ingest.rebuild import mark_built
from ingest.warehouse import connect
from serving.publish import publish


@asset(
    key=["serving", "finops_serving"],
    group_name="serving",
    partitions_def=DAILY,
    owners=["team:data-platform"],
    backfill_policy=BackfillPolicy.single_run(),
    deps=list(finops_dbt_assets.keys),
    kinds={"duckdb"},
    description=(
        "The marts and reference tables published (atomically) into the serving file, readable by "
        "DuckDB >= 1.0 clients; runs only after every dbt model and test of the run succeeded."
    ),
)
def serving_file(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    window = run_window(context, warehouse)
    result = publish(warehouse.warehouse_path, Settings.from_env().serving, days=(window.start, window.end))
    con = connect(warehouse.warehouse_path)
    try:
        mark_built(con, window)  # the changed days are built and published: later runs need not rebuild them
    finally:
        con.close()
    how = (
        f"incrementally (days replaced: {sum(max(n, 0) for n in result.synced_days.values())} over "
        f"{len(result.synced_days)} day tables)"
        if result.incremental
        else "in full"
    )
    context.log.info(
        f"published {len(result.row_counts)} tables to {result.serving_path} {how} in {result.seconds:.1f} s"
    )
    return MaterializeResult(
        metadata={
            "path": str(result.serving_path),
            "bytes": result.bytes,
            "storage_version": result.storage_version,
            "published_at": result.published_at.isoformat(),
            "incremental": result.incremental,
            **{f"rows {name}": count for name, count in result.row_counts.items()},
        }
    )
