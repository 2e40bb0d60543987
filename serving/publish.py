"""Write-audit-publish: copy the finished build warehouse into the serving file that BI tools read.

The build file is written by DuckDB 2.x, whose default storage format DuckDB 1.x clients (most BI
drivers, DBeaver, older Python/JDBC/ODBC clients) cannot open, and a reader holding a DuckDB file
(even read-only) blocks its writer. So readers never touch the build file:

1. write: a new temp file next to the serving path, created with an explicit storage version that
   1.x clients read (``STORAGE_VERSION``), receives the tables of the published schemas (``marts``
   and ``reference``; staging/intermediate views and raw tables stay private) plus
   ``meta.published`` (published_at and the row count of every table);
2. audit: the row count of every copied table is compared with the build;
3. publish: CHECKPOINT, detach, fsync, then ``os.replace(tmp, serving_path)``: atomic on POSIX.
   A reader that has the old serving file open keeps reading the old inode; new readers get the new
   file; nobody sees a half-written file.

Any failure removes the temp file, leaves the previous serving file untouched and raises
:class:`PublishError` naming the step.

Incremental publish (``days`` given, the daily run's partition window): step 1 starts from a file
copy of the previous serving file instead of an empty one. Tables with a UTC-day column
(``DAY_COLUMNS``: the big call-grain and daily marts) get only their changed days replaced: the
window's days, plus every day whose row count differs between build and serving (a day published
by no run yet, or removed). Every other table is replaced whole, and so is a day table whose columns
changed. The audit compares every table's row count, as in a full publish. A daily run then costs a
file copy plus one day's rows, not a re-copy of all history. Without ``days`` (``finops publish``),
or with no usable previous file, the publish is full.

Measured with duckdb 2.0.1 writing and 1.1.3 / 1.2.2 / 1.4.1 reading: ``STORAGE_VERSION 'v1.4.0'``
writes storage version 67, which only 1.4+ clients read; ``'v1.0.0'`` writes version 64, which every
1.x client (1.0 onward) reads. Hence the default below.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from ingest.warehouse import memory_limit

PUBLISHED_SCHEMAS: tuple[str, ...] = ("marts", "reference")
META_SCHEMA = "meta"
# Oldest storage format DuckDB 2.x writes: storage version 64, readable by every DuckDB >= 1.0.
STORAGE_VERSION = "v1.0.0"

_BUILD = "build"  # catalog alias of the build database inside the publishing connection
# A published table with one of these DATE columns is synced by day in an incremental publish
# (x_ChargeDay: the FOCUS export, marts.focus_cost_and_usage).
DAY_COLUMNS: tuple[str, ...] = ("call_day", "cost_day", "x_ChargeDay")


class PublishError(RuntimeError):
    """Publishing failed at ``step``; the previous serving file is untouched."""

    def __init__(self, step: str, message: str) -> None:
        super().__init__(f"publish failed at step '{step}': {message}")
        self.step = step


@dataclass(frozen=True)
class PublishResult:
    build_path: Path
    serving_path: Path
    published_at: datetime
    storage_version: str
    row_counts: dict[str, int] = field(default_factory=dict)  # "schema.table" -> rows
    bytes: int = 0
    seconds: float = 0.0
    incremental: bool = False
    synced_days: dict[str, int] = field(default_factory=dict)  # day-synced table -> days replaced

    @property
    def tables(self) -> list[str]:
        return list(self.row_counts)


def default_serving_path() -> Path:
    """The serving file the project agrees on: ``Settings.serving`` (``$FINOPS_SERVING``, else
    ``serving.duckdb`` next to the build file)."""
    from ingest.config import Settings

    return Settings.from_env().serving


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _published_tables(con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...]) -> list[tuple[str, str]]:
    rows = con.execute(
        "select schema_name, table_name from duckdb_tables() "
        "where database_name = ? and list_contains(?, schema_name) and not temporary "
        "order by schema_name, table_name",
        [_BUILD, list(schemas)],
    ).fetchall()
    return [(s, t) for s, t in rows]


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> list[tuple[str, str]]:
    return [
        tuple(r)
        for r in con.execute(
            "select column_name, data_type from duckdb_columns() where database_name = ? and schema_name = ? "
            "and table_name = ? order by column_index",
            [catalog, schema, table],
        ).fetchall()
    ]


def _copy_comments(con: duckdb.DuckDBPyConnection, serving: str, schema: str, table: str) -> None:
    dst = f"{serving}.{_quote_ident(schema)}.{_quote_ident(table)}"
    comment = con.execute(
        "select comment from duckdb_tables() where database_name = ? and schema_name = ? and table_name = ?",
        [_BUILD, schema, table],
    ).fetchone()
    if comment and comment[0]:
        con.execute(f"comment on table {dst} is {_quote_literal(comment[0])}")
    for column, text in con.execute(
        "select column_name, comment from duckdb_columns() where database_name = ? and schema_name = ? "
        "and table_name = ? and comment is not null and comment <> ''",
        [_BUILD, schema, table],
    ).fetchall():
        con.execute(f"comment on column {dst}.{_quote_ident(column)} is {_quote_literal(text)}")


def _sync_days(con: duckdb.DuckDBPyConnection, src: str, dst: str, day: str, window: tuple[date, date]) -> int:
    """Replace in dst the days of the window and the days whose row count differs from src; returns
    how many days were replaced. Rows without a day (none are expected) make it replace the table."""
    col = _quote_ident(day)
    counts = "select {col} as d, count(*) as n from {table} group by 1"
    changed = [
        d
        for (d,) in con.execute(
            f"with b as ({counts.format(col=col, table=src)}), s as ({counts.format(col=col, table=dst)}) "
            "select coalesce(b.d, s.d) from b full outer join s on b.d is not distinct from s.d "
            "where b.n is distinct from s.n or (coalesce(b.d, s.d) >= ? and coalesce(b.d, s.d) < ?)",
            list(window),
        ).fetchall()
    ]
    if None in changed:
        con.execute(f"create or replace table {dst} as select * from {src}")
        return -1
    if changed:
        con.execute(f"delete from {dst} where {col} in (select unnest(?::date[]))", [changed])
        con.execute(f"insert into {dst} select * from {src} where {col} in (select unnest(?::date[]))", [changed])
    return len(changed)


def _copy_tables(
    con: duckdb.DuckDBPyConnection, serving: str, tables: list[tuple[str, str]], window: tuple[date, date] | None
) -> dict[str, int]:
    """Make every published table of the build exist, equal, in the serving catalog: with a window,
    day tables of unchanged shape are synced by day, the rest replaced (CREATE TABLE AS)."""
    synced: dict[str, int] = {}
    for schema in sorted({s for s, _ in tables}):
        con.execute(f"create schema if not exists {serving}.{_quote_ident(schema)}")
    wanted = set(tables)
    for schema, table in con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = ? and not temporary",
        [serving],
    ).fetchall():
        if (schema, table) not in wanted:  # gone from the build (or meta): not published any more
            con.execute(f"drop table {serving}.{_quote_ident(schema)}.{_quote_ident(table)}")
    for schema, table in tables:
        src = f"{_BUILD}.{_quote_ident(schema)}.{_quote_ident(table)}"
        dst = f"{serving}.{_quote_ident(schema)}.{_quote_ident(table)}"
        columns = _columns(con, _BUILD, schema, table)
        day = next((name for name, kind in columns if name in DAY_COLUMNS and kind == "DATE"), None)
        if window and day and _columns(con, serving, schema, table) == columns:
            synced[f"{schema}.{table}"] = _sync_days(con, src, dst, day, window)
        else:
            con.execute(f"create or replace table {dst} as select * from {src}")
        _copy_comments(con, serving, schema, table)
    return synced


def _count(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> int:
    return con.execute(f"select count(*) from {catalog}.{_quote_ident(schema)}.{_quote_ident(table)}").fetchone()[0]


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # not supported on this platform / filesystem
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def publish(
    build_path: Path,
    serving_path: Path,
    *,
    schemas: tuple[str, ...] = PUBLISHED_SCHEMAS,
    storage_version: str = STORAGE_VERSION,
    days: tuple[date, date] | None = None,
) -> PublishResult:
    """Copy the published schemas of the finished build file into ``serving_path``, atomically.

    ``days`` = (first, end exclusive) UTC days the run rebuilt: publish incrementally (module doc).

    The build file is attached read-only and detached before returning, so no lock is left behind;
    it must not be open for writing by another process (DuckDB: one writer, or many readers).
    """
    started = time.monotonic()
    build_path = Path(build_path).resolve()
    serving_path = Path(serving_path).resolve()
    if build_path == serving_path:
        raise PublishError("prepare", f"build and serving path are the same file: {build_path}")
    if not build_path.is_file():
        raise PublishError("prepare", f"no build warehouse at {build_path}")
    try:
        serving_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PublishError("prepare", f"cannot create {serving_path.parent}: {exc}") from exc

    tmp = serving_path.with_name(f".{serving_path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    serving = "serving_tmp"
    published_at = datetime.now(UTC)
    step = "connect"
    con: duckdb.DuckDBPyConnection | None = None
    try:
        con = duckdb.connect(":memory:", config={"memory_limit": memory_limit()})
        con.execute("set TimeZone = 'UTC'")
        step = "attach build"
        con.execute(f"attach ? as {_BUILD} (read_only)", [str(build_path)])
        tables = _published_tables(con, schemas)
        if not any(s == "marts" for s, _ in tables) and "marts" in schemas:
            raise PublishError(step, f"{build_path} has no tables in schema marts: build the marts first")
        incremental = days is not None and _previous_is_usable(serving_path, storage_version)
        if incremental:
            step = "copy previous"
            shutil.copyfile(serving_path, tmp)
            step = "attach serving"
            con.execute(f"attach ? as {serving}", [str(tmp)])
            con.execute(f"drop schema if exists {serving}.{META_SCHEMA} cascade")
        else:
            step = "attach serving"
            con.execute(f"attach ? as {serving} (storage_version {_quote_literal(storage_version)})", [str(tmp)])

        step = "copy"
        synced = _copy_tables(con, serving, tables, days if incremental else None)

        step = "audit"
        counts: dict[str, int] = {}
        for schema, table in tables:
            built = _count(con, _BUILD, schema, table)
            copied = _count(con, serving, schema, table)
            if built != copied:
                raise PublishError(step, f"{schema}.{table}: {copied} rows copied, {built} in the build")
            counts[f"{schema}.{table}"] = copied

        step = "meta"
        con.execute(f"create schema {serving}.{META_SCHEMA}")
        con.execute(
            f"create table {serving}.{META_SCHEMA}.published (published_at timestamptz not null, "
            "schema_name varchar not null, table_name varchar not null, row_count bigint not null, "
            "build_path varchar not null, storage_version varchar not null, duckdb_version varchar not null)"
        )
        version = duckdb.__version__
        for name, rows in counts.items():
            schema, table = name.split(".", 1)
            con.execute(
                f"insert into {serving}.{META_SCHEMA}.published values (?, ?, ?, ?, ?, ?, ?)",
                [published_at, schema, table, rows, str(build_path), storage_version, version],
            )

        step = "checkpoint"
        con.execute(f"checkpoint {serving}")
        step = "close"
        con.execute(f"detach {serving}")
        con.execute(f"detach {_BUILD}")
        con.close()
        con = None
        wal = tmp.with_name(tmp.name + ".wal")
        if wal.exists():
            raise PublishError(step, f"{wal} left behind after checkpoint")

        step = "fsync"
        _fsync_file(tmp)
        step = "replace"
        os.replace(tmp, serving_path)
        _fsync_dir(serving_path.parent)
    except PublishError:
        _cleanup(con, tmp)
        raise
    except (duckdb.Error, OSError) as exc:
        _cleanup(con, tmp)
        hint = ""
        if "lock" in str(exc).lower():
            hint = " (another process holds the build file for writing: publish after the build finished)"
        raise PublishError(step, f"{type(exc).__name__}: {exc}{hint}") from exc
    except BaseException:
        _cleanup(con, tmp)
        raise

    return PublishResult(
        build_path=build_path,
        serving_path=serving_path,
        published_at=published_at,
        storage_version=storage_version,
        row_counts=counts,
        bytes=serving_path.stat().st_size,
        seconds=time.monotonic() - started,
        incremental=incremental,
        synced_days=synced,
    )


def _previous_is_usable(serving_path: Path, storage_version: str) -> bool:
    """A previous serving file written by a publish with the same storage version (else: full)."""
    if not serving_path.is_file():
        return False
    try:
        with duckdb.connect(str(serving_path), read_only=True) as con:
            found = con.execute(f"select distinct storage_version from {META_SCHEMA}.published").fetchall()
    except duckdb.Error:
        return False
    return found == [(storage_version,)]


def _cleanup(con: duckdb.DuckDBPyConnection | None, tmp: Path) -> None:
    if con is not None:
        with contextlib.suppress(duckdb.Error):
            con.close()
    for path in (tmp, tmp.with_name(tmp.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
