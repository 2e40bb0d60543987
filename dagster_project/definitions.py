"""Code location: pull assets (connectors), ingest assets, dbt assets, the daily partitioned job and its schedule.

The daily job runs every asset but the pull assets of connectors that are not configured (no credential
or URL in the environment when the code location loads): those stay out of it, disabled with one line each."""

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    Definitions,
    build_schedule_from_partitioned_job,
    define_asset_job,
    in_process_executor,
)

from dagster_project.catalog_assets import raw_model_aliases, raw_price_catalog
from dagster_project.config_assets import raw_company_config
from dagster_project.dbt_assets import finops_dbt_assets
from dagster_project.ingest_assets import raw_bill_lines, raw_calls
from dagster_project.pull_assets import GROUP as PULL_GROUP
from dagster_project.pull_assets import PULL_ASSETS, configured_pull_assets
from dagster_project.resources import WarehouseResource, dbt_resource
from dagster_project.sensors import alert_webhook_sensor
from dagster_project.serving_assets import serving_file

DAILY_JOB = define_asset_job(
    "daily_finops",
    selection=(AssetSelection.all() - AssetSelection.groups(PULL_GROUP))
    | AssetSelection.assets(*configured_pull_assets()),
    executor_def=in_process_executor,  # one writer: steps must not fight over the DuckDB lock
    description=(
        "Pull the configured sources, load new landing files, build the dbt marts for the partition's UTC days, "
        "run all checks."
    ),
)

DAILY_SCHEDULE = build_schedule_from_partitioned_job(
    DAILY_JOB,
    hour_of_day=2,
    minute_of_hour=0,
    default_status=DefaultScheduleStatus.RUNNING,
)

defs = Definitions(
    assets=[
        *PULL_ASSETS.values(),
        raw_calls,
        raw_bill_lines,
        raw_company_config,
        raw_price_catalog,
        raw_model_aliases,
        finops_dbt_assets,
        serving_file,
    ],
    jobs=[DAILY_JOB],
    schedules=[DAILY_SCHEDULE],
    sensors=[alert_webhook_sensor],
    resources={"warehouse": WarehouseResource.from_env(), "dbt": dbt_resource()},
    # every run, the job's and the UI's asset-graph launches: one process, steps one after another (one
    # DuckDB writer; the run lock and the validation worker belong to the run's process)
    executor=in_process_executor,
)
