"""The engine-neutral raw layer (ingest/lake.py) and the copy of Spark's marts into DuckDB
(serving/spark_marts.py), without Spark: the Spark builds themselves are tests/spark/ (make test-spark)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from ingest.company_config import ensure_config_tables
from ingest.lake import EMPTY_DAY, engine, export_raw, lake_dir
from ingest.warehouse import connect, ensure_raw_schema
from serving.spark_marts import mirror_spark_tables


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "finops.duckdb")
    ensure_raw_schema(con)
    ensure_config_tables(con)
    yield con
    con.close()


def _add_calls(con, file_id: str, day: str, n: int) -> None:
    con.execute(
        "insert into raw.calls (call_id, started_at, provider, _file_id, _line) "
        "select 'c' || i, cast(? as timestamp) + i * interval 1 second, 'openai', ?, i from range(?) t(i)",
        [day, file_id, n],
    )


def _files(lake: Path) -> dict[str, int]:
    return {
        str(p.relative_to(lake)): p.stat().st_mtime_ns for p in lake.rglob("*.parquet") if not p.name.startswith(".")
    }


def test_export_writes_days_once_and_rewrites_only_changed_days(con, tmp_path):
    lake = tmp_path / "lake"
    _add_calls(con, "f1", "2026-10-01 10:00:00", 3)
    _add_calls(con, "f2", "2026-10-02 23:59:00", 2)
    first = export_raw(con, lake)
    assert first.days_written["calls"] == ["2026-10-01", "2026-10-02"]
    # no bill line at all: one empty file keeps the table's columns readable
    assert (lake / "raw" / "bill_lines" / f"day={EMPTY_DAY}" / "part-0.parquet").exists()
    assert {"config_price_overrides", "files", "quarantine"} <= set(first.tables_written)
    assert "price_catalog" in first.missing  # made by the catalog asset, absent here: skipped
    rows = duckdb.sql(
        f"select day, count(*) from read_parquet('{lake}/raw/calls/*/*.parquet', hive_partitioning = true) "
        "group by 1 order by 1"
    ).fetchall()
    assert [(str(d), n) for d, n in rows] == [("2026-10-01", 3), ("2026-10-02", 2)]
    before = _files(lake)

    assert export_raw(con, lake).describe() == "not in the warehouse yet: price_catalog, model_aliases"
    assert _files(lake) == before

    _add_calls(con, "f3", "2026-10-02 12:00:00", 1)  # a late file for day 2 only
    con.execute("delete from raw.calls where _file_id = 'f1'")  # day 1 withdrawn (its file superseded)
    third = export_raw(con, lake)
    assert third.days_written["calls"] == ["2026-10-02"]
    assert third.days_removed["calls"] == ["2026-10-01"]
    assert not (lake / "raw" / "calls" / "day=2026-10-01").exists()
    assert json.loads((lake / "raw" / "calls" / "_days.json").read_text()).keys() == {"2026-10-02"}
    assert not list(lake.rglob("*.tmp"))  # written aside, renamed into place


def test_engine_and_lake_dir_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("FINOPS_ENGINE", raising=False)
    monkeypatch.delenv("FINOPS_LAKE_DIR", raising=False)
    assert engine() == "duckdb"
    assert lake_dir(tmp_path / "wh" / "finops.duckdb") == tmp_path / "wh" / "lake"
    monkeypatch.setenv("FINOPS_ENGINE", "Spark")
    assert engine() == "spark"
    monkeypatch.setenv("FINOPS_ENGINE", "snowflake")
    with pytest.raises(ValueError, match="FINOPS_ENGINE"):
        engine()
    monkeypatch.setenv("FINOPS_LAKE_DIR", str(tmp_path / "elsewhere"))
    assert lake_dir(tmp_path / "wh" / "finops.duckdb") == tmp_path / "elsewhere"


def test_spark_tables_are_copied_with_the_day_column_back_in_place(tmp_path):
    """A day-partitioned Spark table keeps its day column in directory names (Spark lists it last):
    the copy puts it where the model's YAML has it, and UTC instants become TIMESTAMP."""
    wh = tmp_path / "warehouse"
    src = duckdb.connect()
    for day in ("2026-10-01", "2026-10-02"):
        part = wh / "marts.db" / "fct_x" / f"call_day={day}"
        part.mkdir(parents=True)
        src.execute(
            f"copy (select 'c-{day}' as call_id, cast(1.5 as decimal(38,12)) as cost, "
            f"timestamptz '{day} 10:00:00+00' as started_at) to '{part}/part-0.parquet' (format parquet)"
        )
    (wh / "marts.db" / "fct_empty").mkdir(parents=True)  # a table without files is left out
    manifest = tmp_path / "manifest.json"
    manifest.write_text(
        json.dumps(
            {
                "nodes": {
                    "model.finops.fct_x": {
                        "resource_type": "model",
                        "schema": "marts",
                        "name": "fct_x",
                        "columns": {"call_id": {}, "call_day": {}, "started_at": {}, "cost": {}},
                    }
                }
            }
        )
    )
    con = duckdb.connect()
    assert mirror_spark_tables(con, wh, manifest) == {"marts.fct_x": 2}
    assert con.execute(
        "select column_name, data_type from duckdb_columns() where table_name = 'fct_x' order by column_index"
    ).fetchall() == [
        ("call_id", "VARCHAR"),
        ("call_day", "DATE"),
        ("cost", "DECIMAL(38,12)"),
        ("started_at", "TIMESTAMP"),
    ]
