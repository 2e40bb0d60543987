"""DuckDB connection and the raw schema, created from ingest.schemas (the one place for it)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import duckdb

from ingest.schemas import (
    CHANGED_DAYS_COLUMNS,
    FILE_COLUMNS,
    QUARANTINE_COLUMNS,
    TABLES,
    create_table_sql,
    raw_table_columns,
)

RAW = "raw"
# Cap on DuckDB's memory in every connection of the pipeline (loader, dbt via profiles.yml, publish), a
# DuckDB size ('512MB', '2GB', or '80%' of RAM); above it DuckDB spills to <warehouse>.tmp/. The default
# keeps a run of 30M calls under 4 GB of RSS for the whole process tree (docs/benchmarks.md);
# dbt_project/profiles.yml repeats it (a test checks they agree).
MEMORY_LIMIT_ENV = "FINOPS_DUCKDB_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "2GB"


def dbt_target_dir(warehouse: Path) -> Path:
    """dbt's target and log dir for the runs on a warehouse: `<warehouse>.dbt/`, next to it."""
    return warehouse.with_name(warehouse.name + ".dbt")


def memory_limit() -> str:
    return os.environ.get(MEMORY_LIMIT_ENV, "").strip() or DEFAULT_MEMORY_LIMIT


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only, config={"memory_limit": memory_limit()})
    con.execute("set TimeZone = 'UTC'")
    return con


# The value a column added to a raw table takes in the rows loaded before it existed, when its default
# would be wrong for them. x_ChargeSource replaced a SkuId prefix: lines of vendor usage reports were
# loaded with SkuId 'usage-api:...' before.
BACKFILL: dict[tuple[str, str], str] = {
    (
        "bill_lines",
        "x_ChargeSource",
    ): "case when starts_with(\"SkuId\", 'usage-api:') then 'usage_report' else 'bill' end",
}


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {RAW}")
    for table, fields in TABLES.items():
        con.execute(create_table_sql(RAW, table, raw_table_columns(fields)))
    con.execute(create_table_sql(RAW, "quarantine", list(QUARANTINE_COLUMNS)))
    con.execute(create_table_sql(RAW, "files", list(FILE_COLUMNS)))
    con.execute(create_table_sql(RAW, "changed_days", list(CHANGED_DAYS_COLUMNS)))
    # a warehouse created before a column was added gets it: null in the existing rows of raw.files, the
    # field's default (or its BACKFILL) in the existing rows of a raw data table
    for table, columns in [("files", list(FILE_COLUMNS))] + [(t, raw_table_columns(f)) for t, f in TABLES.items()]:
        have = {
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns "
                "where table_catalog = current_database() and table_schema = ? and table_name = ?",
                [RAW, table],
            ).fetchall()
        }
        for name, duck_type in columns:
            if name in have:
                continue
            con.execute(f'alter table {RAW}.{table} add column "{name}" {duck_type}')
            field = next((f for f in TABLES.get(table, ()) if f.name == name), None)
            fill = BACKFILL.get((table, name)) or (field.default if field else None)
            if fill:
                con.execute(f'update {RAW}.{table} set "{name}" = {fill}')


class RunLockHeld(Exception):
    """Another process is running the pipeline on this warehouse."""

    def __init__(self, lock_path: Path) -> None:
        super().__init__(f"another finops materialize is running (lock {lock_path})")
        self.lock_path = lock_path


def run_lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


_held: dict[Path, tuple[IO[str], int]] = {}  # lock path -> (open lock file, holders in this process)


@contextmanager
def run_lock(warehouse: Path) -> Iterator[Path]:
    """One pipeline run per warehouse: an exclusive, non-blocking `flock` on `<warehouse>.lock` (the
    holder's PID written in it), or RunLockHeld at once. The kernel drops it when the process dies,
    even by SIGKILL, so a crashed run never leaves a stale lock. Re-entrant within a process: the
    `finops materialize` command takes it, then the Dagster run it starts takes it again (a run that
    Dagster launches by itself, from the UI or the schedule, takes it only there)."""
    path = run_lock_path(warehouse)
    if path in _held:
        handle, holders = _held[path]
        _held[path] = (handle, holders + 1)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+")  # noqa: SIM115 - kept open while the lock is held
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise RunLockHeld(path) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        _held[path] = (handle, 1)
    try:
        yield path
    finally:
        handle, holders = _held[path]
        if holders > 1:
            _held[path] = (handle, holders - 1)
        else:
            del _held[path]
            handle.close()  # closing the file releases the lock
