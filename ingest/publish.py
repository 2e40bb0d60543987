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

Measured with duckdb 2.0.1 writing and 1.1.3 / 1.2.2 / 1.4.1 reading: ``STORAGE_VERSION 'v1.4.0'``
writes storage version 67, which only 1.4+ clients read; ``'v1.0.0'`` writes version 64, which every
1.x client (1.0 onward) reads. Hence the default below.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

PUBLISHED_SCHEMAS: tuple[str, ...] = ("marts", "reference")
META_SCHEMA = "meta"
# Oldest storage format DuckDB 2.x writes: storage version 64, readable by every DuckDB >= 1.0.
STORAGE_VERSION = "v1.0.0"

_BUILD = "build"  # catalog alias of the build database inside the publishing connection


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


def _copy_tables(con: duckdb.DuckDBPyConnection, serving: str, tables: list[tuple[str, str]]) -> None:
    """Create every table in the serving catalog from the build (CREATE TABLE AS), with comments."""
    for schema in sorted({s for s, _ in tables}):
        con.execute(f"create schema if not exists {serving}.{_quote_ident(schema)}")
    for schema, table in tables:
        src = f"{_BUILD}.{_quote_ident(schema)}.{_quote_ident(table)}"
        dst = f"{serving}.{_quote_ident(schema)}.{_quote_ident(table)}"
        con.execute(f"create table {dst} as select * from {src}")
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


def _count(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> int:
    return con.execute(
        f"select count(*) from {catalog}.{_quote_ident(schema)}.{_quote_ident(table)}"
    ).fetchone()[0]


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
) -> PublishResult:
    """Copy the published schemas of the finished build file into ``serving_path``, atomically.

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
        con = duckdb.connect(":memory:")
        con.execute("set TimeZone = 'UTC'")
        step = "attach build"
        con.execute(f"attach ? as {_BUILD} (read_only)", [str(build_path)])
        tables = _published_tables(con, schemas)
        if not any(s == "marts" for s, _ in tables) and "marts" in schemas:
            raise PublishError(step, f"{build_path} has no tables in schema marts: build the marts first")
        step = "attach serving"
        con.execute(f"attach ? as {serving} (storage_version {_quote_literal(storage_version)})", [str(tmp)])

        step = "copy"
        _copy_tables(con, serving, tables)

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
    )


def _cleanup(con: duckdb.DuckDBPyConnection | None, tmp: Path) -> None:
    if con is not None:
        try:
            con.close()
        except duckdb.Error:
            pass
    for path in (tmp, tmp.with_name(tmp.name + ".wal")):
        try:
            path.unlink()
        except FileNotFoundError:
            pass
