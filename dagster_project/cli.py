"""The `finops` command: demo data, materialize (the Dagster job, in process), reconcile, summary."""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import ExitStack
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from ingest.config import REPO_ROOT, Settings


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a day (YYYY-MM-DD): {text!r}") from exc


def cmd_demo(args: argparse.Namespace) -> int:
    from ingest.demo import generate

    settings = Settings.from_env()
    landing = settings.landing_dir
    if landing.exists() and any(landing.iterdir()) and not args.force:
        print(f"{landing} is not empty; pass --force to write the demo into it anyway", file=sys.stderr)
        return 2
    manifest = generate(landing, start=args.start, days=args.days, calls_per_day=args.calls_per_day, seed=args.seed,
                        formats=args.formats, config_dir=settings.config_dir)
    print(f"demo written to {landing} ({args.formats} formats): {manifest['calls_logged']:,} logged calls over "
          f"{args.days} days from {args.start}, billed usage ${Decimal(manifest['billed_usage_total']):,.2f}")
    return 0


def _run_history_without_fsync() -> None:
    """Dagster stores every event of a run (~850 for a daily run) in SQLite files under DAGSTER_HOME,
    each through a new connection that syncs to disk: 4 s of a daily run on a quiet disk, up to 40 s
    on a busy one. With `synchronous = off` a crash of this process still loses nothing committed;
    only an OS crash or power cut could damage that run history (never the warehouse), which is then
    rebuilt by deleting DAGSTER_HOME/history and DAGSTER_HOME/storage."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not event.contains(Engine, "connect", _sqlite_no_fsync):
        event.listen(Engine, "connect", _sqlite_no_fsync)


def _sqlite_no_fsync(dbapi_connection, _record) -> None:
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("pragma synchronous = off")


def _instance():
    from dagster import DagsterInstance

    _run_history_without_fsync()
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(REPO_ROOT / "data" / "dagster_home")))
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").touch()
    return DagsterInstance.get()


def cmd_materialize(args: argparse.Namespace) -> int:
    from ingest.warehouse import RunLockHeld, run_lock

    warehouse = Settings.from_env().warehouse
    with ExitStack() as held:
        try:
            held.enter_context(run_lock(warehouse))
        except RunLockHeld as exc:
            print(exc, file=sys.stderr)
            return 3
        holder = _warehouse_held(warehouse)
        if holder:
            print(f"the warehouse {warehouse} is held by another process ({holder}): a dbt build of a killed run "
                  "still finishing, or a reader of the build file; wait for it to exit (or stop it), then re-run",
                  file=sys.stderr)
            return 3
        return _materialize(args)


def _warehouse_held(warehouse: Path) -> str | None:
    """DuckDB's own file lock, probed before a run: a process outside this lock (a dbt build orphaned
    by a killed run, a script writing the build file) would make the run fail midway instead."""
    import duckdb

    if not warehouse.exists():
        return None
    try:
        duckdb.connect(str(warehouse)).close()
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            raise
        return str(exc).splitlines()[0]
    return None


def _materialize(args: argparse.Namespace) -> int:
    from ingest.validation import start_worker

    start_worker()  # Great Expectations is set up in a child process while Dagster starts here (~1.6 s)
    from dagster import DagsterInstance  # noqa: F401 - imported for its side effects on logging set-up
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    from dagster_project.definitions import DAILY_JOB, defs
    from dagster_project.partitions import DAILY

    first = date.fromisoformat(DAILY.start.strftime("%Y-%m-%d"))
    yesterday = datetime.now(timezone.utc).date() - timedelta(days=1)
    start = args.start or first
    end = args.end or yesterday
    if start < first:
        print(f"--start {start} is before the first partition {first} (set FINOPS_START_DATE)", file=sys.stderr)
        return 2
    if end < start:
        print(f"--end {end} is before --start {start}", file=sys.stderr)
        return 2
    job = defs.resolve_job_def(DAILY_JOB.name)
    print(f"materializing UTC days {start} .. {end} ({(end - start).days + 1} partitions) in one run", flush=True)
    result = job.execute_in_process(
        instance=_instance(),
        tags={ASSET_PARTITION_RANGE_START_TAG: start.isoformat(), ASSET_PARTITION_RANGE_END_TAG: end.isoformat()},
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        raise_on_error=False,
    )
    if not result.success:
        failed = [e.step_key for e in result.all_events if e.is_step_failure]
        print(f"materialization FAILED (steps: {', '.join(failed) or 'see log above'})", file=sys.stderr)
        return 1
    print("materialization succeeded")
    return 0


def _connect_marts(build: bool = False):
    """The serving file for reading; the build file for auditing (it holds the last run's results even
    when that run's tests failed and nothing was published)."""
    from ingest.warehouse import connect

    settings = Settings.from_env()
    path = settings.warehouse if build or not settings.serving.exists() else settings.serving
    if not path.exists():
        raise SystemExit(f"no warehouse at {path}: run `finops materialize` first")
    return connect(path, read_only=True)


def _print_table(headers: list[str], rows: list[tuple]) -> None:
    text = [[_fmt(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in text)) if text else len(h) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths)))
    for row in text:
        print("  ".join(v.rjust(w) if _numeric(v) else v.ljust(w) for v, w in zip(row, widths)))


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, float):
        return f"{value:.2%}"
    return str(value)


def _numeric(text: str) -> bool:
    return text.replace(",", "").replace(".", "").replace("-", "").replace("%", "").isdigit()


def cmd_reconcile(args: argparse.Namespace) -> int:
    con = _connect_marts(build=True)
    rows = con.execute(
        "select period_start::varchar, provider, billing_account, calls, unpriced_calls, computed_cost, "
        "billed_usage_cost, variance_cost, variance_pct::double, credits_and_adjustments_cost, reconciliation_status "
        "from marts.fct_reconciliation where period_grain = ? order by period_start, provider, billing_account",
        [args.grain],
    ).fetchall()
    _print_table(["period", "provider", "account", "calls", "unpriced", "computed $", "billed $", "variance $",
                  "variance %", "credits $", "status"], rows)
    bad = [r for r in rows if r[-1] == "out_of_tolerance"]
    waiting = sum(1 for r in rows if r[-1] == "awaiting_bill")
    print(f"\n{len(rows)} {args.grain} rows: {len(rows) - len(bad) - waiting} reconciled, "
          f"{len(bad)} out of tolerance, {waiting} awaiting bill")
    gaps = con.execute(
        "select provider, model_key, count(*), sum(total_tokens) from marts.fct_llm_calls where not is_priced "
        "group by all order by 3 desc"
    ).fetchall()
    unattributed = con.execute(
        "select sum(attributed_billed_cost) from marts.fct_cost_daily where cost_kind = 'unattributed_usage'"
    ).fetchone()[0]
    for provider, model, calls, tokens in gaps:
        print(f"part of the gap: {calls:,} calls ({tokens:,} tokens) of {provider}/{model} have no price "
              f"(add it to data/reference/price_overrides.csv)")
    if unattributed:
        print(f"part of the gap: ${unattributed:,.2f} billed with no priced logged call (unattributed)")
    return 1 if bad else 0


def cmd_summary(args: argparse.Namespace) -> int:
    con = _connect_marts()
    total, billed, calls = con.execute(
        "select sum(attributed_cost), sum(attributed_billed_cost), sum(calls) from marts.fct_cost_daily"
    ).fetchone()
    days = con.execute("select min(cost_day)::varchar, max(cost_day)::varchar from marts.fct_cost_daily").fetchone()
    print(f"AI spend {days[0]} .. {days[1]}: ${total:,.2f} attributed over {calls:,} logged calls "
          f"(${billed:,.2f} from bills)\n")
    print("Spend by provider")
    _print_table(["provider", "calls", "list cost $", "attributed $"], con.execute(
        "select provider, sum(calls), sum(list_cost), sum(attributed_cost) from marts.fct_cost_daily "
        "group by 1 order by 4 desc").fetchall())
    print("\nTop features")
    _print_table(["feature", "calls", "attributed $"], con.execute(
        "select feature, sum(calls), sum(attributed_cost) from marts.fct_cost_daily "
        "group by 1 order by 3 desc limit 5").fetchall())
    print("\nReconciliation (month rollup)")
    _print_table(["month", "provider", "account", "computed $", "billed $", "variance %", "status"], con.execute(
        "select strftime(period_start, '%Y-%m'), provider, billing_account, computed_cost, billed_usage_cost, "
        "variance_pct::double, reconciliation_status from marts.fct_reconciliation where period_grain = 'month' "
        "order by 1, 2, 3").fetchall())
    bad_days = con.execute(
        "select count(*) from marts.fct_reconciliation where reconciliation_status = 'out_of_tolerance'").fetchone()[0]
    print(f"\nreconciliation: {'OK, every bill within tolerance' if bad_days == 0 else f'{bad_days} periods OUT OF TOLERANCE'}")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from ingest.publish import PublishError, publish

    settings = Settings.from_env()
    try:
        result = publish(settings.warehouse, settings.serving)
    except PublishError as exc:
        print(f"finops publish: {exc} (the serving file {settings.serving} is unchanged)", file=sys.stderr)
        return 1
    print(f"published {len(result.row_counts)} tables to {result.serving_path} "
          f"({result.bytes:,} bytes, storage {result.storage_version})")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from ingest.report import write_report

    settings = Settings.from_env()
    source = args.source or (settings.serving if settings.serving.exists() else settings.warehouse)
    print(f"report written to {write_report(source, args.out)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="finops", description="AI spend warehouse")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="write a deterministic demo landing dir ($FINOPS_LANDING_DIR)")
    demo.add_argument("--start", type=_day, default=date(2026, 10, 1))
    demo.add_argument("--days", type=int, default=30)
    demo.add_argument("--calls-per-day", type=int, default=3000)
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--formats", choices=["canonical", "real"], default="canonical",
                      help="canonical files, or real formats: LiteLLM / Langfuse / OTel call logs, OpenAI and "
                           "Anthropic cost and usage reports, FOCUS")
    demo.add_argument("--force", action="store_true", help="write even if the landing dir is not empty")
    demo.set_defaults(func=cmd_demo)

    mat = sub.add_parser("materialize", help="run the daily job for a range of UTC days, in process")
    mat.add_argument("--start", type=_day, help="first UTC day (default: first partition)")
    mat.add_argument("--end", type=_day, help="last UTC day, inclusive (default: yesterday)")
    mat.set_defaults(func=cmd_materialize)

    rec = sub.add_parser("reconcile", help="print computed vs billed; exit 1 when out of tolerance")
    rec.add_argument("--grain", choices=["day", "month"], default="day")
    rec.set_defaults(func=cmd_reconcile)

    summ = sub.add_parser("summary", help="spend by provider, top features, reconciliation status")
    summ.set_defaults(func=cmd_summary)

    pub = sub.add_parser("publish", help="copy the marts into the serving file for BI (atomic)")
    pub.set_defaults(func=cmd_publish)

    rep = sub.add_parser("report", help="write a self-contained HTML spend report")
    rep.add_argument("--out", type=Path, default=REPO_ROOT / "data" / "reports" / "finops_report.html")
    rep.add_argument("--source", type=Path, help="warehouse file (default: the serving file, else the build file)")
    rep.set_defaults(func=cmd_report)

    args = parser.parse_args(argv)
    return args.func(args)


def run() -> None:
    """The `finops` command (and `python -m dagster_project.cli`): main(), then exit once output is
    flushed, without the interpreter's teardown: freeing the ~570k objects of Dagster, dbt and Great
    Expectations took ~1.3 s of every run. Everything the commands write is
    closed by then (DuckDB connections, Dagster's SQLite run history commits each event, the run
    lock is the kernel's); after `materialize` only the main thread was left (checked with
    threading.enumerate). An exception from main() exits the usual way."""
    import contextlib
    import logging

    code = main()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader that closed the pipe
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
