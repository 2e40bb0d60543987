"""The engine-neutral raw layer: the raw tables as Parquet under FINOPS_LAKE_DIR, which the Spark
target reads as its dbt sources (dbt_project/macros/cross_db/lake_sources.sql).

The loaders keep every rule (quarantine, hashing, idempotency, supersede) and write DuckDB `raw` as
before; after a load, `export_raw` mirrors the raw tables dbt reads into the lake:

- `raw.calls` and `raw.bill_lines` by UTC day: `<lake>/raw/<table>/day=YYYY-MM-DD/part-0.parquet`
  (the day of `started_at` / `ChargePeriodStart`). Only the days whose rows changed are rewritten: a
  day's fingerprint (row count and an order-free hash of its rows' identities `_file_id`, `_line`)
  is kept in `<lake>/raw/<table>/_days.json`; a day whose rows are gone is removed.
- the other tables (price catalog, model aliases, the company config tables, files, quarantine) whole:
  `<lake>/raw/<table>/part-0.parquet`, rewritten when their fingerprint changes.

Every file is written aside (a name starting with `.`, which Spark and DuckDB do not read) and
renamed into place, so a reader sees the old file or the new one, never half of one. A table with no
row at all gets one empty file (its columns), so that Spark can still read the table's schema.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingest.config import REPO_ROOT

LAKE_ENV = "FINOPS_LAKE_DIR"
ENGINE_ENV = "FINOPS_ENGINE"
ENGINES = ("duckdb", "spark")

# raw table -> the timestamp whose UTC day partitions it
DAY_TABLES: dict[str, str] = {"calls": "started_at", "bill_lines": "ChargePeriodStart"}
# the other raw tables dbt reads (dbt_project/models/staging/raw/_raw__sources.yml), written whole
WHOLE_TABLES: tuple[str, ...] = (
    "price_catalog",
    "model_aliases",
    "config_price_overrides",
    "config_model_aliases",
    "config_account_map",
    "config_acknowledged_variances",
    "files",
    "quarantine",
)
EMPTY_DAY = "1970-01-01"  # the partition of the empty file of a day table with no row


def engine() -> str:
    """FINOPS_ENGINE: `duckdb` (default) or `spark`; anything else is an error, not a silent default."""
    value = (os.environ.get(ENGINE_ENV) or "duckdb").strip().lower()
    if value not in ENGINES:
        raise ValueError(f"{ENGINE_ENV}={value!r}: expected one of {', '.join(ENGINES)}")
    return value


def lake_dir(warehouse: Path) -> Path:
    """FINOPS_LAKE_DIR (relative paths from the repository root), else `lake/` beside the warehouse."""
    value = os.environ.get(LAKE_ENV)
    if not value:
        return warehouse.parent / "lake"
    path = Path(value).expanduser()
    return (path if path.is_absolute() else REPO_ROOT / path).resolve()


@dataclass
class ExportReport:
    days_written: dict[str, list[str]] = field(default_factory=dict)
    days_removed: dict[str, list[str]] = field(default_factory=dict)
    tables_written: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def describe(self) -> str:
        parts = [f"{t}: {len(d)} day(s) written" for t, d in self.days_written.items() if d]
        parts += [f"{t}: {len(d)} day(s) removed" for t, d in self.days_removed.items() if d]
        if self.tables_written:
            parts.append(f"rewritten whole: {', '.join(self.tables_written)}")
        if self.missing:
            parts.append(f"not in the warehouse yet: {', '.join(self.missing)}")
        return "; ".join(parts) or "nothing changed"


def _copy(con: duckdb.DuckDBPyConnection, query: str, params: list, dest: Path) -> None:
    """COPY (query) to dest as Parquet, written aside and renamed into place."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp")
    # the path is a parameter-free literal: DuckDB's COPY takes no bound file name; quote it
    target = str(tmp).replace("'", "''")
    con.execute(f"copy ({query}) to '{target}' (format parquet, compression zstd)", params)
    os.replace(tmp, dest)


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)


def export_raw(con: duckdb.DuckDBPyConnection, lake: Path) -> ExportReport:
    """Mirror the raw tables dbt reads into the lake (see the module doc); returns what changed."""
    report = ExportReport()
    for table, ts in DAY_TABLES.items():
        root = lake / "raw" / table
        root.mkdir(parents=True, exist_ok=True)
        state_path = root / "_days.json"
        before = _read_json(state_path)
        now = {
            str(day): f"{rows}:{digest}"
            for day, rows, digest in con.execute(
                f'select cast("{ts}" as date) as day, count(*), sum(hash(_file_id, _line)) '
                f"from raw.{table} group by 1 order by 1"
            ).fetchall()
        }
        written = [d for d, fp in now.items() if before.get(d) != fp or not (root / f"day={d}").is_dir()]
        for day in written:
            _copy(
                con,
                f'select * from raw.{table} where cast("{ts}" as date) = cast(? as date)',
                [day],
                root / f"day={day}" / "part-0.parquet",
            )
        removed = [d for d in before if d not in now]
        empty = root / f"day={EMPTY_DAY}" / "part-0.parquet"
        if not now and not empty.exists():  # no row at all: one empty file keeps the table's columns readable
            _copy(con, f"select * from raw.{table} limit 0", [], empty)
        elif now and EMPTY_DAY not in now and empty.parent.is_dir():
            removed.append(EMPTY_DAY)
        for day in removed:
            shutil.rmtree(root / f"day={day}", ignore_errors=True)
        _write_json(state_path, now)
        report.days_written[table] = written
        report.days_removed[table] = [d for d in removed if d != EMPTY_DAY]
    present = {
        name
        for (name,) in con.execute(
            "select table_name from information_schema.tables where table_catalog = current_database() "
            "and table_schema = 'raw'"
        ).fetchall()
    }
    for table in WHOLE_TABLES:
        if table not in present:  # not made yet (the catalog assets make theirs before any dbt build)
            report.missing.append(table)
            continue
        root = lake / "raw" / table
        root.mkdir(parents=True, exist_ok=True)
        state_path = root / "_table.json"
        rows, digest = con.execute(f"select count(*), sum(hash(t)) from raw.{table} as t").fetchone()
        fingerprint = f"{rows}:{digest}"
        if _read_json(state_path).get("fingerprint") != fingerprint or not (root / "part-0.parquet").exists():
            _copy(con, f"select * from raw.{table}", [], root / "part-0.parquet")
            _write_json(state_path, {"fingerprint": fingerprint})
            report.tables_written.append(table)
    return report
