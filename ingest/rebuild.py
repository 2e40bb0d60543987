"""Which UTC days a run rebuilds: its partition window, widened back to every day whose inputs changed.

Bills arrive a day or more after their calls, month-to-date exports are rewritten in place, and
corrections arrive for closed periods. The loader records each UTC day whose rows changed in
`raw.changed_days` (a new file's days; for a file rewritten in place only the days whose lines differ;
a changed config row's days). A run then rebuilds, with its own partition window, every such day that is
at most `lookback` days before the window (FINOPS_REBUILD_LOOKBACK_DAYS, default 45): the dbt window
becomes [earliest such day, window end), one contiguous range, since every model replaces its window's
days. Once the run has built and published them, the days are stamped `built_at`. Changed days older
than the lookback are left pending and named in a warning with the command that rebuilds them.

One state changes with time alone: a bill with no logged call is 'awaiting_calls' for a grace of
FINOPS_RECONCILIATION_GRACE_DAYS (default 3, the dbt var reconciliation_grace_days reads the same variable)
after its day; a day built in that state is rebuilt by the first run past its grace, so that its status
(on fct_reconciliation and on the fct_cost_daily rows) becomes what the rule says.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, timedelta

import duckdb

from ingest.warehouse import ensure_raw_schema

LOOKBACK_ENV = "FINOPS_REBUILD_LOOKBACK_DAYS"
DEFAULT_LOOKBACK_DAYS = 45
GRACE_ENV = "FINOPS_RECONCILIATION_GRACE_DAYS"
DEFAULT_GRACE_DAYS = 3  # dbt_project.yml's reconciliation_grace_days default repeats it (a test checks)


def _days_setting(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        days = int(text)
    except ValueError:
        raise ValueError(f"{name}={text!r}: not a whole number of days") from None
    if days < 0:
        raise ValueError(f"{name}={text!r}: must be 0 or more")
    return days


def lookback_days() -> int:
    return _days_setting(LOOKBACK_ENV, DEFAULT_LOOKBACK_DAYS)


def grace_days() -> int:
    return _days_setting(GRACE_ENV, DEFAULT_GRACE_DAYS)


@dataclass(frozen=True)
class RebuildWindow:
    partition_start: date
    partition_end: date  # exclusive
    start: date  # the window dbt builds and publish syncs: [start, partition_end)
    pulled_in: list[date] = field(default_factory=list)  # changed days before the partition, rebuilt now
    beyond: list[date] = field(default_factory=list)  # changed days older than the lookback, left pending

    @property
    def end(self) -> date:
        return self.partition_end

    def describe(self) -> str:
        text = f"UTC days [{self.start}, {self.end})"
        if self.pulled_in:
            text += (
                f": partition [{self.partition_start}, {self.partition_end}) plus {len(self.pulled_in)} earlier "
                f"day(s) whose calls, bills or config changed ({_days_text(self.pulled_in)})"
            )
        return text

    def warning(self) -> str | None:
        if not self.beyond:
            return None
        return (
            f"{len(self.beyond)} day(s) changed beyond the {lookback_days()}-day rebuild lookback "
            f"({_days_text(self.beyond)}) and were not rebuilt: run "
            f"`finops materialize --start {self.beyond[0]} --end {self.beyond[-1]}` "
            f"(or raise {LOOKBACK_ENV})"
        )


def _days_text(days: list[date]) -> str:
    return ", ".join(str(d) for d in days[:5]) + (f" ... {days[-1]}" if len(days) > 5 else "")


def rebuild_window(
    con: duckdb.DuckDBPyConnection, partition_start: date, partition_end: date, lookback: int | None = None
) -> RebuildWindow:
    """The window a run over [partition_start, partition_end) builds (module docstring)."""
    ensure_raw_schema(con)
    lookback = lookback_days() if lookback is None else lookback
    pending = {
        r[0]
        for r in con.execute(
            "select distinct day from raw.changed_days where built_at is null and day < ?", [partition_start]
        ).fetchall()
    }
    has_states = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'intermediate' "
        "and table_name = 'int_reconciliation_days'"
    ).fetchone()[0]
    if has_states:  # days built while awaiting calls whose grace has run out by this window's last day
        pending |= {
            r[0]
            for r in con.execute(
                "select distinct period_start from intermediate.int_reconciliation_days "
                "where reconciliation_status = 'awaiting_calls' and period_start < ? and period_start < ?",
                [partition_end - timedelta(days=grace_days()), partition_start],
            ).fetchall()
        }
    pending = sorted(pending)
    floor = partition_start - timedelta(days=lookback)
    pulled_in = [d for d in pending if d >= floor]
    beyond = [d for d in pending if d < floor]
    return RebuildWindow(
        partition_start=partition_start,
        partition_end=partition_end,
        start=pulled_in[0] if pulled_in else partition_start,
        pulled_in=pulled_in,
        beyond=beyond,
    )


def mark_built(con: duckdb.DuckDBPyConnection, window: RebuildWindow) -> int:
    """Stamp the window's changed days as rebuilt and published; returns how many rows were stamped."""
    ensure_raw_schema(con)
    return con.execute(
        "update raw.changed_days set built_at = now() where built_at is null and day >= ? and day < ?",
        [window.start, window.end],
    ).fetchone()[0]
