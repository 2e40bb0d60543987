"""Great Expectations check of a freshly loaded batch: a second line of defence after the loader.

The loader (ingest.loaders) already quarantines rows that break the canonical schema. This module
re-checks what landed in `raw` with an expectation suite generated from the same field lists in
`ingest.schemas` (the one place for the schema), plus the cross-column rules that guard against a
loader regression. A call_id logged twice is not a failure here: deduplication is dbt's
stg_raw__calls' job (module note at `_table_checks`).

Pure Python, no Dagster. A load's rows are checked with `validate_loaded(warehouse, table, file_ids)`,
which streams them from the warehouse CHUNK_ROWS at a time; `validate_batch` checks a DataFrame, an
Arrow table or a record-batch stream the caller fetched itself. GX's SQL datasource does not work
against DuckDB here, so GX only ever sees pandas DataFrames.

    result = validate_loaded(warehouse, "calls", loaded_file_ids)
    if not result.success:
        raise ...(result.failures)

Importing and setting up GX costs ~1.6 s. `start_worker()`, called first thing by a process that will
validate, does that in a child process on another core while the caller starts up; `validate_loaded`
then runs in that worker (`ValidationWorker`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ingest.config import REPO_ROOT
from ingest.schemas import (
    CACHE_OUTCOMES,
    CHARGE_CATEGORIES,
    CHARGE_SOURCES,
    MAX_TOKENS_PER_CALL,
    MONEY,
    QUANTITY,
    ROUTING_DECISIONS,
    SERVICE_TIERS,
    TABLES,
    Field,
)
from ingest.warehouse import connect

if TYPE_CHECKING:
    import pandas as pd

# Allowed values of the enumerated columns: ingest.schemas' vocabulary, and the currencies billed.
BILLING_CURRENCIES: tuple[str, ...] = ("USD",)

# How many offending values a failure line quotes.
SAMPLE_VALUES = 5
# Rows validated at a time when the batch arrives as a stream (bounded memory on big loads).
CHUNK_ROWS = 250_000

_DECIMAL_TYPES = (MONEY, QUANTITY)
# A pair rule checks order only: a NULL side is reported (once) by the not-null expectation of a
# required column, and an optional column may be NULL. GX's default would flag the row here too.
_NULLS_ARE_NOT_THIS_RULES_BUSINESS = "either_value_is_missing"
_DATASOURCE = "ingest_batches"
# BASIC: unexpected count, percent and a partial list of offending values (no value counts, no rows).
_RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": SAMPLE_VALUES}


@dataclass(frozen=True)
class BatchValidation:
    success: bool
    evaluated: int  # number of expectations evaluated
    failures: list[str]  # one line per failed expectation: type(column): unexpected count, sample values
    rows: int

    @classmethod
    def of_nothing(cls) -> BatchValidation:
        """No rows: nothing to check (and no GX set-up, ~1.6 s)."""
        return cls(success=True, evaluated=0, failures=[], rows=0)


# --------------------------------------------------------------------------------------------
# the suite, generated from ingest.schemas


@dataclass(frozen=True)
class Check:
    """One expectation, independent of GX: its snake_case type and its keyword arguments."""

    type: str
    kwargs: dict[str, Any]


def _field_checks(fields: tuple[Field, ...]) -> list[Check]:
    checks: list[Check] = []
    for f in fields:
        if f.required:
            checks.append(Check("expect_column_values_to_not_be_null", {"column": f.name}))
    for f in fields:
        if f.non_negative:
            high = MAX_TOKENS_PER_CALL if f.name.endswith("_tokens") else None
            checks.append(
                Check("expect_column_values_to_be_between", {"column": f.name, "min_value": 0, "max_value": high})
            )
    return checks


def _in_set(column: str, values: tuple[str, ...]) -> Check:
    return Check("expect_column_values_to_be_in_set", {"column": column, "value_set": list(values)})


def _table_checks(table: str) -> list[Check]:
    if table == "calls":
        # No uniqueness check on call_id: the same call logged twice (a gateway logging a retry twice, in
        # one file or in two files of the same run) is normal input, deduplicated by dbt's stg_raw__calls
        # (first loaded copy kept) exactly like a copy loaded by an earlier run. Failing this blocking
        # batch check on it would stop the run; uniqueness is tested on the deduplicated models.
        return [
            _in_set("service_tier", SERVICE_TIERS),
            _in_set("cache_outcome", CACHE_OUTCOMES),
            _in_set("routing_decision", ROUTING_DECISIONS),
            Check(
                "expect_column_pair_values_a_to_be_greater_than_b",
                {
                    "column_A": "output_tokens",
                    "column_B": "reasoning_tokens",
                    "or_equal": True,
                    "ignore_row_if": _NULLS_ARE_NOT_THIS_RULES_BUSINESS,
                },
            ),
        ]
    if table == "bill_lines":
        return [
            _in_set("ChargeCategory", CHARGE_CATEGORIES),
            _in_set("x_ChargeSource", CHARGE_SOURCES),
            _in_set("BillingCurrency", BILLING_CURRENCIES),
            Check(
                "expect_column_pair_values_a_to_be_greater_than_b",
                {
                    "column_A": "ChargePeriodEnd",
                    "column_B": "ChargePeriodStart",
                    "or_equal": False,
                    "ignore_row_if": _NULLS_ARE_NOT_THIS_RULES_BUSINESS,
                },
            ),
        ]
    return []


def suite_checks(table: str) -> list[Check]:
    """Every expectation run for `table` ("calls" or "bill_lines"), in order."""
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r} (expected one of: {', '.join(TABLES)})")
    return _field_checks(TABLES[table]) + _table_checks(table)


# --------------------------------------------------------------------------------------------
# GX plumbing: one ephemeral context per process, one asset + batch definition + suite per table


@dataclass
class _TableRunner:
    datasource: Any
    batch_definition: Any
    suite: Any
    order: dict[str, int]  # failure key -> position in the suite, to report failures in suite order

    def release(self) -> None:
        """Drop the batch GX keeps cached in the (process-lifetime) execution engine."""
        engine = self.datasource.get_execution_engine()
        manager = getattr(engine, "batch_manager", None)
        if manager is not None:  # the engine keeps the last frame (and its batch) alive otherwise
            manager.reset_batch_cache()
            manager.batch_data_cache.clear()


_lock = threading.Lock()
_context: Any = None
_runners: dict[str, _TableRunner] = {}


def _guard_spark_connect() -> None:
    """Great Expectations imports pyspark's Spark Connect module when pyspark is installed (the `spark`
    dependency group). In a process whose main module has no file (pytest-xdist workers, `python -c`)
    that module takes itself for a doctest run and calls sys.exit(0) when grpc is missing, which ends the
    validation silently. Import it first; if it exits, mark it unavailable (an ImportError for GX, which
    then leaves Spark Connect out, as it does when pyspark is not installed)."""
    if "pyspark.sql.connect" in sys.modules:
        return
    try:
        import pyspark.sql.connect  # noqa: F401
    except ImportError:
        pass
    except SystemExit:
        sys.modules["pyspark.sql.connect"] = None  # type: ignore[assignment]


def _quiet_gx() -> None:
    logging.getLogger("great_expectations").setLevel(logging.ERROR)


def _skip_batch_fingerprint() -> None:
    """GX's pandas engine hashes every row of a batch (`hash_pandas_object`) for a fingerprint it only
    keeps as batch metadata, unless the frame is over `HASH_THRESHOLD` bytes: ~70% of the validation
    time (1M calls: 1.26 s -> 0.6 s). This project never reads the fingerprint, so the threshold is 0.
    A GX internal: great-expectations is pinned, and tests/test_validation.py fails if it changes."""
    from great_expectations.execution_engine import pandas_execution_engine

    pandas_execution_engine.HASH_THRESHOLD = 0


def _get_context() -> Any:
    global _context
    if _context is None:
        _guard_spark_connect()
        import great_expectations as gx
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )

        _quiet_gx()
        _skip_batch_fingerprint()
        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
            progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
            analytics_enabled=False,
        )
        context = gx.get_context(project_config=config, mode="ephemeral")
        context.data_sources.add_pandas(name=_DATASOURCE)
        _context = context
    return _context


def _expectation(check: Check) -> Any:
    """The GX 1.x expectation class for a check: expect_column_values_to_be_in_set -> ExpectColumnValuesToBeInSet."""
    _guard_spark_connect()
    import great_expectations.expectations as gxe

    return getattr(gxe, "".join(part.capitalize() for part in check.type.split("_")))(**check.kwargs)


def _runner(table: str) -> _TableRunner:
    runner = _runners.get(table)
    if runner is None:
        _guard_spark_connect()
        import great_expectations as gx

        context = _get_context()
        datasource = context.data_sources.get(_DATASOURCE)
        asset = datasource.add_dataframe_asset(name=table)
        batch_definition = asset.add_batch_definition_whole_dataframe(f"{table}_whole_frame")
        checks = suite_checks(table)
        suite = context.suites.add(
            gx.ExpectationSuite(name=f"ingest_{table}", expectations=[_expectation(c) for c in checks])
        )
        order = {_key(c.type, c.kwargs): i for i, c in enumerate(checks)}
        runner = _TableRunner(datasource=datasource, batch_definition=batch_definition, suite=suite, order=order)
        _runners[table] = runner
    return runner


# --------------------------------------------------------------------------------------------
# frame preparation and result formatting


def _to_pandas(frame: Any, fields: tuple[Field, ...]) -> pd.DataFrame:
    """A pandas DataFrame holding only the schema's columns, with decimals as float64.

    Money arrives as decimal128 (Arrow) or as object columns of decimal.Decimal (pandas from
    Arrow); the checks only need nulls and order, so float64 is exact enough and keeps GX on its
    vectorised numeric path.
    """
    import pandas as pd

    names = {f.name for f in fields}
    if isinstance(frame, (pa.Table, pa.RecordBatch)):
        keep = [n for n in frame.schema.names if n in names]
        frame = frame.select(keep)
        for i, col in enumerate(frame.schema):
            if pa.types.is_decimal(col.type):
                frame = frame.set_column(i, col.name, frame.column(i).cast(pa.float64()))
        # Int64 (nullable) like DuckDB's .df(), so a NULL does not turn a token column into floats;
        # a column without NULLs is plain int64, which GX checks vectorised (on Int64 its range
        # check calls a Python function per value: ~60% of the suite's time)
        data = frame.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
        plain = {
            name: data[name].to_numpy("int64")
            for name in data.columns
            if isinstance(data[name].dtype, pd.Int64Dtype) and not data[name].hasnans
        }
        return data.assign(**plain) if plain else data
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame or a pyarrow Table, got {type(frame).__name__}")
    frame = frame[[c for c in frame.columns if c in names]]
    decimals = [
        f.name
        for f in fields
        if f.duck_type in _DECIMAL_TYPES
        and f.name in frame.columns
        and not pd.api.types.is_float_dtype(frame[f.name].dtype)
    ]
    converted = {}
    for name in decimals:
        # not numbers at all: leave it, the expectations on it report what they find
        with contextlib.suppress(TypeError, ValueError):
            converted[name] = frame[name].astype("float64")
    return frame.assign(**converted) if converted else frame


def _plain(value: Any) -> Any:
    """A sample value as plain Python for the failure line: numpy scalars unwrapped, NaN/NaT as None."""
    import numpy as np
    import pandas as pd

    if isinstance(value, (tuple, list)):
        return tuple(_plain(v) for v in value)
    if value is None or (not isinstance(value, str) and bool(np.ndim(value) == 0) and pd.isna(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (datetime, pd.Timestamp)):
        return value.isoformat()
    return value


def _column_label(kwargs: dict[str, Any]) -> str:
    if "column" in kwargs:
        return str(kwargs["column"])
    if "column_A" in kwargs:
        op = ">=" if kwargs.get("or_equal") else ">"
        return f"{kwargs['column_A']} {op} {kwargs['column_B']}"
    return "table"


def _key(expectation_type: str, kwargs: dict[str, Any]) -> str:
    return f"{expectation_type}({_column_label(kwargs)})"


def _exception_message(info: Any) -> str | None:
    """The error behind an expectation GX could not evaluate (e.g. a missing column), if any.

    GX 1.x puts either one flat {raised_exception, exception_message, ...} dict here, or (when a
    metric failed) a dict keyed by metric id whose values are such dicts.
    """
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    messages = [
        str(v.get("exception_message")) for v in info.values() if isinstance(v, dict) and v.get("exception_message")
    ]
    return "; ".join(sorted(set(messages))) or None


@dataclass
class _Failure:
    """One failed expectation, mergeable over the chunks of a batch."""

    head: str  # expectation(column label)
    problem: str | None = None  # could not be evaluated: why
    observed: Any = None  # observed value of a table-level expectation
    count: int | None = None  # unexpected rows
    samples: list[Any] | None = None

    def merge(self, other: _Failure) -> None:
        if self.count is not None and other.count is not None:
            self.count += other.count
            self.samples = ((self.samples or []) + (other.samples or []))[:SAMPLE_VALUES]
        self.problem = self.problem or other.problem

    def describe(self, rows: int) -> str:
        if self.problem:
            return f"{self.head}: could not be evaluated: {self.problem}"
        if self.count is None:
            return f"{self.head}: failed, observed {self.observed!r}"
        return f"{self.head}: {self.count} of {rows} rows unexpected, e.g. {(self.samples or [])[:SAMPLE_VALUES]!r}"


def _failure(result: Any) -> _Failure:
    config = result.expectation_config
    head = _key(config.type, config.kwargs)
    problem = _exception_message(result.exception_info)
    observed = result.result or {}
    samples = [_plain(v) for v in list(observed.get("partial_unexpected_list") or [])[:SAMPLE_VALUES]]
    return _Failure(
        head,
        problem=problem,
        observed=observed.get("observed_value"),
        count=None if problem else observed.get("unexpected_count"),
        samples=samples,
    )


def checked_columns(table: str) -> list[str]:
    """The columns the suite of `table` reads, in schema order: all a caller needs to fetch."""
    used = {v for c in suite_checks(table) for k, v in c.kwargs.items() if k in ("column", "column_A", "column_B")}
    return [f.name for f in TABLES[table] if f.name in used]


def _validate_frame(data: pd.DataFrame, table: str) -> tuple[int, list[_Failure]]:
    with _lock:  # one GX context per process; GX is not documented as thread-safe
        runner = _runner(table)
        try:
            batch = runner.batch_definition.get_batch(batch_parameters={"dataframe": data})
            outcome = batch.validate(runner.suite, result_format=_RESULT_FORMAT)
        finally:
            runner.release()
    failed = [r for r in outcome.results if not r.success]
    failed.sort(key=lambda r: runner.order.get(_key(r.expectation_config.type, r.expectation_config.kwargs), 1 << 30))
    evaluated = int(outcome.statistics.get("evaluated_expectations", len(outcome.results)))
    return evaluated, [_failure(r) for r in failed]


def validate_batch(frame: pd.DataFrame | pa.Table | pa.RecordBatchReader, table: str) -> BatchValidation:
    """Run the expectation suite of `table` ("calls" or "bill_lines") over `frame`.

    Columns that are not in the schema (the lineage columns `_file_id`, `_line`, `_loaded_at`)
    are ignored; a schema column missing from the frame fails the expectations on it.
    A RecordBatchReader is validated chunk by chunk (memory stays bounded by a chunk; see
    `validate_chunks`).
    """
    suite_checks(table)  # rejects an unknown table, also for an empty frame
    if isinstance(frame, pa.RecordBatchReader):
        return validate_chunks(frame, table)
    data = _to_pandas(frame, TABLES[table])
    rows = len(data)
    if rows == 0:
        return BatchValidation.of_nothing()
    evaluated, failures = _validate_frame(data, table)
    return BatchValidation(
        success=not failures, evaluated=evaluated, failures=[f.describe(rows) for f in failures], rows=rows
    )


def validate_chunks(reader: pa.RecordBatchReader, table: str, chunk_rows: int = CHUNK_ROWS) -> BatchValidation:
    """The suite over a stream of record batches, `chunk_rows` rows at a time; failures are summed.

    Every expectation here is row-level (or per row pair), so each sees every row; uniqueness is
    not checked here (see `_table_checks`).
    """
    rows = evaluated = 0
    merged: dict[str, _Failure] = {}
    pending: list[pa.RecordBatch] = []
    pending_rows = 0

    def flush() -> None:
        nonlocal rows, evaluated, pending, pending_rows
        if not pending_rows:
            return
        data = _to_pandas(pa.Table.from_batches(pending), TABLES[table])
        pending, pending_rows = [], 0
        rows += len(data)
        done, failures = _validate_frame(data, table)
        evaluated = max(evaluated, done)
        for failure in failures:
            if failure.head in merged:
                merged[failure.head].merge(failure)
            else:
                merged[failure.head] = failure

    for batch in reader:
        pending.append(batch)
        pending_rows += batch.num_rows
        if pending_rows >= chunk_rows:
            flush()
    flush()
    if not rows:
        return BatchValidation.of_nothing()
    order = _runner(table).order
    ordered = sorted(merged.values(), key=lambda f: order.get(f.head, 1 << 30))
    return BatchValidation(
        success=not merged, evaluated=evaluated, failures=[f.describe(rows) for f in ordered], rows=rows
    )


# --------------------------------------------------------------------------------------------
# the rows a load added, checked here or by the validation worker


def validate_loaded(warehouse: Path, table: str, file_ids: list[str]) -> BatchValidation:
    """The suite over the rows of raw.`table` that came from these files (`_file_id`), streamed from the
    warehouse CHUNK_ROWS at a time. The caller must have closed its own connection to the warehouse.
    The validation worker does it, if one was started (`start_worker`), else this process; a worker that
    dies on the way is replaced by this process (a warning on stderr)."""
    global _worker
    suite_checks(table)  # rejects an unknown table
    if not file_ids:
        return BatchValidation.of_nothing()
    with _worker_lock:
        if _worker is not None and _worker.running():
            try:
                return _worker.validate(warehouse, table, file_ids)
            except WorkerGone as exc:
                print(f"{exc}; validating raw.{table} in this process", file=sys.stderr, flush=True)
                _worker.stop()
                _worker = None
    return _validate_loaded_here(warehouse, table, file_ids)


def _validate_loaded_here(warehouse: Path, table: str, file_ids: list[str]) -> BatchValidation:
    columns = ", ".join(f'"{c}"' for c in checked_columns(table))
    con = connect(warehouse, read_only=True)
    try:
        # a relation streams CHUNK_ROWS at a time; an execute() result would first be copied whole
        # (11M rows: 2.9 GB of RSS against 0.9 GB)
        batches = con.sql(
            f"select {columns} from raw.{table} where _file_id in (select unnest(?::varchar[]))", params=[file_ids]
        ).to_arrow_reader(CHUNK_ROWS)
        return validate_chunks(batches, table)
    finally:
        con.close()


class WorkerGone(RuntimeError):
    """The validation worker died (killed, out of memory) before it replied."""


class ValidationWorker:
    """A child process (`python -m ingest.validation`) that imports and sets up Great Expectations as
    soon as it starts (~1.6 s, on another core than its parent's own start-up), then runs
    `validate_loaded` for its parent: one JSON request line on its stdin (warehouse, table, file ids),
    one JSON reply line on its stdout. It reads the rows from the warehouse itself, so no data crosses
    the pipe. It exits when its stdin closes (its parent stopped it, or died)."""

    def __init__(self) -> None:
        # started in the repository root: `ingest` is importable there whatever the caller's directory
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ingest.validation"],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def running(self) -> bool:
        return self.proc.poll() is None

    def validate(self, warehouse: Path, table: str, file_ids: list[str]) -> BatchValidation:
        request = json.dumps({"warehouse": str(warehouse), "table": table, "file_ids": file_ids})
        try:
            self.proc.stdin.write(request + "\n")
            self.proc.stdin.flush()
            reply = self.proc.stdout.readline()
        except OSError as exc:  # a broken pipe: the worker is gone
            raise WorkerGone(f"the validation worker failed (exit code {self.proc.poll()}): {exc}") from exc
        if not reply:
            raise WorkerGone(f"the validation worker exited (exit code {self.proc.wait()})")
        answer = json.loads(reply)
        if "error" in answer:
            raise RuntimeError(f"the validation worker failed on raw.{table} of {warehouse}: {answer['error']}")
        return BatchValidation(**answer)

    def stop(self) -> None:
        with contextlib.suppress(OSError):  # a worker that died leaves a broken pipe
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()


_worker_lock = threading.Lock()
_worker: ValidationWorker | None = None


def start_worker() -> None:
    """Start this process's validation worker (once): call it as early as possible. If it cannot be
    started, validations run in this process."""
    global _worker
    with _worker_lock:
        if _worker is None or not _worker.running():
            try:
                _worker = ValidationWorker()
            except OSError as exc:
                print(f"no validation worker ({exc}): validating in this process", file=sys.stderr, flush=True)
                _worker = None


def stop_worker() -> None:
    """Stop it (its memory is freed); later validations run in this process."""
    global _worker
    with _worker_lock:
        if _worker is not None:
            _worker.stop()
            _worker = None


def _serve() -> None:
    """The worker's loop. Its stdout carries only the replies: anything else printed goes to stderr.
    Ctrl-C is for its parent: the worker ends when its stdin closes, without tearing GX down (os._exit)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _get_context()  # the GX import and set-up, while the parent starts
    for line in sys.stdin:
        request = json.loads(line)
        try:
            answer = asdict(_validate_loaded_here(Path(request["warehouse"]), request["table"], request["file_ids"]))
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        replies.write(json.dumps(answer) + "\n")
        replies.flush()
    sys.stderr.flush()
    os._exit(0)  # freeing GX's and pandas' objects took ~1 s, which its parent waited for


if __name__ == "__main__":
    _serve()
