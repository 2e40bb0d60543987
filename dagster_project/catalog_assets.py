"""Price catalog assets: the genai-prices catalog as an effective-dated table, and the resolution
of every model name seen in calls and bills to a catalog model. Logic lives in ingest.catalog."""

from dagster import AssetExecutionContext, AssetKey, BackfillPolicy, MaterializeResult, asset

from dagster_project.partitions import DAILY
from dagster_project.resources import WarehouseResource
from ingest.catalog import catalog_table, sync_model_aliases
from ingest.warehouse import connect, ensure_raw_schema

OWNERS = ["team:data-platform"]


@asset(
    key=["raw", "price_catalog"],
    group_name="ingest",
    partitions_def=DAILY,
    owners=OWNERS,
    backfill_policy=BackfillPolicy.single_run(),
    kinds={"python", "duckdb"},
    description=(
        "List prices from the bundled genai-prices catalog: provider x model x token bucket x tier "
        "x long-context threshold, effective-dated. Replaced on every run."
    ),
)
def raw_price_catalog(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    table = catalog_table()
    con = connect(warehouse.warehouse_path)
    try:
        ensure_raw_schema(con)
        con.register("_catalog", table)
        con.execute("create or replace table raw.price_catalog as select * from _catalog")
        con.unregister("_catalog")
    finally:
        con.close()
    return MaterializeResult(metadata={"rows": table.num_rows, "source": table.column("source")[0].as_py()})


@asset(
    key=["raw", "model_aliases"],
    group_name="ingest",
    partitions_def=DAILY,
    owners=OWNERS,
    backfill_policy=BackfillPolicy.single_run(),
    kinds={"python", "duckdb"},
    deps=[AssetKey(["raw", "calls"]), AssetKey(["raw", "bill_lines"])],
    description=(
        "Every (provider, model name) seen in calls and bills with the catalog model it resolves to "
        "(dated snapshots, aliases and Bedrock billing names -> one model); null when the catalog does "
        "not know it. Names recorded as unknown are resolved again on every run."
    ),
)
def raw_model_aliases(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    con = connect(warehouse.warehouse_path)
    try:
        ensure_raw_schema(con)
        sync = sync_model_aliases(con)
    finally:
        con.close()
    if sync.unknown:
        context.log.warning(
            f"{len(sync.unknown)} model name(s) not in the price catalog (add them to "
            f"the config dir's price_overrides.csv, or name them in model_aliases.csv): {', '.join(sync.unknown[:20])}"
        )
    if sync.resolved_again:
        context.log.info(
            f"{sync.resolved_again} model name(s) recorded as unknown now resolve; "
            f"{sync.days_changed} day(s) marked for rebuild"
        )
    return MaterializeResult(
        metadata={
            "new_names": sync.new_names,
            "resolved_again": sync.resolved_again,
            "days_marked_for_rebuild": sync.days_changed,
            "unknown_names": len(sync.unknown),
        }
    )
