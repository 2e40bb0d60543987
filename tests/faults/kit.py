"""Fault-injection helpers: landing files built by hand and the ledger check every scenario ends with
(nothing lost: every row read is either loaded or quarantined, and raw.files agrees with what is
really in raw.calls / raw.bill_lines / raw.quarantine)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb

from ingest.loaders import LoadReport
from ingest.schemas import BILL_FIELDS

GOOD_CALL = {
    "call_id": "c1",
    "started_at": "2026-10-01T12:00:00Z",
    "provider": "openai",
    "billing_account": "proj_prod",
    "model_requested": "gpt-4o-mini",
    "input_uncached_tokens": 1000,
    "output_tokens": 100,
}
BILL_HEADER = [f.name for f in BILL_FIELDS]


def call(**overrides) -> dict:
    return {**GOOD_CALL, **overrides}


def calls_text(records: list[dict | str]) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def write_calls(path: Path, records: list[dict | str]) -> Path:
    return write(path, calls_text(records))


def bill_line(**values: str) -> dict[str, str]:
    """A FOCUS usage line for openai/proj_prod on 2026-10-01 with the given overrides."""
    base = {
        "ChargePeriodStart": "2026-10-01T00:00:00Z",
        "ChargePeriodEnd": "2026-10-02T00:00:00Z",
        "ProviderName": "openai",
        "BillingAccountId": "org-demo",
        "SubAccountId": "proj_prod",
        "ChargeCategory": "Usage",
        "ChargeClass": "",
        "ChargeDescription": "gpt-4o-mini input tokens",
        "SkuId": "gpt-4o-mini:input_uncached:standard",
        "ConsumedQuantity": "1000",
        "ConsumedUnit": "Tokens",
        "BilledCost": "1.50",
        "EffectiveCost": "1.50",
        "ListCost": "1.50",
        "BillingCurrency": "USD",
        "x_Model": "gpt-4o-mini",
        "x_TokenBucket": "input_uncached",
        "x_ServiceTier": "standard",
    }
    return {**base, **values}


def bill_csv(rows: list[dict[str, str]], header: list[str] | None = None) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header or BILL_HEADER, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def ledger(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(path, status, rows read, loaded, quarantined) per raw.files row, ordered by path."""
    return con.execute(
        "select file_path, status, rows_read, rows_loaded, rows_quarantined from raw.files "
        "order by file_path, loaded_at"
    ).fetchall()


def assert_nothing_lost(con: duckdb.DuckDBPyConnection, report: LoadReport | None = None) -> None:
    """rows read = rows loaded + rows quarantined, per file, in the report and in raw.files; and raw.files
    is the truth about the raw tables: each loaded file's rows are in raw.<table> and raw.quarantine
    exactly as counted, and no raw row belongs to a file that is not (or no longer) loaded."""
    if report is not None:
        for f in report.files:
            assert f.rows_read == f.rows_loaded + f.rows_quarantined, f
    rows = con.execute("""
        select f.file_path, f.rows_read, f.rows_loaded, f.rows_quarantined,
               (select count(*) from raw.calls c where c._file_id = f.file_id)
               + (select count(*) from raw.bill_lines b where b._file_id = f.file_id) as in_raw,
               (select count(*) from raw.quarantine q where q.file_id = f.file_id) as in_quarantine
        from raw.files f where f.status = 'loaded'
    """).fetchall()
    for path, read, loaded, quarantined, in_raw, in_quarantine in rows:
        assert read == loaded + quarantined, (path, read, loaded, quarantined)
        assert (in_raw, in_quarantine) == (loaded, quarantined), (path, in_raw, in_quarantine, loaded, quarantined)
    orphans = con.execute("""
        select count(*) from (select _file_id as id from raw.calls union all select _file_id from raw.bill_lines
                              union all select file_id from raw.quarantine)
        where id not in (select file_id from raw.files where status = 'loaded')
    """).fetchone()[0]
    assert orphans == 0, f"{orphans} raw rows belong to no loaded file"
    assert (
        con.execute(
            "select count(*) from raw.files where status = 'loaded' group by file_id having count(*) > 1"
        ).fetchall()
        == []
    ), "the same content is loaded twice"


def quarantine(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("select line, field, reason from raw.quarantine order by file_path, line").fetchall()
