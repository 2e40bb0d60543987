"""The marts a Spark build wrote, as DuckDB tables: FINOPS_ENGINE=spark builds the marts with dbt on
Spark (Parquet tables under FINOPS_SPARK_DIR/warehouse, registered in Spark's metastore, which BI
tools read through the Spark Thrift server); this copies the published schemas (`marts`,
`reference`) from those Parquet files into the DuckDB build file, so that everything downstream of
the build works unchanged on both engines: the write-audit-publish of the serving file, `finops
reconcile` / `summary` / `report`, the alert sensor.

A table partitioned by day on Spark (the incremental marts) has its day column in its directory
names, which Spark lists last; the copy puts it back where the model's YAML documents it (first
when undocumented), so both engines give the same column order.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb

SPARK_DIR_ENV = "FINOPS_SPARK_DIR"
PUBLISHED_SCHEMAS = ("marts", "reference")


def spark_dir(warehouse: Path) -> Path:
    """FINOPS_SPARK_DIR, else `<warehouse>.spark/` beside the DuckDB build file (profiles.yml agrees)."""
    value = os.environ.get(SPARK_DIR_ENV)
    return Path(value).resolve() if value else warehouse.with_name(warehouse.name + ".spark")


def _yaml_order(manifest: Path | None) -> dict[tuple[str, str], list[str]]:
    """(schema, model or seed name) -> its documented columns, in YAML order."""
    if manifest is None or not manifest.exists():
        return {}
    nodes = json.loads(manifest.read_text())["nodes"].values()
    return {
        (n["schema"], n["name"]): list(n.get("columns") or {}) for n in nodes if n["resource_type"] in ("model", "seed")
    }


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def mirror_spark_tables(
    con: duckdb.DuckDBPyConnection,
    spark_warehouse: Path,
    manifest: Path | None = None,
    schemas: tuple[str, ...] = PUBLISHED_SCHEMAS,
) -> dict[str, int]:
    """Replace each `<schema>.<table>` in the DuckDB connection by the Parquet table of the same name
    under `spark_warehouse/<schema>.db/`; returns the row count of each table copied."""
    order = _yaml_order(manifest)
    counts: dict[str, int] = {}
    for schema in schemas:
        root = spark_warehouse / f"{schema}.db"
        if not root.is_dir():
            continue
        con.execute(f"create schema if not exists {schema}")
        for table_dir in sorted(p for p in root.iterdir() if p.is_dir()):
            table = table_dir.name
            files = [p for p in table_dir.rglob("*.parquet") if not p.name.startswith((".", "_"))]
            if not files:
                continue
            source = con.read_parquet([str(p) for p in files], hive_partitioning=True, union_by_name=True)
            partition_columns = {d.name.split("=", 1)[0] for d in table_dir.iterdir() if d.is_dir() and "=" in d.name}
            columns = [c for c in source.columns if c not in partition_columns]
            documented = order.get((schema, table), [])
            for column in sorted(partition_columns):  # back where the model's YAML puts it (else first)
                after = documented[documented.index(column) + 1 :] if column in documented else []
                following = [columns.index(c) for c in after if c in columns]
                at = min(following) if following else (0 if not after else len(columns))
                columns.insert(at, column)
            # Spark's timestamps are UTC instants (TIMESTAMP WITH TIME ZONE in Parquet); the marts' are
            # UTC wall-clock TIMESTAMPs (the session time zone is UTC on both engines)
            types = dict(zip(source.columns, source.types, strict=True))
            rel = source.select(
                ", ".join(
                    f"cast({_quote(c)} as timestamp) as {_quote(c)}"
                    if str(types[c]) == "TIMESTAMP WITH TIME ZONE"
                    else _quote(c)
                    for c in columns
                )
            )
            con.execute(f"drop table if exists {schema}.{_quote(table)}")
            rel.create(f"{schema}.{_quote(table)}")
            counts[f"{schema}.{table}"] = con.execute(f"select count(*) from {schema}.{_quote(table)}").fetchone()[0]
    return counts
