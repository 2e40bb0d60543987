"""Ingest assets: landing files -> DuckDB raw tables, one asset per raw table, with a Great
Expectations check of the rows each run loaded. The loading itself lives in ingest.loaders."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    BackfillPolicy,
    MaterializeResult,
    asset,
)

from dagster_project.partitions import DAILY
from dagster_project.pull_assets import pull_keys
from dagster_project.resources import WarehouseResource
from ingest.loaders import load_landing
from ingest.validation import validate_loaded
from ingest.warehouse import connect

OWNERS = ["team:data-platform"]


def _ingest(context: AssetExecutionContext, warehouse: WarehouseResource, kind: str, table: str) -> MaterializeResult:
    con = connect(warehouse.warehouse_path)
    try:
        report = load_landing(con, warehouse.landing_path, kind=kind, progress=context.log.info)
    finally:
        con.close()  # closed before the check, which reads the warehouse (maybe from the validation worker)
    loaded_ids = [f.file_id for f in report.files if f.status == "loaded"]
    not_loaded = [f for f in report.files if f.not_loaded]
    for f in not_loaded:
        context.log.warning(
            f"{f.path}: NOT LOADED, {f.reason or 'every row quarantined'}" + (f"; {f.hint}" if f.hint else "")
        )
    context.log.info(
        f"{kind}: {len(loaded_ids)} new file(s) loaded ({report.total('rows_loaded'):,} rows, "
        f"{report.total('rows_quarantined'):,} quarantined); "
        f"{sum(1 for f in report.files if f.status == 'skipped')} already loaded, "
        f"{sum(1 for f in report.files if f.status == 'duplicate')} duplicate(s)"
    )
    validation = validate_loaded(warehouse.warehouse_path, table, loaded_ids)
    window = context.partition_time_window
    earlier = [d for d in report.days if d < window.start.date().isoformat()]
    if earlier:
        context.log.info(
            f"{kind} rows changed on {len(earlier)} day(s) before this run's window ({earlier[0]} .. {earlier[-1]}): "
            "the run rebuilds those within the lookback (ingest.rebuild)"
        )
    return MaterializeResult(
        metadata={
            "files_loaded": len(loaded_ids),
            "files_duplicate": sum(1 for f in report.files if f.status == "duplicate"),
            "files_not_loaded": len(not_loaded),
            "rows_read": report.total("rows_read"),
            "rows_loaded": report.total("rows_loaded"),
            "rows_quarantined": report.total("rows_quarantined"),
            "days_changed": ", ".join(report.days[:5]) + (" ..." if len(report.days) > 5 else ""),
        },
        check_results=[
            AssetCheckResult(
                check_name="gx_loaded_batch_valid",
                passed=validation.success,
                severity=AssetCheckSeverity.ERROR,
                metadata={
                    "rows": validation.rows,
                    "expectations": validation.evaluated,
                    "failures": "\n".join(validation.failures) or "none",
                },
            )
        ],
    )


def _check(table: str) -> list[AssetCheckSpec]:
    return [
        AssetCheckSpec(
            "gx_loaded_batch_valid",
            asset=AssetKey(["raw", table]),
            blocking=True,
            description="Great Expectations suite (built from ingest.schemas) on the rows this run loaded.",
        )
    ]


@asset(
    key=["raw", "calls"],
    deps=pull_keys("calls"),
    group_name="ingest",
    partitions_def=DAILY,
    owners=OWNERS,
    backfill_policy=BackfillPolicy.single_run(),
    check_specs=_check("calls"),
    kinds={"python", "duckdb"},
    description="Call logs from <landing>/calls/<format>/ loaded into raw.calls; rejected rows in raw.quarantine.",
)
def raw_calls(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    return _ingest(context, warehouse, "calls", "calls")


@asset(
    key=["raw", "bill_lines"],
    deps=pull_keys("billing"),
    group_name="ingest",
    partitions_def=DAILY,
    owners=OWNERS,
    backfill_policy=BackfillPolicy.single_run(),
    check_specs=_check("bill_lines"),
    kinds={"python", "duckdb"},
    description=(
        "Vendor bills from <landing>/billing/<format>/ loaded into raw.bill_lines; rejected rows in raw.quarantine."
    ),
)
def raw_bill_lines(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    return _ingest(context, warehouse, "billing", "bill_lines")
