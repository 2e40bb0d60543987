"""DuckDB connection and the raw schema, created from ingest.schemas (the one place for it)."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from ingest.schemas import FILE_COLUMNS, QUARANTINE_COLUMNS, TABLES, create_table_sql, raw_table_columns

RAW = "raw"
# Optional cap on DuckDB's memory for the loader's connections (a DuckDB size: '512MB', '2GB'); above it
# DuckDB spills to <warehouse>.tmp/. Unset: DuckDB's default (80% of RAM).
MEMORY_LIMIT_ENV = "FINOPS_DUCKDB_MEMORY_LIMIT"


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    limit = os.environ.get(MEMORY_LIMIT_ENV, "").strip()
    con = duckdb.connect(str(path), read_only=read_only, config={"memory_limit": limit} if limit else {})
    con.execute("set TimeZone = 'UTC'")
    return con


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {RAW}")
    for table, fields in TABLES.items():
        con.execute(create_table_sql(RAW, table, raw_table_columns(fields)))
    con.execute(create_table_sql(RAW, "quarantine", list(QUARANTINE_COLUMNS)))
    con.execute(create_table_sql(RAW, "files", list(FILE_COLUMNS)))
