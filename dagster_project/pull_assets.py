"""Pull assets: one per connector (ingest.connectors), upstream of the raw table its files feed, partitioned by
UTC day like every asset. A run over days start..end pulls start minus the lookback (FINOPS_PULL_LOOKBACK_DAYS,
default 3, counting the day itself) .. end, because vendors restate recent days.

A connector is part of the daily job only when it is configured (its credential or URL is set when the code
location loads): `configured_pull_assets()`. A connector without one is disabled with one line in the
log; materialized by hand anyway, its asset says so in one line and records `disabled` (no traceback).
A pull that fails (a refused key, a server still failing after the retries) logs one line and fails its
`pull_succeeded` check, but not the run: the raw assets still load what is landed, the marts still build."""

from datetime import timedelta

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    MaterializeResult,
    asset,
)

from dagster_project.partitions import DAILY
from dagster_project.resources import WarehouseResource
from ingest.connectors import CONNECTORS, Connector, PullError, window
from ingest.connectors.common import lookback_days

OWNERS = ["team:data-platform"]
GROUP = "pull"


def pull_key(name: str) -> AssetKey:
    return AssetKey(["landing", name])


def _pull_asset(connector: Connector) -> AssetsDefinition:
    @asset(
        key=pull_key(connector.name),
        group_name=GROUP,
        partitions_def=DAILY,
        owners=OWNERS,
        backfill_policy=BackfillPolicy.single_run(),
        kinds={"python", "dlt"},
        check_specs=[
            AssetCheckSpec(
                "pull_succeeded",
                asset=pull_key(connector.name),
                description="The pull reached the source and landed every day of its window (or is disabled).",
            )
        ],
        description=(
            f"Fetches {connector.name} into <landing>/{connector.kind}/.../pull/ (one file per UTC day, unchanged "
            "days not rewritten); ingest.connectors."
            f"{connector.name if not connector.name.startswith('focus') else 'focus'}."
        ),
    )
    def _pull(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        reason = connector.disabled_reason()
        if reason:
            context.log.warning(reason)
            return MaterializeResult(
                metadata={"status": "disabled", "reason": reason},
                check_results=[AssetCheckResult(check_name="pull_succeeded", passed=True, metadata={"note": reason})],
            )
        span = context.partition_time_window
        last = span.end.date() - timedelta(days=1)
        days = window(span.start.date() - timedelta(days=lookback_days() - 1), last)
        try:
            report = connector.run(days, warehouse.landing_path)
        except PullError as exc:
            # one line, no secret; the run goes on and loads what is already landed: the failed check says it
            context.log.error(str(exc))
            return MaterializeResult(
                metadata={"status": "failed", "reason": str(exc)},
                check_results=[
                    AssetCheckResult(
                        check_name="pull_succeeded",
                        passed=False,
                        severity=AssetCheckSeverity.ERROR,
                        metadata={"error": str(exc)},
                    )
                ],
            )
        context.log.info(report.summary())
        return MaterializeResult(
            metadata={
                "status": "pulled",
                "days": f"{days[0]} .. {days[-1]}" if report.unit == "row" else "the whole export folder",
                f"{report.unit}s_pulled": report.rows,
                "files_written": len(report.written),
                "files_unchanged": sum(1 for f in report.files if f.status == "unchanged"),
                "seconds": round(report.seconds, 2),
            },
            check_results=[AssetCheckResult(check_name="pull_succeeded", passed=True)],
        )

    return _pull


PULL_ASSETS: dict[str, AssetsDefinition] = {name: _pull_asset(c) for name, c in CONNECTORS.items()}


def pull_keys(kind: str) -> list[AssetKey]:
    """The pull assets whose files feed the raw table of this kind (calls | billing)."""
    return [pull_key(name) for name, c in CONNECTORS.items() if c.kind == kind]


def configured_pull_assets() -> list[AssetKey]:
    """The pull assets whose connector is configured now (the daily job includes these)."""
    return [pull_key(name) for name, c in CONNECTORS.items() if c.disabled_reason() is None]
