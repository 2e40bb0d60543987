"""LiteLLM proxy spend logs straight from its PostgreSQL database -> calls/litellm/pull/YYYY/MM/YYYY-MM-DD.jsonl.

The table is LiteLLM's `LiteLLM_SpendLogs` (BerriAI/litellm schema.prisma), read with dlt's sql_database
source (`sql_table`, SQLAlchemy + psycopg) and only the columns the adapter uses (`COLUMNS`): never the
prompt and response payloads (messages, response, proxy_server_request) nor requester_ip_address.

Incremental by startTime, one file per UTC day of startTime: for a day without a landed file the whole day is
read; for a day with one, only rows from (the latest startTime in that file - the overlap) to the end of the
day, with dlt's `incremental("startTime", initial_value, end_value)` (the bounds become the query's WHERE
clause). The overlap (FINOPS_LITELLM_OVERLAP_MINUTES, default 60) catches the rows LiteLLM writes late: it
batches its spend-log writes, so a row can land after rows that started later. New rows are merged with the
landed ones by request_id (a row read again replaces its earlier copy), sorted by (startTime, request_id),
and the file is rewritten only if that changed it; the loader then replaces the day's earlier version. A row
that arrives later than the overlap behind the newest landed row of its day is only read when the day is
pulled without its file (delete the file, or pull into an empty landing dir).

Credentials: LITELLM_DATABASE_URL (postgresql://user:password@host:port/db; the same URL LiteLLM's
DATABASE_URL holds, better for a read-only user), else dlt secret `sources.litellm.credentials`.
FINOPS_LITELLM_TABLE (default LiteLLM_SpendLogs) and FINOPS_LITELLM_SCHEMA (default: the search path).
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from ingest.adapters.litellm import COLUMNS as SPEND_LOG_COLUMNS
from ingest.connectors.common import (
    FileOutcome,
    MissingCredential,
    PullError,
    PullReport,
    day_bounds,
    day_file,
    secret,
    setting,
    write_records,
)

NAME = "litellm"
TABLE = "LiteLLM_SpendLogs"
# what ingest.adapters.litellm maps or keeps in `extra` (its CSV columns), less the IP address, plus agent_id;
# the payload columns (messages, response, proxy_server_request) are never read. api_key is LiteLLM's hash of
# the virtual key, not the key.
COLUMNS = [c for c in SPEND_LOG_COLUMNS if c != "requester_ip_address"] + ["agent_id"]
OVERLAP_ENV = "FINOPS_LITELLM_OVERLAP_MINUTES"
DEFAULT_OVERLAP_MINUTES = 60


def credentials() -> dict[str, str]:
    url = secret("LITELLM_DATABASE_URL", "sources.litellm.credentials", "litellm")
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    return {
        "url": url,
        "table": setting("FINOPS_LITELLM_TABLE", TABLE) or TABLE,
        "schema": setting("FINOPS_LITELLM_SCHEMA") or "",
    }


def overlap() -> timedelta:
    text = os.environ.get(OVERLAP_ENV, "").strip() or str(DEFAULT_OVERLAP_MINUTES)
    try:
        return timedelta(minutes=float(text))
    except ValueError:
        raise MissingCredential(f"{OVERLAP_ENV}={text!r} is not a number of minutes") from None


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _json_value(value: object) -> object:
    if isinstance(value, datetime):
        return _naive_utc(value).isoformat()  # LiteLLM's columns are timestamp(3) without time zone, in UTC
    if isinstance(value, date):
        return value.isoformat()
    return value


def _landed(path: Path) -> dict[str, dict]:
    if not path.exists():
        return {}
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {str(r["request_id"]): r for r in rows}


def read_rows(creds: dict[str, str], lower: datetime, upper: datetime) -> list[dict]:
    """Rows with lower <= startTime < upper (naive UTC bounds), selected columns only."""
    import dlt
    from dlt.sources.sql_database import sql_table
    from sqlalchemy.exc import SQLAlchemyError

    incremental = dlt.sources.incremental(
        "startTime", initial_value=lower, end_value=upper, range_start="closed", range_end="open"
    )
    try:
        resource = sql_table(
            credentials=creds["url"],
            table=creds["table"],
            schema=creds["schema"] or None,
            incremental=incremental,
            included_columns=COLUMNS,
            backend="sqlalchemy",
            reflection_level="minimal",
            chunk_size=10_000,
        )
        rows = list(resource)
    except (SQLAlchemyError, OSError) as exc:
        raise PullError(f"{NAME}: cannot read {creds['table']}: {_first_line(exc, creds['url'])}") from None
    except Exception as exc:  # noqa: BLE001 - dlt wraps driver errors in its own pipe exceptions
        raise PullError(f"{NAME}: cannot read {creds['table']}: {_first_line(exc, creds['url'])}") from None
    return [{k: _json_value(v) for k, v in row.items()} for row in rows]


def _first_line(exc: BaseException, url: str) -> str:
    """The root cause's first line, with the database URL's password (if any) blanked out."""
    root: BaseException = exc
    while root.__cause__ is not None or root.__context__ is not None:
        root = root.__cause__ or root.__context__  # type: ignore[assignment]
    text = (str(root).strip().splitlines() or [type(root).__name__])[0]
    from sqlalchemy.engine import make_url

    try:
        password = make_url(url).password
    except Exception:  # noqa: BLE001 - an unparseable URL has no password to hide that we could find
        password = None
    if password:
        text = text.replace(str(password), "***")
    return f"{type(root).__name__}: {text}"


def pull(days: list[date], landing: Path) -> PullReport:
    creds = credentials()
    lag = overlap()
    report = PullReport(NAME)
    started = time.perf_counter()
    for day in days:
        path = day_file(landing, "calls", "litellm", day, ".jsonl")
        day_start, day_end = (_naive_utc(b) for b in day_bounds(day))
        landed = _landed(path)
        lower = day_start
        if landed:
            newest = max(datetime.fromisoformat(str(r["startTime"])) for r in landed.values())
            lower = max(day_start, _naive_utc(newest) - lag)
        rows = read_rows(creds, lower, day_end)
        report.rows += len(rows)
        merged = {**landed, **{str(r["request_id"]): r for r in rows}}
        records = sorted(merged.values(), key=lambda r: (str(r["startTime"]), str(r["request_id"])))
        status = write_records(path, records) if records else "empty"
        report.files.append(FileOutcome(path, day.isoformat(), len(rows), status))
    report.seconds = time.perf_counter() - started
    return report
