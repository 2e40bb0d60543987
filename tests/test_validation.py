"""ingest.validation: the Great Expectations suite run on a freshly loaded batch.

Frames come from real landing files loaded with ingest.loaders into a temporary DuckDB, so the
column types are the ones the warehouse produces. Defects the loader would quarantine (negative
tokens, reasoning > output) are injected into the fetched frame: the validator is the second line
of defence behind the loader.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from ingest import validation
from ingest.config import REPO_ROOT
from ingest.loaders import load_landing
from ingest.schemas import BILL_FIELDS, CALL_FIELDS
from ingest.validation import (
    BatchValidation,
    checked_columns,
    suite_checks,
    validate_batch,
    validate_chunks,
    validate_loaded,
)
from ingest.warehouse import connect

CALLS = [
    {
        "call_id": "call-001",
        "started_at": "2025-03-01T09:00:00Z",
        "latency_ms": 812,
        "provider": "openai",
        "billing_account": "proj-a",
        "model_requested": "gpt-4o",
        "model_served": "gpt-4o",
        "environment": "prod",
        "tenant_id": "acme",
        "feature": "chat",
        "service_tier": "standard",
        "cache_outcome": "app_miss",
        "routing_decision": "kept",
        "input_uncached_tokens": 1200,
        "cache_read_tokens": 300,
        "cache_write_tokens": 0,
        "output_tokens": 250,
        "reasoning_tokens": 0,
        "status": "ok",
    },
    {
        "call_id": "call-002",
        "started_at": "2025-03-01T10:15:00+02:00",
        "provider": "anthropic",
        "model_requested": "claude-sonnet-4",
        "service_tier": "batch",
        "cache_outcome": "none",
        "input_uncached_tokens": 4000,
        "cache_write_tokens": 2048,
        "output_tokens": 900,
        "reasoning_tokens": 400,
    },
    {
        "call_id": "call-003",
        "started_at": "2025-03-01T11:00:00Z",
        "latency_ms": 95,
        "provider": "openai",
        "model_requested": "gpt-4o",
        "model_served": "gpt-4o-mini",
        "routing_decision": "rerouted",
        "service_tier": "priority",
        "input_uncached_tokens": 50,
        "output_tokens": 10,
    },
    {
        "call_id": "call-004",
        "started_at": "2025-03-02T08:30:00Z",
        "provider": "google",
        "model_requested": "gemini-2.5-pro",
        "cache_outcome": "app_hit",
        "input_uncached_tokens": 0,
        "output_tokens": 0,
    },
    {
        "call_id": "call-005",
        "started_at": "2025-03-02 23:59:59",
        "provider": "openai",
        "model_requested": "o3",
        "input_uncached_tokens": 700,
        "output_tokens": 5000,
        "reasoning_tokens": 5000,
    },
]

BILL_HEADER = (
    "ChargePeriodStart,ChargePeriodEnd,ProviderName,BillingAccountId,SubAccountId,ChargeCategory,"
    "SkuId,ConsumedQuantity,ConsumedUnit,BilledCost,EffectiveCost,ListCost,BillingCurrency,"
    "x_Model,x_TokenBucket,x_ServiceTier"
)
BILL_ROWS = [
    (
        "2025-03-01T00:00:00Z,2025-03-02T00:00:00Z,openai,org-1,proj-a,Usage,gpt-4o-in,1200,Tokens,"
        "0.003000000001,0.003,0.003,USD,gpt-4o,input_uncached,standard"
    ),
    (
        "2025-03-01T00:00:00Z,2025-03-02T00:00:00Z,openai,org-1,proj-a,Usage,gpt-4o-out,250,Tokens,"
        "0.0025,0.0025,0.0025,USD,gpt-4o,output,standard"
    ),
    "2025-03-01T00:00:00Z,2025-04-01T00:00:00Z,openai,org-1,proj-a,Credit,credit,,,-5.00,-5.00,,USD,,,",
]
BOGUS_ROW = (
    "2025-03-02T00:00:00Z,2025-03-03T00:00:00Z,anthropic,org-2,ws-1,Bogus,sku-x,10,Tokens,"
    "0.10,0.10,0.10,USD,claude-sonnet-4,output,standard"
)

CALL_EXTRA_CHECKS = 4  # three value sets, reasoning <= output (no call_id uniqueness: dbt dedupes)
BILL_EXTRA_CHECKS = 4  # three value sets (charge category, currency, charge source), period end > start


def _expected_count(fields, extra: int) -> int:
    return sum(f.required for f in fields) + sum(f.non_negative for f in fields) + extra


def _write_landing(root: Path, bill_rows: list[str]) -> Path:
    landing = root / "landing"
    calls_dir = landing / "calls" / "canonical" / "2025" / "03"
    calls_dir.mkdir(parents=True)
    (calls_dir / "calls-2025-03.jsonl").write_text("".join(json.dumps(c) + "\n" for c in CALLS), encoding="utf-8")
    bill_dir = landing / "billing" / "focus" / "openai"
    bill_dir.mkdir(parents=True)
    (bill_dir / "bill-2025-03.csv").write_text("\n".join([BILL_HEADER, *bill_rows]) + "\n", encoding="utf-8")
    return landing


def _load(root: Path, bill_rows: list[str]) -> duckdb.DuckDBPyConnection:
    con = connect(root / "warehouse.duckdb")
    report = load_landing(con, _write_landing(root, bill_rows))
    assert report.total("rows_quarantined") == 0
    assert report.total("rows_loaded") == len(CALLS) + len(bill_rows)
    return con


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = _load(tmp_path_factory.mktemp("clean"), BILL_ROWS)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def calls(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    frame = con.execute("select * from raw.calls order by call_id").df()
    assert {"_file_id", "_line", "_loaded_at"} <= set(frame.columns)  # lineage columns come along
    return frame


def _failure_heads(result: BatchValidation) -> list[str]:
    return [line.split(":", 1)[0] for line in result.failures]


def test_suite_is_generated_from_the_schema() -> None:
    assert len(suite_checks("calls")) == _expected_count(CALL_FIELDS, CALL_EXTRA_CHECKS) == 16
    assert len(suite_checks("bill_lines")) == _expected_count(BILL_FIELDS, BILL_EXTRA_CHECKS) == 9
    between = {
        c.kwargs["column"]: c.kwargs for c in suite_checks("calls") if c.type == "expect_column_values_to_be_between"
    }
    assert between["output_tokens"]["max_value"] == 50_000_000
    assert between["latency_ms"]["min_value"] == 0 and between["latency_ms"]["max_value"] is None


def test_clean_calls_pass(calls: pd.DataFrame) -> None:
    result = validate_batch(calls, "calls")
    assert result == BatchValidation(
        success=True, evaluated=_expected_count(CALL_FIELDS, CALL_EXTRA_CHECKS), failures=[], rows=len(CALLS)
    )


def test_clean_bill_lines_pass_as_pandas_and_as_arrow(con: duckdb.DuckDBPyConnection) -> None:
    expected = BatchValidation(
        success=True, evaluated=_expected_count(BILL_FIELDS, BILL_EXTRA_CHECKS), failures=[], rows=len(BILL_ROWS)
    )
    sql = "select * from raw.bill_lines"
    table = con.sql(sql).to_arrow_table()  # DECIMAL(38,12) stays decimal128 here
    assert str(table.schema.field("BilledCost").type) == "decimal128(38, 12)"
    with_decimals = table.to_pandas()  # object columns of decimal.Decimal
    assert with_decimals["BilledCost"].dtype == object
    assert validate_batch(con.execute(sql).df(), "bill_lines") == expected
    assert validate_batch(table, "bill_lines") == expected
    assert validate_batch(with_decimals, "bill_lines") == expected


def test_negative_and_reasoning_over_output_fail(calls: pd.DataFrame) -> None:
    bad = calls.copy()
    bad.loc[2, "cache_read_tokens"] = -7
    bad.loc[3, "output_tokens"] = 10
    bad.loc[3, "reasoning_tokens"] = 11

    result = validate_batch(bad, "calls")

    assert not result.success
    assert result.rows == len(CALLS)
    assert result.evaluated == _expected_count(CALL_FIELDS, CALL_EXTRA_CHECKS)
    assert sorted(_failure_heads(result)) == sorted(
        [
            "expect_column_values_to_be_between(cache_read_tokens)",
            "expect_column_pair_values_a_to_be_greater_than_b(output_tokens >= reasoning_tokens)",
        ]
    )
    lines = dict(zip(_failure_heads(result), result.failures))
    assert "[-7]" in lines["expect_column_values_to_be_between(cache_read_tokens)"]
    assert "[(10, 11)]" in lines["expect_column_pair_values_a_to_be_greater_than_b(output_tokens >= reasoning_tokens)"]


def test_a_call_logged_twice_in_one_run_passes_and_staging_keeps_its_first_copy(tmp_path: Path) -> None:
    """A gateway that logs a retry twice (in one file, or in two files loaded by the same run) is not a
    failed batch: stg_raw__calls keeps the first loaded copy, as for a copy loaded by an earlier run."""
    calls_dir = tmp_path / "landing" / "calls" / "canonical"
    calls_dir.mkdir(parents=True)
    first = [*CALLS, dict(CALLS[0], latency_ms=999)]  # call-001 again, later in the same file
    (calls_dir / "a-calls.jsonl").write_text("".join(json.dumps(c) + "\n" for c in first), encoding="utf-8")
    retry = dict(CALLS[1], latency_ms=4321)  # call-002 again, in a second file of the same run
    (calls_dir / "b-retries.jsonl").write_text(json.dumps(retry) + "\n", encoding="utf-8")
    warehouse = tmp_path / "warehouse.duckdb"
    con = connect(warehouse)
    report = load_landing(con, tmp_path / "landing")
    assert (report.total("rows_loaded"), report.total("rows_quarantined")) == (len(CALLS) + 2, 0)
    ids = [row[0] for row in con.execute("select file_id from raw.files where status = 'loaded'").fetchall()]
    con.close()
    assert len(ids) == 2

    result = validate_loaded(warehouse, "calls", ids)
    assert result == BatchValidation(
        success=True, evaluated=_expected_count(CALL_FIELDS, CALL_EXTRA_CHECKS), failures=[], rows=len(CALLS) + 2
    )

    model = (REPO_ROOT / "dbt_project" / "models" / "staging" / "raw" / "stg_raw__calls.sql").read_text()
    # the model's SQL as dbt renders it on DuckDB (its config, and its two macros: the source, the CTE hint)
    sql = (
        model.replace("{{ config(event_time='call_day') }}", "")
        .replace("{{ source('raw', 'calls') }}", "raw.calls")
        .replace("{{ not_materialized() }}", "not materialized")
    )
    con = connect(warehouse, read_only=True)
    try:
        rows = con.execute(f"select call_id, latency_ms, source_line from ({sql}) order by call_id").fetchall()
    finally:
        con.close()
    assert rows == [
        ("call-001", 812, 1),
        ("call-002", None, 2),
        ("call-003", 95, 3),
        ("call-004", None, 4),
        ("call-005", None, 5),
    ]


def test_absurd_token_count_fails(calls: pd.DataFrame) -> None:
    bad = calls.copy()
    bad.loc[0, "input_uncached_tokens"] = 50_000_001
    result = validate_batch(bad, "calls")
    assert _failure_heads(result) == ["expect_column_values_to_be_between(input_uncached_tokens)"]


def test_bogus_charge_category_fails(tmp_path: Path) -> None:
    con = _load(tmp_path, [*BILL_ROWS, BOGUS_ROW])  # the loader does not check the category
    try:
        result = validate_batch(con.execute("select * from raw.bill_lines").df(), "bill_lines")
    finally:
        con.close()
    assert not result.success
    assert result.rows == len(BILL_ROWS) + 1
    assert _failure_heads(result) == ["expect_column_values_to_be_in_set(ChargeCategory)"]
    assert "1 of 4 rows unexpected" in result.failures[0] and "'Bogus'" in result.failures[0]


def test_the_validation_worker_gives_this_process_s_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`validate_loaded` in the worker (a child process that sets GX up as it starts) equals the same
    check in this process, failures included; an error in the worker is raised here, naming it; a worker
    that died is replaced by this process."""
    con = _load(tmp_path, [*BILL_ROWS, BOGUS_ROW])
    ids = [row[0] for row in con.execute("select file_id from raw.files where status = 'loaded' order by 1").fetchall()]
    con.close()
    warehouse = tmp_path / "warehouse.duckdb"
    here = {table: validate_loaded(warehouse, table, ids) for table in ("calls", "bill_lines")}
    assert here["calls"].success and here["calls"].rows == len(CALLS)
    assert not here["bill_lines"].success and "'Bogus'" in here["bill_lines"].failures[0]
    validation.start_worker()
    try:
        worker = validation._worker
        assert {table: validate_loaded(warehouse, table, ids) for table in here} == here
        with pytest.raises(RuntimeError, match=r"the validation worker failed on raw\.calls of .*nowhere\.duckdb: "):
            validate_loaded(tmp_path / "nowhere.duckdb", "calls", ids)
        worker.proc.kill()  # found dead before a request: this process validates
        worker.proc.wait()
        assert validate_loaded(warehouse, "bill_lines", ids) == here["bill_lines"]
        validation.start_worker()
        worker = validation._worker
        worker.proc.kill()  # dies with a request on its way: this process validates, and says so
        worker.proc.wait()
        monkeypatch.setattr(validation.ValidationWorker, "running", lambda self: True)
        assert validate_loaded(warehouse, "bill_lines", ids) == here["bill_lines"]
        assert re.search(
            r"the validation worker (exited|failed) \(exit code -9\).*; validating raw\.bill_lines in "
            r"this process",
            capsys.readouterr().err,
        )
        assert validation._worker is None
        validation.start_worker()  # a healthy worker, stopped: it ends on its own once its stdin closes
        worker = validation._worker
        assert validate_loaded(warehouse, "calls", ids) == here["calls"]
    finally:
        validation.stop_worker()
    assert worker.proc.returncode == 0


def test_null_decimal_and_inverted_period_fail(con: duckdb.DuckDBPyConnection) -> None:
    bills = con.sql("select * from raw.bill_lines").to_arrow_table().to_pandas()  # Decimal objects
    bills.loc[0, "BilledCost"] = None
    bills.loc[1, "ChargePeriodEnd"] = bills.loc[1, "ChargePeriodStart"]
    result = validate_batch(bills, "bill_lines")
    assert _failure_heads(result) == [
        "expect_column_values_to_not_be_null(BilledCost)",
        "expect_column_pair_values_a_to_be_greater_than_b(ChargePeriodEnd > ChargePeriodStart)",
    ]


def test_missing_schema_column_fails(calls: pd.DataFrame) -> None:
    result = validate_batch(calls.drop(columns=["provider"]), "calls")
    assert not result.success
    assert _failure_heads(result) == ["expect_column_values_to_not_be_null(provider)"]
    assert "does not exist" in result.failures[0]


def test_empty_frame_passes(con: duckdb.DuckDBPyConnection) -> None:
    empty = con.execute("select * from raw.calls where call_id = ?", ["no-such-call"]).df()
    assert validate_batch(empty, "calls") == BatchValidation(success=True, evaluated=0, failures=[], rows=0)


def test_a_run_that_loaded_nothing_does_not_set_up_great_expectations() -> None:
    """A stream with no rows (a run with no new file) passes without importing GX (~1.6 s)."""
    code = (
        "import sys, pyarrow as pa; from ingest.validation import validate_batch, checked_columns; "
        "schema = pa.schema([(c, pa.string()) for c in checked_columns('calls')]); "
        "print(validate_batch(pa.RecordBatchReader.from_batches(schema, []), 'calls'), "
        "'great_expectations' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "BatchValidation(success=True, evaluated=0, failures=[], rows=0) False"


def test_gx_does_not_fingerprint_the_rows(calls: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    """GX's per-batch hash of every row is switched off (ingest.validation._skip_batch_fingerprint); this
    fails if great-expectations stops honouring the threshold it is switched off by."""
    from great_expectations.execution_engine import pandas_execution_engine

    def refuse(frame: pd.DataFrame) -> str:
        raise AssertionError(f"GX hashed a batch of {len(frame)} rows")

    monkeypatch.setattr(pandas_execution_engine, "hash_pandas_dataframe", refuse)
    result = validate_batch(calls, "calls")
    assert result.success and result.rows == len(calls) > 0


def test_unknown_table_is_refused(calls: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="unknown table 'invoices'"):
        validate_batch(calls.iloc[0:0], "invoices")


def test_chunked_validation_sums_failures_over_chunks(calls: pd.DataFrame) -> None:
    """A stream validated 2 rows at a time reports the same failures and counts as the whole frame."""
    bad = calls.copy()
    bad.loc[[0, 4], "output_tokens"] = -1  # in the first and the last chunk
    bad.loc[[0, 4], "reasoning_tokens"] = 0
    bad.loc[2, "service_tier"] = "gold"
    whole = validate_batch(bad, "calls")
    stream = pa.Table.from_pandas(bad[checked_columns("calls")], preserve_index=False).to_reader(max_chunksize=1)
    chunked = validate_chunks(stream, "calls", chunk_rows=2)
    assert chunked.rows == len(CALLS) and not chunked.success
    assert chunked.evaluated == whole.evaluated
    assert (
        _failure_heads(chunked)
        == _failure_heads(whole)
        == [
            "expect_column_values_to_be_between(output_tokens)",
            "expect_column_values_to_be_in_set(service_tier)",
            "expect_column_pair_values_a_to_be_greater_than_b(output_tokens >= reasoning_tokens)",
        ]
    )
    assert chunked.failures[0].startswith("expect_column_values_to_be_between(output_tokens): 2 of 5 rows unexpected")
    assert chunked.failures[0] == whole.failures[0]
    assert "user_id" not in checked_columns("calls") and "call_id" in checked_columns("calls")
