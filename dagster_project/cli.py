"""The `finops` command: demo data, materialize (the Dagster job, in process), reconcile, summary."""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from ingest.config import REPO_ROOT, Settings

# `finops materialize` exit codes (docs/operations.md)
EXIT_OK = 0
EXIT_FAILED = 1  # a step failed (an integrity test, a load error): nothing was published
EXIT_USAGE = 2
EXIT_LOCKED = 3  # another run holds the warehouse
EXIT_OUT_OF_TOLERANCE = 4  # built and published; some reconciliation period is out of tolerance
EXIT_FILES_NOT_LOADED = 5  # built and published; some landing file was rejected or had every row quarantined


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a day (YYYY-MM-DD): {text!r}") from exc


def cmd_demo(args: argparse.Namespace) -> int:
    from demo.generate import generate

    settings = Settings.from_env()
    landing = settings.landing_dir
    if landing.exists() and any(landing.iterdir()) and not args.force:
        print(f"{landing} is not empty; pass --force to write the demo into it anyway", file=sys.stderr)
        return 2
    manifest = generate(
        landing,
        start=args.start,
        days=args.days,
        calls_per_day=args.calls_per_day,
        seed=args.seed,
        formats=args.formats,
        config_dir=settings.config_dir,
    )
    print(
        f"demo written to {landing} ({args.formats} formats): {manifest['calls_logged']:,} logged calls over "
        f"{args.days} days from {args.start}, billed usage ${Decimal(manifest['billed_usage_total']):,.2f}"
    )
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


# Written into a DAGSTER_HOME whose dagster.yaml is missing or empty: Dagster's usage statistics and their
# banner (printed on every first run) are off; a dagster.yaml of your own is never touched.
DAGSTER_YAML = "# written by finops; Dagster instance settings: https://docs.dagster.io\ntelemetry:\n  enabled: false\n"


def _instance():
    from dagster import DagsterInstance

    _run_history_without_fsync()
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(REPO_ROOT / "data" / "dagster_home")))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or not config.read_text().strip():  # the project's own (empty) instance config
        config.write_text(DAGSTER_YAML)
    return DagsterInstance.get()


def cmd_materialize(args: argparse.Namespace) -> int:
    from ingest.warehouse import RunLockHeld, run_lock

    settings = Settings.from_env()
    if not settings.landing_dir.is_dir():
        print(
            f"FINOPS_LANDING_DIR={settings.landing_dir} does not exist: set it to the folder that holds calls/ "
            "and billing/ (`finops demo` writes a demo there)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    warehouse = settings.warehouse
    with ExitStack() as held:
        try:
            held.enter_context(run_lock(warehouse))
        except RunLockHeld as exc:
            print(exc, file=sys.stderr)
            return EXIT_LOCKED
        holder = _warehouse_held(warehouse)
        if holder:
            print(
                f"the warehouse {warehouse} is held by another process ({holder}): a dbt build of a killed run "
                "still finishing, or a reader of the build file; wait for it to exit (or stop it), then re-run",
                file=sys.stderr,
            )
            return EXIT_LOCKED
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
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    start = args.start or first
    end = args.end or yesterday
    if start < first:
        print(f"--start {start} is before the first partition {first} (set FINOPS_START_DATE)", file=sys.stderr)
        return EXIT_USAGE
    if end < start and args.end is None:
        print(f"--start {start} is after yesterday ({yesterday}, UTC): a day is built once it is over", file=sys.stderr)
        return EXIT_USAGE
    if end < start:
        print(f"--end {end} is before --start {start}", file=sys.stderr)
        return EXIT_USAGE
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
        return EXIT_FAILED
    unloaded = _unloaded_files(Settings.from_env().warehouse)
    if unloaded:
        print(
            f"{len(unloaded)} landing file(s) NOT LOADED (the other files were; raw.files has them, status "
            "'rejected' or every row in raw.quarantine):",
            file=sys.stderr,
        )
        for f in unloaded[:10]:
            print(f"  {f.path}: {f.problem}" + (f"; {f.hint}" if f.hint else ""), file=sys.stderr)
    out = _out_of_tolerance(Settings.from_env().warehouse)
    if out:
        print(
            f"materialization succeeded and was published, but {len(out)} reconciliation period(s) are OUT OF "
            "TOLERANCE (run `finops reconcile`; acknowledge an explained variance in the config dir's "
            "acknowledged_variances.csv):",
            file=sys.stderr,
        )
        for grain, day, provider, account, pct in out[:10]:
            print(f"  {grain} {day} {provider}/{account}: variance {pct:.2%}", file=sys.stderr)
        return EXIT_OUT_OF_TOLERANCE
    if unloaded:
        return EXIT_FILES_NOT_LOADED
    print("materialization succeeded")
    return EXIT_OK


def _unloaded_files(warehouse: Path) -> list:
    from ingest.loaders import unloaded_files
    from ingest.warehouse import connect

    con = connect(warehouse, read_only=True)
    try:
        return unloaded_files(con)
    finally:
        con.close()


def _out_of_tolerance(warehouse: Path) -> list[tuple]:
    from ingest.warehouse import connect

    con = connect(warehouse, read_only=True)
    try:
        return con.execute(
            "select period_grain, period_start::varchar, provider, billing_account, coalesce(variance_pct, 0)::double "
            "from marts.fct_reconciliation where reconciliation_status = 'out_of_tolerance' "
            "order by period_start desc, period_grain, provider, billing_account"
        ).fetchall()
    finally:
        con.close()


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
        # a month prints as YYYY-MM, as in `finops summary`; a day as YYYY-MM-DD
        "select case period_grain when 'month' then strftime(period_start, '%Y-%m') else period_start::varchar end, "
        "provider, billing_account, calls, unpriced_calls, computed_cost, "
        "billed_usage_cost, variance_cost, variance_pct::double, credits_and_adjustments_cost, allocated_at, "
        "reconciliation_status from marts.fct_reconciliation where period_grain = ? "
        "order by period_start, provider, billing_account",
        [args.grain],
    ).fetchall()
    _print_table(
        [
            "period",
            "provider",
            "account",
            "calls",
            "unpriced",
            "computed $",
            "billed $",
            "variance $",
            "variance %",
            "credits $",
            "allocated at",
            "status",
        ],
        rows,
    )
    counts = {
        status: sum(1 for r in rows if r[-1] == status)
        for status in ("reconciled", "acknowledged", "out_of_tolerance", "awaiting_bill", "awaiting_calls", "not_built")
    }
    print(
        f"\n{len(rows)} {args.grain} rows: " + ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in counts.items() if n)
    )
    fallback = con.execute(
        "select allocated_at, count(*), sum(fallback_allocated_cost) from marts.fct_reconciliation "
        "where period_grain = 'day' and fallback_allocated_cost <> 0 group by 1 order by 1"
    ).fetchall()
    for allocated_at, periods, amount in fallback:
        print(
            f"allocated at a coarser grain than the bill line: ${amount:,.2f} over {periods} period(s), "
            f"at most {allocated_at.replace('_', ' ')}"
            + (
                " (logs without the vendor account, or accounts the logs "
                "and the bill do not share: reconciled per provider x day)"
                if allocated_at == "provider_day"
                else ""
            )
        )
    gaps = con.execute(
        "select provider, model_key, count(*), sum(total_tokens) from marts.fct_llm_calls where not is_priced "
        "group by all order by 3 desc"
    ).fetchall()
    unattributed = con.execute(
        "select sum(attributed_billed_cost) from marts.fct_cost_daily where cost_kind = 'unattributed_usage'"
    ).fetchone()[0]
    config_dir = Settings.from_env().config_dir
    for provider, model, calls, tokens in gaps:
        print(
            f"part of the gap: {calls:,} calls ({tokens:,} tokens) of {provider}/{model} have no price "
            f"(add it to {config_dir / 'price_overrides.csv'})"
        )
    if unattributed:
        print(f"part of the gap: ${unattributed:,.2f} billed with no logged call on its provider-day (unattributed)")
    for hint in negotiated_rate_hints(con, config_dir):
        print(hint)
    return 1 if counts["out_of_tolerance"] else 0


# A provider billed this steadily off list (same sign, spread of daily variance_pct at most NEGOTIATED_SPREAD)
# on at least NEGOTIATED_MIN_DAYS days is named as a likely negotiated rate.
NEGOTIATED_MIN_DAYS = 7
NEGOTIATED_SPREAD = 0.03


def negotiated_rate_hints(con, config_dir: Path) -> list[str]:
    """A steady gap between bill and list (e.g. billed 20% under list every day) is most often a negotiated
    rate: name it, with the price_overrides.csv lines that would make list cost match the bill."""
    hints = []
    providers = con.execute(
        "select provider, count(*), min(variance_pct)::double, max(variance_pct)::double, "
        "sum(billed_usage_cost), sum(computed_cost), min(period_start)::varchar "
        "from marts.fct_reconciliation where period_grain = 'day' and billed_usage_cost > 0 and computed_cost > 0 "
        "and reconciliation_status in ('out_of_tolerance', 'acknowledged') group by 1 order by 1"
    ).fetchall()
    for provider, days, low, high, billed, computed, first in providers:
        if days < NEGOTIATED_MIN_DAYS or high - low > NEGOTIATED_SPREAD or (low < 0 < high):
            continue
        ratio = billed / computed
        lines = con.execute(
            "select model, token_bucket, service_tier, sum(list_cost), sum(tokens) "
            "from intermediate.int_cost_daily_buckets "
            "where provider = ? and tokens > 0 and list_cost > 0 group by all order by 1, 2, 3",
            [provider],
        ).fetchall()
        hints.append(
            f"likely a negotiated rate: {provider} billed {abs(1 - ratio):.1%} {'under' if ratio < 1 else 'over'} "
            f"list on {days} days; if it is contracted, add these lines to {config_dir / 'price_overrides.csv'} "
            "(or acknowledge it in acknowledged_variances.csv):"
        )
        for model, bucket, tier, cost, tokens in lines:
            price = (cost * 1_000_000 / tokens * ratio).quantize(Decimal("0.000001"))
            hints.append(
                f"  {provider},{model},{bucket},{tier},{price},{first},,negotiated rate inferred from the bill"
            )
    return hints


ALERTS_SHOWN = 10


def cmd_summary(args: argparse.Namespace) -> int:
    """What needs attention first (alerts, reconciliation, unpriced models, quarantined rows), then spend."""
    con = _connect_marts()
    total, billed, calls = con.execute(
        "select sum(attributed_cost), sum(attributed_billed_cost), sum(calls) from marts.fct_cost_daily"
    ).fetchone()
    if not calls:
        settings = Settings.from_env()
        print(
            f"no data yet: the warehouse {settings.warehouse} holds no logged call. Run `finops materialize`; "
            f"if it did, check that FINOPS_LANDING_DIR ({settings.landing_dir}) holds calls/ and billing/."
        )
        return EXIT_OK
    days = con.execute("select min(cost_day)::varchar, max(cost_day)::varchar from marts.fct_cost_daily").fetchone()
    print(
        f"AI spend {days[0]} .. {days[1]}: ${total:,.2f} attributed over {calls:,} logged calls "
        f"(${billed:,.2f} from bills)\n"
    )
    _print_attention(con)
    print("\nSpend by provider")
    _print_table(
        ["provider", "calls", "list cost $", "attributed $"],
        con.execute(
            "select provider, sum(calls), sum(list_cost), sum(attributed_cost) from marts.fct_cost_daily "
            "group by 1 order by 4 desc"
        ).fetchall(),
    )
    print("\nTop features")
    _print_table(
        ["feature", "calls", "attributed $"],
        con.execute(
            "select feature, sum(calls), sum(attributed_cost) from marts.fct_cost_daily "
            "group by 1 order by 3 desc limit 5"
        ).fetchall(),
    )
    print("\nReconciliation (month rollup)")
    _print_table(
        ["month", "provider", "account", "computed $", "billed $", "variance %", "status"],
        con.execute(
            "select strftime(period_start, '%Y-%m'), provider, billing_account, computed_cost, billed_usage_cost, "
            "variance_pct::double, reconciliation_status from marts.fct_reconciliation where period_grain = 'month' "
            "order by 1, 2, 3"
        ).fetchall(),
    )
    return EXIT_OK


def _print_attention(con) -> None:
    """Alerts of the last 30 days of data, then the data-quality findings (serving/attention.py: critical
    alerts first, then daily, cap and budget warnings, then hourly warnings, newest first in each)."""
    from serving.attention import attention, read_quarantine

    found = attention(con, read_quarantine(Settings.from_env().warehouse))
    alerts = found.alerts
    print(f"Open alerts, last 30 days of data: {len(alerts)} ({found.critical} critical) - marts.fct_alerts")
    for alert in alerts[:ALERTS_SHOWN]:
        print(f"  {alert.severity.upper():8} {alert.message}")
    if len(alerts) > ALERTS_SHOWN:
        print(f"  ... and {len(alerts) - ALERTS_SHOWN} more: select * from marts.fct_alerts order by period_start desc")
    print("\nData quality")
    bad = len(found.out_of_tolerance)
    print(
        "  reconciliation: OK, every bill within tolerance"
        if bad == 0
        else f"  reconciliation: {bad} period(s) OUT OF TOLERANCE (finops reconcile)"
    )
    if found.unpriced:
        models = ", ".join(f"{u.provider}/{u.model} ({u.calls:,} calls)" for u in found.unpriced[:5])
        print(f"  unpriced models: {models} - add a price to price_overrides.csv in the config dir")
    else:
        print("  unpriced models: none")
    for line in _quarantine_lines(found.quarantine):
        print(f"  {line}")


def _quarantine_lines(quarantine) -> list[str]:
    """Landing files not loaded (with where they go), then quarantined rows per file with their top reasons
    (the build file's raw.files and raw.quarantine)."""
    if quarantine.unavailable:
        return [f"quarantined rows: not readable now ({quarantine.unavailable})"]
    lines = [f"not loaded: {f.path}: {f.problem}" + (f"; {f.hint}" if f.hint else "") for f in quarantine.not_loaded]
    return lines + _quarantined_rows(quarantine)


def _quarantined_rows(quarantine) -> list[str]:
    if not quarantine.files:
        return ["quarantined rows: none"]
    files = quarantine.files
    lines = [f"quarantined rows: {quarantine.rows:,} in {len(files)} file(s) - raw.quarantine"]
    for f in files[:5]:
        lines.append(f"  {f.path}: {f.rows:,} row(s), {'; '.join(reason for reason, _ in f.reasons)}")
    return lines


def cmd_publish(args: argparse.Namespace) -> int:
    from serving.publish import PublishError, publish

    settings = Settings.from_env()
    try:
        result = publish(settings.warehouse, settings.serving)
    except PublishError as exc:
        print(f"finops publish: {exc} (the serving file {settings.serving} is unchanged)", file=sys.stderr)
        return 1
    print(
        f"published {len(result.row_counts)} tables to {result.serving_path} "
        f"({result.bytes:,} bytes, storage {result.storage_version})"
    )
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from serving.report import write_report

    settings = Settings.from_env()
    source = args.source or (settings.serving if settings.serving.exists() else settings.warehouse)
    out = args.out or settings.warehouse.parent / "reports" / "finops_report.html"
    print(f"report written to {write_report(source, out)}")
    return 0


def _month(text: str) -> str:
    from serving.export import parse_month

    try:
        parse_month(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return text


def cmd_export_focus(args: argparse.Namespace) -> int:
    """The attributed cost as FOCUS 1.3 Parquet and CSV files (serving.export, docs/focus_export.md)."""
    from serving.export import ExportError, export_focus

    settings = Settings.from_env()
    out = args.out or settings.warehouse.parent / "exports" / "focus"
    try:
        result = export_focus(settings.serving, out, args.month)
    except ExportError as exc:
        print(f"finops export focus: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(
        f"FOCUS 1.3 export of {result.month or 'every month'}: {result.rows:,} rows, "
        f"BilledCost {result.billed_cost:,.2f}"
    )
    for f in result.files:
        print(f"  {f.path}")
    return EXIT_OK


def cmd_pull(args: argparse.Namespace) -> int:
    """Fetch a source (or every configured one) into the landing dir. A connector without its credential is
    disabled with one line; a failed pull says why in one line (exit 1), never with the secret."""
    from ingest.connectors import CONNECTORS, PullError, window

    settings = Settings.from_env()
    try:
        days = window(args.start, args.end)
    except ValueError as exc:
        print(f"finops pull: {exc}", file=sys.stderr)
        return EXIT_USAGE
    names = list(CONNECTORS) if args.source == "all" else [args.source]
    failed = pulled = 0
    for name in names:
        connector = CONNECTORS[name]
        reason = connector.disabled_reason()
        if reason:
            print(reason, file=sys.stderr)
            if args.source != "all":
                return EXIT_USAGE
            continue
        try:
            report = connector.run(days, settings.landing_dir)
        except PullError as exc:
            print(f"finops pull: {exc}", file=sys.stderr)
            failed += 1
            continue
        pulled += 1
        span = f"UTC days {days[0]} .. {days[-1]}, " if report.unit == "row" else ""
        print(f"{report.summary()} ({span}into {settings.landing_dir})")
    if args.source == "all" and not pulled and not failed:
        print("finops pull: no connector is configured (see README 'Pulling from the sources')", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_FAILED if failed else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="finops", description="AI spend warehouse")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="write a deterministic demo landing dir ($FINOPS_LANDING_DIR)")
    demo.add_argument("--start", type=_day, default=date(2026, 10, 1))
    demo.add_argument("--days", type=int, default=30)
    demo.add_argument("--calls-per-day", type=int, default=3000)
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument(
        "--formats",
        choices=["canonical", "real"],
        default="canonical",
        help=(
            "canonical files, or real formats: LiteLLM / Langfuse / OTel call logs, OpenAI and "
            "Anthropic cost and usage reports, FOCUS"
        ),
    )
    demo.add_argument("--force", action="store_true", help="write even if the landing dir is not empty")
    demo.set_defaults(func=cmd_demo)

    mat = sub.add_parser("materialize", help="run the daily job for a range of UTC days, in process")
    mat.add_argument("--start", type=_day, help="first UTC day (default: first partition)")
    mat.add_argument("--end", type=_day, help="last UTC day, inclusive (default: yesterday)")
    mat.set_defaults(func=cmd_materialize)

    from ingest.connectors import CONNECTORS

    pull = sub.add_parser(
        "pull",
        help="fetch a source's logs or bills into the landing dir (default: the last FINOPS_PULL_LOOKBACK_DAYS days)",
    )
    pull.add_argument("source", choices=[*CONNECTORS, "all"])
    pull.add_argument("--start", type=_day, help="first UTC day (default: --end minus the lookback, 3 days in all)")
    pull.add_argument("--end", type=_day, help="last UTC day, inclusive (default: yesterday)")
    pull.set_defaults(func=cmd_pull)

    rec = sub.add_parser("reconcile", help="print computed vs billed; exit 1 when out of tolerance")
    rec.add_argument("--grain", choices=["day", "month"], default="day")
    rec.set_defaults(func=cmd_reconcile)

    summ = sub.add_parser("summary", help="spend by provider, top features, reconciliation status")
    summ.set_defaults(func=cmd_summary)

    pub = sub.add_parser("publish", help="copy the marts into the serving file for BI (atomic)")
    pub.set_defaults(func=cmd_publish)

    rep = sub.add_parser("report", help="write a self-contained HTML spend report")
    rep.add_argument("--out", type=Path, help="HTML file (default: reports/finops_report.html beside the warehouse)")
    rep.add_argument("--source", type=Path, help="warehouse file (default: the serving file, else the build file)")
    rep.set_defaults(func=cmd_report)

    exp = sub.add_parser("export", help="export the attributed cost in a standard format")
    exp_sub = exp.add_subparsers(dest="export_format", required=True)
    focus = exp_sub.add_parser(
        "focus", help="FOCUS 1.3 Cost and Usage files (Parquet and CSV) of the attributed cost, from the serving file"
    )
    focus.add_argument("--month", type=_month, help="YYYY-MM: one billing month (default: every month)")
    focus.add_argument("--out", type=Path, help="directory (default: exports/focus/ beside the warehouse)")
    focus.set_defaults(func=cmd_export_focus)

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
