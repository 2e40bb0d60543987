"""Export the attributed cost as a FOCUS 1.3 Cost and Usage dataset (`finops export focus`).

Reads ``marts.focus_cost_and_usage`` from the serving file (the published copy, so an export never
blocks or sees a half-built pipeline) and writes one month, or every month, to Parquet and to CSV in
a directory: ``focus_cost_and_usage_<YYYY-MM|all>.parquet`` and ``.csv``. Both files are written
under temporary names beside their final names, their row counts read back and compared with the
mart, and only then renamed into place (``os.replace``), so a reader of the directory never sees a
half-written export and a failed export leaves the previous files as they were.

The two files hold the same rows and columns (FOCUS columns first, then the ``x_`` extensions):
- Parquet keeps the types: money as DECIMAL(38,12), quantities as DECIMAL(38,6) and (38,12), the
  FOCUS date/time columns as UTC-adjusted timestamps;
- CSV writes the FOCUS date/time columns as ``YYYY-MM-DDTHH:MM:SSZ`` (FOCUS Date/Time Format), decimals
  as plain exact decimal text, null as an empty field, with a header row.
docs/focus_export.md says how a FOCUS consumer ingests them.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

FOCUS_SCHEMA = "marts"
FOCUS_TABLE = "focus_cost_and_usage"
DAY_COLUMN = "x_ChargeDay"
FILE_STEM = "focus_cost_and_usage"
FORMATS: tuple[str, ...] = ("parquet", "csv")
# FOCUS Date/Time Format: extended ISO 8601 in UTC, 'T' between date and time, ending in 'Z'
CSV_DATETIME = "%Y-%m-%dT%H:%M:%SZ"
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


class ExportError(RuntimeError):
    """The export cannot run (no serving file, no FOCUS mart in it, a write that failed)."""


class NoDataError(ExportError):
    """The serving file has no FOCUS rows for what was asked."""


@dataclass(frozen=True)
class ExportedFile:
    path: Path
    format: str
    rows: int


@dataclass(frozen=True)
class FocusExport:
    month: str | None  # YYYY-MM, or None for every month
    rows: int
    billed_cost: Decimal  # sum of BilledCost of the rows exported
    files: tuple[ExportedFile, ...]

    @property
    def paths(self) -> list[Path]:
        return [f.path for f in self.files]


def parse_month(text: str) -> date:
    """The first day of a YYYY-MM month; ValueError naming the text otherwise."""
    if not _MONTH.fullmatch(text or ""):
        raise ValueError(f"not a month (YYYY-MM): {text!r}")
    return date(int(text[:4]), int(text[5:7]), 1)


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    return [
        (name, kind)
        for name, kind in con.execute(
            "select column_name, data_type from duckdb_columns() where schema_name = ? and table_name = ? "
            "order by column_index",
            [FOCUS_SCHEMA, FOCUS_TABLE],
        ).fetchall()
    ]


def _select(columns: list[tuple[str, str]], fmt: str) -> str:
    """The export's select list: timestamps as UTC instants (Parquet) or FOCUS date/time text (CSV)."""
    parts = []
    for name, kind in columns:
        col = _quote(name)
        if kind == "TIMESTAMP" and fmt == "parquet":
            parts.append(f"timezone('UTC', {col}) as {col}")
        elif kind.startswith("TIMESTAMP") and fmt == "csv":
            parts.append(f"strftime({col}, '{CSV_DATETIME}') as {col}")
        else:
            parts.append(col)
    return ", ".join(parts)


def _months_with_data(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [
        m
        for (m,) in con.execute(
            f"select distinct strftime({_quote(DAY_COLUMN)}, '%Y-%m') as m from {table} order by m"
        ).fetchall()
    ]


def _days_missing(con: duckdb.DuckDBPyConnection, table: str, first: date | None) -> list[date]:
    """Billed days of fct_cost_daily (in the month, when given) that the FOCUS mart does not hold: days
    built before the mart existed (a warehouse upgraded to it), which the daily run does not rebuild by
    itself."""
    where, params = "attributed_billed_cost <> 0", []
    if first is not None:
        where += " and cost_day >= ? and cost_day < ?"
        params = [first, _next_month(first)]
    return [
        d
        for (d,) in con.execute(
            f"select distinct cost_day from marts.fct_cost_daily where {where} "
            f"except select distinct {_quote(DAY_COLUMN)} from {table} order by 1",
            params,
        ).fetchall()
    ]


def export_focus(serving_path: Path, out_dir: Path, month: str | None = None) -> FocusExport:
    """Write the FOCUS rows of ``month`` (YYYY-MM; every month when None) from the serving file to
    ``out_dir`` as Parquet and CSV, each written aside and renamed into place. Raises ValueError for a
    malformed month, NoDataError when there is nothing to export, ExportError when it cannot run."""
    first = parse_month(month) if month is not None else None
    serving_path = Path(serving_path)
    if not serving_path.is_file():
        raise ExportError(f"no serving file at {serving_path}: run `finops materialize` (or `finops publish`) first")
    from ingest.warehouse import connect

    con = connect(serving_path, read_only=True)
    try:
        columns = _columns(con)
        if not columns:
            raise ExportError(
                f"{serving_path} has no {FOCUS_SCHEMA}.{FOCUS_TABLE}: run `finops materialize` to build and publish it"
            )
        table = f"{_quote(FOCUS_SCHEMA)}.{_quote(FOCUS_TABLE)}"
        where, params = "true", []
        if first is not None:
            where, params = f"{_quote(DAY_COLUMN)} >= ? and {_quote(DAY_COLUMN)} < ?", [first, _next_month(first)]
        missing = _days_missing(con, table, first)
        if missing:
            raise ExportError(
                f"the FOCUS mart in {serving_path} lacks {len(missing)} billed day(s) of "
                f"{month or 'the history'} ({missing[0]} .. {missing[-1]}: built before the export existed); "
                f"rebuild them with `finops materialize --start {missing[0]} --end {missing[-1]}`, then export "
                "again (an export without them would not sum to the bills)"
            )
        rows, billed = con.execute(
            f'select count(*), coalesce(sum("BilledCost"), 0) from {table} where {where}', params
        ).fetchone()
        if rows == 0:
            months = _months_with_data(con, table)
            if not months:
                raise NoDataError(f"no FOCUS rows in {serving_path} yet: no billed day has been built")
            raise NoDataError(
                f"no FOCUS rows for {month} in {serving_path} (months with data: {', '.join(months)}); a month "
                "is exported once its bills are loaded and its days built"
            )
        out_dir = Path(out_dir)
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ExportError(f"cannot create the export dir {out_dir}: {exc}") from exc
        stem = f"{FILE_STEM}_{month or 'all'}"
        order = f'{_quote(DAY_COLUMN)}, "x_Provider", "SubAccountId", "x_OriginChargeId", "AllocatedResourceId"'
        written: list[tuple[Path, Path, str]] = []
        try:
            for fmt in FORMATS:
                final = out_dir / f"{stem}.{fmt}"
                tmp = out_dir / f".{final.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
                written.append((tmp, final, fmt))
                query = f"select {_select(columns, fmt)} from {table} where {where} order by {order}"
                options = "format parquet, compression zstd" if fmt == "parquet" else "format csv, header true"
                con.execute(f"copy ({query}) to '{_literal(tmp)}' ({options})", params)
                reader = "read_parquet" if fmt == "parquet" else "read_csv"
                back = con.execute(f"select count(*) from {reader}(?)", [str(tmp)]).fetchone()[0]
                if back != rows:
                    raise ExportError(f"{final.name}: wrote {back} rows, the mart has {rows}")
        except (duckdb.Error, OSError) as exc:
            _remove([tmp for tmp, _, _ in written])
            raise ExportError(f"writing the FOCUS export to {out_dir} failed: {exc}") from exc
        except ExportError:
            _remove([tmp for tmp, _, _ in written])
            raise
        try:
            for tmp, final, _ in written:
                os.replace(tmp, final)  # each file atomically: a reader sees the old file or the new one
        except OSError as exc:
            _remove([tmp for tmp, _, _ in written])
            raise ExportError(f"replacing the FOCUS export in {out_dir} failed: {exc}") from exc
        return FocusExport(
            month=month,
            rows=rows,
            billed_cost=billed,
            files=tuple(ExportedFile(final, fmt, rows) for _, final, fmt in written),
        )
    finally:
        con.close()


def _literal(path: Path) -> str:
    # COPY ... TO takes no parameter for its file name; the name is ours (out_dir / a fixed stem)
    return str(path).replace("'", "''")


def _remove(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()
