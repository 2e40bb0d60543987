"""The dbt project as partitioned Dagster assets; the partition window goes to dbt as vars."""


import json
import os
from collections.abc import Iterator, Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetKey, BackfillPolicy
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from dagster_project.partitions import DAILY
from dagster_project.resources import DBT_PROJECT, WarehouseResource


class FinopsTranslator(DagsterDbtTranslator):
    """raw.<table> sources are the ingest assets; models are grouped by layer (their schema)."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return AssetKey([dbt_resource_props["config"].get("schema") or "main", dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props["config"].get("schema") or "main"

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return ["team:data-platform"]


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=FinopsTranslator(),
    partitions_def=DAILY,
    backfill_policy=BackfillPolicy.single_run(),
)
def finops_dbt_assets(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource) -> Iterator:
    window = context.partition_time_window
    dbt_vars = {"start_day": window.start.date().isoformat(), "end_day": window.end.date().isoformat()}
    context.log.info(f"dbt build for UTC days [{dbt_vars['start_day']}, {dbt_vars['end_day']})")
    os.environ["FINOPS_WAREHOUSE"] = warehouse.warehouse  # dbt runs in a subprocess and reads it
    yield from dbt.cli(["build", "--vars", json.dumps(dbt_vars)], context=context,
                       target_path=warehouse.dbt_target_path).stream()
