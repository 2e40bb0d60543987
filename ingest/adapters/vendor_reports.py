"""What the vendors' admin report APIs have in common (OpenAI costs and usage, Anthropic cost and
usage reports): paged JSON read and written exactly, the results in them, the value conversions they
need, and staging a report's results as bill lines. The vendor formats themselves live in
ingest.adapters.openai_billing and ingest.adapters.anthropic_billing."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb

from ingest.schemas import UNKNOWN, Field
from ingest.staging import Reject, stage_records

USAGE_DESCRIPTION = "usage report (no cost)"
RAW_LIMIT = 4096  # characters of an unparseable file kept in the quarantine row


def dumps_exact(value: object, indent: int | None = None) -> str:
    """JSON (compact unless indented) with Decimal values written as the exact numbers they hold."""

    def mark(v: object) -> object:
        if isinstance(v, Decimal):
            return f"\x00{v}\x00"
        if isinstance(v, Mapping):
            return {str(k): mark(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [mark(x) for x in v]
        return v

    text = json.dumps(
        mark(value), ensure_ascii=False, indent=indent, separators=(",", ": ") if indent is not None else (",", ":")
    )
    return re.sub(r'"\\u0000([^"\\]*)\\u0000"', r"\1", text)


def as_text(value: object) -> str | None:
    """A source value as the text handed to validation (None stays None)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else str(value)
    if isinstance(value, (int, str)):
        return str(value)
    if isinstance(value, (Mapping, list, tuple)):
        return dumps_exact(value)
    return str(value)


def to_decimal(value: object) -> Decimal | None:
    """Exact Decimal of a JSON number or numeric string; None when it is not one."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            d = Decimal(value.strip())
        except InvalidOperation:
            return None
        return d if d.is_finite() else None
    return None


def exact_amount(value: object) -> str | None:
    """Money as exact decimal text; a non-number is passed through so validation names it."""
    d = to_decimal(value)
    return format(d, "f") if d is not None else as_text(value)


def cents_to_units(value: object) -> str | None:
    """An amount in the lowest currency unit ("123.45" cents) as exact major units ("1.2345")."""
    d = to_decimal(value)
    return format(d.scaleb(-2), "f") if d is not None else as_text(value)


def unix_to_utc(value: object) -> str | None:
    """Unix seconds (number or digit string) as an ISO UTC timestamp; anything else passes through."""
    d = to_decimal(value)
    if d is None:
        return as_text(value)
    whole = int(d)
    try:
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=whole, microseconds=int((d - whole) * 1_000_000))
    except OverflowError:
        return as_text(value)
    return moment.isoformat()


def service_tier(value: object, batch: bool = False) -> str:
    """Vendor service tier -> standard | batch | priority; unrecognised values pass through lower-cased."""
    if batch:
        return "batch"
    text = (as_text(value) or "").strip().lower()
    if text in ("", "default", "standard", "auto", "on_demand", "null"):
        return "standard"
    if text in ("priority", "priority_on_demand"):
        return "priority"
    return text


@dataclass(frozen=True)
class Result:
    number: int  # 1-based ordinal of the result in the file
    bucket: Mapping[str, object]  # the time bucket without its results
    result: Mapping[str, object]

    def raw(self, start_key: str, end_key: str) -> str:
        return dumps_exact({start_key: self.bucket.get(start_key), end_key: self.bucket.get(end_key), **self.result})


def read_pages(path: Path) -> tuple[list[object], list[Reject]]:
    """Pages of a report file: one JSON page, a JSON array of pages, or JSONL (one page per line)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [
            (
                1,
                f"not valid UTF-8 ({exc.reason} at byte {exc.start})",
                data[:RAW_LIMIT].decode("utf-8", errors="replace"),
            )
        ]
    if not text.strip():
        return [], []
    try:
        document = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
        if len(lines) > 1 and _is_json(lines[0][1]):
            return _jsonl_pages(lines)
        return [], [(exc.lineno, f"invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})", text[:RAW_LIMIT])]
    if isinstance(document, list):
        return document, []
    return [document], []


def _is_json(line: str) -> bool:
    try:
        json.loads(line)
    except json.JSONDecodeError:
        return False
    return True


def _jsonl_pages(lines: Sequence[tuple[int, str]]) -> tuple[list[object], list[Reject]]:
    pages: list[object] = []
    rejects: list[Reject] = []
    for number, line in lines:
        try:
            pages.append(json.loads(line, parse_float=Decimal))
        except json.JSONDecodeError:
            rejects.append((number, "invalid JSON (truncated or malformed line)", line))
    return pages, rejects


def iter_results(pages: Iterable[object], rejects: list[Reject]) -> Iterator[Result]:
    """Results of every bucket of every page, numbered in file order; malformed parts become rejects."""
    number = 0
    for page in pages:
        buckets = page.get("data") if isinstance(page, Mapping) else None
        if not isinstance(buckets, list):
            number += 1
            rejects.append((number, "not a report page (no 'data' list)", dumps_exact(page)[:RAW_LIMIT]))
            continue
        for bucket in buckets:
            results = None
            if isinstance(bucket, Mapping):
                # "results" is what the APIs return; some OpenAI reference examples spell it "result"
                results = bucket.get("results", bucket.get("result"))
            if not isinstance(results, list):
                number += 1
                rejects.append((number, "time bucket without a 'results' list", dumps_exact(bucket)[:RAW_LIMIT]))
                continue
            context = {k: v for k, v in bucket.items() if k not in ("results", "result")}
            for result in results:
                number += 1
                if not isinstance(result, Mapping):
                    rejects.append((number, "result is not a JSON object", dumps_exact(result)))
                    continue
                yield Result(number, context, result)


def line_day_bounds(line: Mapping[str, object]) -> tuple[datetime, datetime]:
    """ChargePeriodStart / ChargePeriodEnd of a canonical bill-line dict as aware UTC datetimes."""
    return _as_datetime(line["ChargePeriodStart"]), _as_datetime(line["ChargePeriodEnd"])


def _as_datetime(value: object) -> datetime:
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    else:
        dt = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def line_amount(line: Mapping[str, object], key: str = "BilledCost") -> Decimal:
    value = line.get(key)
    d = to_decimal(repr(value) if isinstance(value, float) else value)
    if d is None:
        raise ValueError(f"{key} of {dict(line)} is not a decimal")
    return d


def line_value(line: Mapping[str, object], key: str, default: str = UNKNOWN) -> str:
    value = line.get(key)
    text = "" if value is None else str(value).strip()
    return text or default


def write_text(path: Path, text: str) -> None:
    """Write through a temp name (ignored by discovery) and rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def dump_pages(pages: Sequence[Mapping[str, object]], path: Path) -> None:
    """Pages as indented JSON (.json: one page, or an array of pages) or one page per line (.jsonl)."""
    if path.suffix.lower() == ".jsonl":
        write_text(path, "".join(dumps_exact(p) + "\n" for p in pages))
    else:
        write_text(path, dumps_exact(pages[0] if len(pages) == 1 else list(pages), indent=2) + "\n")


def stage_pages(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    fields: tuple[Field, ...],
    to_lines: Callable[[Result], tuple[list[dict[str, object]], str | None]],
    time_keys: tuple[str, str],
) -> list[Reject]:
    """Stage every result of a vendor report file: `to_lines` maps a result to its bill lines, or
    names the problem that sends the result to quarantine. Shared by the OpenAI and Anthropic formats."""
    pages, rejects = read_pages(path)
    records = []
    for item in iter_results(pages, rejects):
        raw = item.raw(*time_keys)
        lines, problem = to_lines(item)
        if problem:
            rejects.append((item.number, problem, raw))
        records.extend((item.number, raw, line) for line in lines)
    stage_records(con, records, fields)
    return rejects
