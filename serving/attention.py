"""What needs attention first, in one place for `finops summary` and the HTML report: the open alerts
(marts.fct_alerts), the reconciliation periods out of tolerance, the unpriced models, the landing files
the loader did not read (rejected, or every row quarantined; with where they probably go), and the rows
the loaders quarantined, per file with their top reasons.

The marts are read from the connection the caller opened (the serving file, or the build file when
nothing is published yet). raw.quarantine (and raw.files) is not published (serving/publish.py copies marts and
reference only): it is read from the build file, and only when no pipeline run is on it. The run
holds `<warehouse>.lock` from its start to its end (ingest.warehouse.run_lock): while it is held the
build file is not opened at all, since even a read-only DuckDB connection makes a writer's connect
fail. Otherwise the build file is opened read-only for one query, with a shared lock on
`<warehouse>.lock` meanwhile, so a run starting in that instant fails at its start (nothing written),
not midway.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from ingest.loaders import UnloadedFile, unloaded_files

ALERT_WINDOW_DAYS = 30
TOP_REASONS = 3

# The alerts of the last 30 days of data: critical first, then the daily, cap and budget warnings, then
# the hourly warnings (many, on sparse axes), newest first in each.
ALERTS_SQL = f"""
select severity, alert_type, period_start, message
from marts.fct_alerts
where period_start >= (select max(cost_day) - {ALERT_WINDOW_DAYS - 1} from marts.fct_cost_daily)
order by severity = 'critical' desc, alert_type = 'hourly_spend_anomaly', period_start desc, alert_type, message
"""

# Every period (day and month grains) judged out of tolerance: the month rollups first, then the days,
# newest first.
OUT_OF_TOLERANCE_SQL = """
select period_grain, period_start, provider, billing_account, computed_cost, billed_usage_cost, variance_cost,
    variance_pct
from marts.fct_reconciliation
where reconciliation_status = 'out_of_tolerance'
order by period_grain = 'month' desc, period_start desc, provider, billing_account
"""

UNPRICED_SQL = """
select provider, model_served, count(*) as calls
from marts.fct_llm_calls
where not is_priced
group by all
order by calls desc, provider, model_served
"""

# A reason is the loader's message up to its first ': ' (the value that follows differs row by row).
QUARANTINE_SQL = f"""
with reasons as (
    select file_path, regexp_replace(reason, ': .*', '') as reason, count(*) as n
    from raw.quarantine
    group by all
)
select
    file_path,
    sum(n)::bigint as quarantined,
    list(reason order by n desc, reason)[1:{TOP_REASONS}],
    list(n order by n desc, reason)[1:{TOP_REASONS}]
from reasons
group by file_path
order by quarantined desc, file_path
"""


@dataclass(frozen=True)
class Alert:
    severity: str  # critical or warning
    alert_type: str
    period_start: datetime
    message: str

    @property
    def period(self) -> str:
        """The hour of an hourly alert, else the day."""
        return self.period_start.strftime("%Y-%m-%d %H:00" if self.alert_type.startswith("hourly") else "%Y-%m-%d")


@dataclass(frozen=True)
class OutOfTolerance:
    grain: str  # day or month
    period_start: date
    provider: str
    billing_account: str
    computed: Decimal
    billed: Decimal
    variance: Decimal
    variance_pct: Decimal | None

    @property
    def period(self) -> str:
        return self.period_start.strftime("%Y-%m" if self.grain == "month" else "%Y-%m-%d")


@dataclass(frozen=True)
class UnpricedModel:
    provider: str
    model: str
    calls: int


@dataclass(frozen=True)
class QuarantinedFile:
    path: str
    rows: int
    reasons: tuple[tuple[str, int], ...]  # the top reasons with their row counts, most frequent first


@dataclass(frozen=True)
class Quarantine:
    files: tuple[QuarantinedFile, ...]
    unavailable: str | None = None  # why it could not be read (then files is empty)
    not_loaded: tuple[UnloadedFile, ...] = ()  # landing files rejected or with every row quarantined

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)


@dataclass(frozen=True)
class Attention:
    alerts: tuple[Alert, ...]
    out_of_tolerance: tuple[OutOfTolerance, ...]
    unpriced: tuple[UnpricedModel, ...]
    quarantine: Quarantine

    @property
    def critical(self) -> int:
        return sum(a.severity == "critical" for a in self.alerts)


def open_alerts(con: duckdb.DuckDBPyConnection) -> tuple[Alert, ...]:
    return tuple(Alert(*row) for row in con.execute(ALERTS_SQL).fetchall())


def out_of_tolerance(con: duckdb.DuckDBPyConnection) -> tuple[OutOfTolerance, ...]:
    return tuple(OutOfTolerance(*row) for row in con.execute(OUT_OF_TOLERANCE_SQL).fetchall())


def unpriced_models(con: duckdb.DuckDBPyConnection) -> tuple[UnpricedModel, ...]:
    return tuple(UnpricedModel(p, m, int(n)) for p, m, n in con.execute(UNPRICED_SQL).fetchall())


def quarantine_in(con: duckdb.DuckDBPyConnection) -> Quarantine:
    """raw.quarantine and the files not loaded (raw.files) of an open build file (none without those tables)."""
    try:
        rows = con.execute(QUARANTINE_SQL).fetchall()
        not_loaded = tuple(unloaded_files(con))
    except (duckdb.CatalogException, duckdb.BinderException):  # no raw tables yet, or from before raw.files.hint
        return Quarantine(files=())
    return Quarantine(
        files=tuple(
            QuarantinedFile(path=path, rows=int(count), reasons=tuple(zip(reasons, (int(n) for n in counts))))
            for path, count, reasons, counts in rows
        ),
        not_loaded=not_loaded,
    )


def has_quarantine(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() where database_name = current_database() "
            "and schema_name = 'raw' and table_name = 'quarantine'"
        ).fetchone()[0]
    )


@contextmanager
def _no_run_on(warehouse: Path) -> Iterator[bool]:
    """True (and a shared lock on the run lock file, held until exit) when no pipeline run holds it."""
    from ingest.warehouse import run_lock_path

    lock = run_lock_path(warehouse)
    if not lock.exists():  # no run ever started on this warehouse: nothing to wait for
        yield True
        return
    with open(lock) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_quarantine(warehouse: Path) -> Quarantine:
    """raw.quarantine of the build file ``warehouse``, unless a run is on it (then: unavailable)."""
    from ingest.warehouse import connect

    warehouse = Path(warehouse)
    if not warehouse.is_file():
        return Quarantine(files=(), unavailable=f"no build file at {warehouse}")
    busy = Quarantine(files=(), unavailable=f"{warehouse} is in use by a run")
    with _no_run_on(warehouse) as free:
        if not free:
            return busy
        try:
            con = connect(warehouse, read_only=True)
        except duckdb.Error:  # DuckDB's file lock: a writer outside the run lock (a dbt build still finishing)
            return busy
        try:
            return quarantine_in(con)
        finally:
            con.close()


def published_from(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The build file a serving file was published from (its meta.published), if it says."""
    try:
        row = con.execute("select build_path from meta.published order by published_at desc limit 1").fetchone()
    except duckdb.CatalogException:
        return None
    return Path(row[0]) if row and row[0] else None


def attention(con: duckdb.DuckDBPyConnection, quarantine: Quarantine) -> Attention:
    """What needs attention, from the marts of ``con``; ``quarantine`` read by the caller (see
    read_quarantine, quarantine_in)."""
    return Attention(
        alerts=open_alerts(con),
        out_of_tolerance=out_of_tolerance(con),
        unpriced=unpriced_models(con),
        quarantine=quarantine,
    )
