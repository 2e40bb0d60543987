"""Price catalog assets: the genai-prices catalog as an effective-dated table, and the resolution
of every model name seen in calls and bills to a catalog model. Logic lives in ingest.catalog."""

from dagster import AssetExecutionContext, AssetKey, BackfillPolicy, MaterializeResult, asset

from dagster_project.partitions import DAILY
from dagster_project.resources import WarehouseResource
from ingest.catalog import catalog_table, resolve_models
from ingest.warehouse import connect, ensure_raw_schema

OWNERS = ["team:data-platform"]


@asset(
    key=["raw", "price_catalog"], group_name="ingest", partitions_def=DAILY, owners=OWNERS,
    backfill_policy=BackfillPolicy.single_run(), kinds={"python", "duckdb"},
    description="List prices from the bundled genai-prices catalog: provider x model x token bucket x tier "
                "x long-context threshold, effective-dated. Replaced on every run.",
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
    key=["raw", "model_aliases"], group_name="ingest", partitions_def=DAILY, owners=OWNERS,
    backfill_policy=BackfillPolicy.single_run(), kinds={"python", "duckdb"},
    deps=[AssetKey(["raw", "calls"]), AssetKey(["raw", "bill_lines"])],
    description="Every (provider, model name) seen in calls and bills with the catalog model it resolves to "
                "(dated snapshots and aliases -> one model); null when the catalog does not know it.",
)
def raw_model_aliases(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    con = connect(warehouse.warehouse_path)
    try:
        ensure_raw_schema(con)
        con.execute("create table if not exists raw.model_aliases "
                    "(provider varchar, model_name varchar, catalog_model varchar)")
        pairs = con.execute(
            """
            with seen as (
                select lower(trim(provider)) as provider, model_requested as model_name from raw.calls
                union select lower(trim(provider)), coalesce(model_served, model_requested) from raw.calls
                union select lower(trim("ProviderName")), "x_Model" from raw.bill_lines where "x_Model" <> 'unknown'
            )
            select distinct provider, model_name from seen
            where not exists (select 1 from raw.model_aliases a
                              where a.provider = seen.provider and a.model_name = seen.model_name)
            order by 1, 2
            """
        ).fetchall()
        resolved = resolve_models(pairs)
        con.register("_resolved", resolved)
        con.execute("insert into raw.model_aliases select provider, model_name, catalog_model from _resolved")
        con.unregister("_resolved")
        unknown = con.execute(
            "select provider || '/' || model_name from raw.model_aliases where catalog_model is null order by 1"
        ).fetchall()
    finally:
        con.close()
    if unknown:
        context.log.warning(f"{len(unknown)} model name(s) not in the price catalog (add them to "
                            f"data/reference/price_overrides.csv): {', '.join(u[0] for u in unknown[:20])}")
    return MaterializeResult(metadata={"new_names": len(pairs), "unknown_names": len(unknown)})
