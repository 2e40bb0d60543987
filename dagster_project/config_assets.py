"""The company's configuration dir loaded into raw.config_* tables on every run (ingest.company_config)."""

from dagster import AssetExecutionContext, AssetSpec, BackfillPolicy, MaterializeResult, multi_asset

from dagster_project.partitions import DAILY
from dagster_project.resources import WarehouseResource
from ingest.company_config import check_config_dir, load_config, table_name
from ingest.schemas import CONFIG_FILES
from ingest.warehouse import connect


@multi_asset(
    specs=[
        AssetSpec(
            ["raw", table_name(name)],
            group_name="ingest",
            owners=["team:data-platform"],
            kinds={"python", "duckdb"},
            description=(
                f"{name}.csv of the company config dir (FINOPS_CONFIG_DIR), validated; "
                "bad rows in raw.quarantine. Replaced on every run."
            ),
        )
        for name in CONFIG_FILES
    ],
    partitions_def=DAILY,
    backfill_policy=BackfillPolicy.single_run(),
    can_subset=False,
)
def raw_company_config(context: AssetExecutionContext, warehouse: WarehouseResource):
    check_config_dir(warehouse.config_path)
    con = connect(warehouse.warehouse_path)
    try:
        report = load_config(con, warehouse.config_path)
    finally:
        con.close()
    if not warehouse.config_path.is_dir():
        context.log.info(
            f"no config dir at {warehouse.config_path} (FINOPS_CONFIG_DIR): no overrides, aliases, "
            "account maps or acknowledged variances"
        )
    if report.unknown_files:
        context.log.warning(
            f"config dir {warehouse.config_path}: files not read (names must be one of "
            f"{', '.join(f'{n}.csv' for n in CONFIG_FILES)}): {', '.join(report.unknown_files)}"
        )
    for name in CONFIG_FILES:
        if report.quarantined[name]:
            context.log.warning(
                f"{warehouse.config_path / (name + '.csv')}: {report.quarantined[name]} row(s) "
                "rejected (see raw.quarantine)"
            )
        yield MaterializeResult(
            asset_key=["raw", table_name(name)],
            metadata={
                "rows": report.loaded[name],
                "rows_quarantined": report.quarantined[name],
                "days_changed": report.changed_days[name],
            },
        )
