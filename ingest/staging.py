"""Staging helpers shared by the adapters: turn a file into the temp table `_staged` with one row
per source record, every canonical field as text, `_line` (1-based line or row number) and `_raw`
(the record's source text). Each returns the records it rejected before field validation, as
(line, reason, raw text). The field validation itself is one step in ingest.loaders."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ingest.schemas import Field

Reject = tuple[int, str, str]
EXTRA = "extra"  # the canonical field that keeps source fields with no canonical column


class LoadError(Exception):
    """A file could not be loaded at all (names the file and the reason)."""


# Lines per Arrow batch a JSONL file streams into DuckDB in: a large file is never held in Python
# memory whole (DuckDB keeps the staged rows, within its memory limit, spilling to disk).
LINE_BATCH = 100_000
# Bytes read at a time; lines are split and decoded per chunk (C speed), not one by one.
CHUNK_BYTES = 32 << 20
BOM = b"\xef\xbb\xbf"


def _chunks_of_lines(path: Path) -> Iterator[tuple[int, list[bytes]]]:
    """(number of the first line, the lines) per chunk of the file, without their b"\n"."""
    number, rest = 1, b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            lines = (rest + chunk).split(b"\n")
            rest = lines.pop()  # the line the next chunk completes
            if number == 1 and lines and lines[0].startswith(BOM):
                lines[0] = lines[0][len(BOM) :]
            yield number, lines
            number += len(lines)
    if rest:
        yield number, [rest[len(BOM) :] if number == 1 and rest.startswith(BOM) else rest]


def _decode(first: int, lines: list[bytes], rejects: list[Reject]) -> tuple[pa.Array, pa.Array]:
    """Line numbers and texts of the lines that are UTF-8; the others are appended to `rejects`."""
    try:  # Arrow validates UTF-8 in C; on failure, find the bad lines one by one (rare)
        text = pa.array(lines, pa.binary()).cast(pa.string())
        numbers = range(first, first + len(lines))
    except pa.ArrowInvalid:
        texts, kept = [], []
        for number, raw in enumerate(lines, start=first):
            try:
                texts.append(raw.decode("utf-8"))
                kept.append(number)
            except UnicodeDecodeError as exc:
                rejects.append(
                    (
                        number,
                        f"not valid UTF-8 ({exc.reason} at byte {exc.start})",
                        raw.rstrip(b"\r").decode("utf-8", errors="replace"),
                    )
                )
        text, numbers = pa.array(texts, pa.string()), kept
    text = pc.utf8_rtrim(text, characters="\r")
    keep = pc.not_equal(pc.ascii_trim_whitespace(text), "")  # blank lines are skipped
    return pc.filter(pa.array(numbers, pa.int64()), keep), pc.filter(text, keep)


def line_batches(path: Path, rejects: list[Reject], size: int = LINE_BATCH) -> Iterator[pa.Table]:
    """Split a text file into tables of (line number, text), at most `size` lines each (at least one
    table, maybe empty); blank lines are skipped and lines that are not UTF-8 appended to `rejects`."""
    yielded = False
    for first, lines in _chunks_of_lines(path):
        numbers, texts = _decode(first, lines, rejects)
        for start in range(0, len(numbers), size):
            yield pa.table({"_line": numbers.slice(start, size), "_raw": texts.slice(start, size)})
            yielded = True
    if not yielded:
        yield _lines([], [])


def _lines(numbers: list[int], texts: list[str]) -> pa.Table:
    return pa.table({"_line": pa.array(numbers, pa.int64()), "_raw": pa.array(texts, pa.string())})


def lines_table(path: Path) -> tuple[pa.Table, list[Reject]]:
    """Split a text file into (line number, text); lines that are not UTF-8 are returned as rejects."""
    rejects: list[Reject] = []
    return pa.concat_tables(list(line_batches(path, rejects))), rejects


def stage_jsonl(con: duckdb.DuckDBPyConnection, path: Path, fields: tuple[Field, ...]) -> list[Reject]:
    rejects: list[Reject] = []
    named = [f.name for f in fields if f.name != EXTRA]
    # one parse per record: every path at once, into a list (DuckDB's multi-path json_extract_string)
    paths = "[" + ", ".join(f"'$.\"{name}\"'" for name in named) + "]"
    extracts = ", ".join(
        f'case when _object then {_extra_sql(fields)} end as "{EXTRA}"'
        if f.name == EXTRA
        else f'_v[{named.index(f.name) + 1}] as "{f.name}"'
        for f in fields
    )
    # The file's lines stream into one statement (an INSERT per batch of lines was slower: 1M lines
    # 18.3 s -> 8.3 s at the 2GB cap); lines that are not JSON objects are staged too, then moved to the
    # rejects.
    lines = pa.RecordBatchReader.from_batches(
        _lines([], []).schema, (batch for table in line_batches(path, rejects) for batch in table.to_batches())
    )
    con.register("_lines", lines)
    try:
        con.execute(
            f"create or replace temp table _staged as select _line, _raw, _object, {extracts} from ("
            f"select *, case when _object then json_extract_string(_raw, {paths}) end as _v from ("
            # a CASE, not AND: json_type raises on text that is not JSON, and AND evaluates both sides here
            "select *, case when json_valid(_raw) then json_type(_raw) = 'OBJECT' else false end as _object "
            "from _lines))"
        )
    finally:
        con.unregister("_lines")
    not_objects = con.execute(
        "select _line, case when not json_valid(_raw) then 'invalid JSON (truncated or malformed line)' "
        "else 'not a JSON object' end, _raw from _staged where not _object"
    ).fetchall()
    if not_objects:
        con.execute("delete from _staged where not _object")
    con.execute("alter table _staged drop column _object")
    return sorted(rejects + not_objects)


def _extra_sql(fields: tuple[Field, ...]) -> str:
    """Schema drift: keys of a JSON record that are not canonical fields are kept, as a JSON object,
    merged into the record's own `extra` object. JSON merge-patch with null values removes the known
    keys (RFC 7396), so this stays one vectorized expression."""
    known = json.dumps({f.name: None for f in fields})
    return (
        f"nullif(json_merge_patch(coalesce(json_extract(_raw, '$.{EXTRA}'), '{{}}'), "
        f"json_merge_patch(_raw, '{known}'))::varchar, '{{}}')"
    )


def stage_parquet(con: duckdb.DuckDBPyConnection, path: Path, fields: tuple[Field, ...]) -> list[Reject]:
    try:
        schema = pq.read_schema(path)
    except Exception as exc:  # broad: any unreadable parquet is one clear error
        raise LoadError(f"{path}: not a readable Parquet file ({exc})") from exc
    present = set(schema.names)
    cols = ", ".join(
        (
            _parquet_extra_sql(schema, fields)
            if f.name == EXTRA
            else f"cast({_ident(f.name)} as varchar)"
            if f.name in present
            else "null::varchar"
        )
        + f" as {_ident(f.name)}"
        for f in fields
    )
    con.execute(
        f"create or replace temp table _staged as select file_row_number + 1 as _line, "
        f"null::varchar as _raw, {cols} from read_parquet(?, file_row_number = true)",
        [str(path)],
    )
    return []


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _parquet_extra_sql(schema: pa.Schema, fields: tuple[Field, ...]) -> str:
    """Schema drift in Parquet, as in JSONL: columns that are not canonical fields are kept, as a JSON
    object, merged into the row's own `extra` (null values are left out)."""
    known = {f.name for f in fields}
    others = [n for n in schema.names if n not in known and n != "file_row_number"]
    if EXTRA in schema.names:
        kind = schema.field(EXTRA).type
        textual = pa.types.is_string(kind) or pa.types.is_large_string(kind)
        own = _ident(EXTRA) if textual else f"to_json({_ident(EXTRA)})::varchar"
    else:
        own = "null::varchar"
    if not others:
        return own
    packed = "to_json(struct_pack(" + ", ".join(f"{_ident(n)} := {_ident(n)}" for n in others) + "))"
    merged = f"nullif(json_merge_patch(coalesce({own}, '{{}}'), {packed})::varchar, '{{}}')"
    return f"case when {own} is null or json_valid({own}) then {merged} else {own} end"


def stage_csv(con: duckdb.DuckDBPyConnection, path: Path, fields: tuple[Field, ...]) -> list[Reject]:
    """CSV with a header row; quoted newlines allowed; the line number is where the record starts."""
    rejects: list[Reject] = []
    records: list[tuple[int, str, dict[str, str]]] = []
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(f"{path}: not valid UTF-8 ({exc.reason} at byte {exc.start})") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    missing = [f.name for f in fields if f.required and f.name not in header]
    if header and missing:
        raise LoadError(f"{path}: header lacks required column(s) {', '.join(missing)}")
    start = reader.line_num + 1
    for row in reader:
        number, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        raw = json.dumps(dict(zip(header, row)), ensure_ascii=False)
        if len(row) != len(header):
            rejects.append((number, f"expected {len(header)} fields, got {len(row)}", raw))
            continue
        records.append((number, raw, dict(zip(header, row))))
    stage_records(con, records, fields)
    return rejects


def stage_records(
    con: duckdb.DuckDBPyConnection, records: Iterable[tuple[int, str, Mapping[str, object]]], fields: tuple[Field, ...]
) -> None:
    """Stage records an adapter mapped in Python: (line, raw text, {canonical field: value})."""
    names = [f.name for f in fields]
    numbers: list[int] = []
    raws: list[str] = []
    columns: dict[str, list[str | None]] = {n: [] for n in names}
    for number, raw, values in records:
        numbers.append(number)
        raws.append(raw)
        for n in names:
            value = values.get(n)
            columns[n].append(None if value is None else str(value))
    table = pa.table(
        {
            "_line": pa.array(numbers, pa.int64()),
            "_raw": pa.array(raws, pa.string()),
            **{n: pa.array(v, pa.string()) for n, v in columns.items()},
        }
    )
    con.register("_records", table)
    con.execute("create or replace temp table _staged as select * from _records")
    con.unregister("_records")
