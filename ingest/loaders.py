"""Load landing files into DuckDB `raw`, keeping every rejected row in `raw.quarantine`.

How a load works, for every file under `<landing>/calls/<format>/...` and `<landing>/billing/<format>/...`:
1. The file is identified by the sha256 of its content. Content already loaded (under any name) is
   recorded as a duplicate and not loaded again, so re-running a load, or dropping a copy of a
   file, changes nothing. A path that comes back with other content (rewritten in place) replaces
   its earlier version: the old rows go, its raw.files row becomes 'superseded'.
   Hashing is skipped for a file whose path, size and modification time (st_mtime_ns) are those of its
   'loaded' or 'duplicate' row in raw.files: it is taken as unchanged without being read (a re-run does
   not re-read the whole history). A rewrite in place changes the mtime or the size, so it is hashed.
   The one case this misses: content changed while the size stays the same and the mtime is restored
   (`touch -r`, `os.utime`, or `cp -p` / an archive extraction of a same-size file carrying the same
   timestamp): it stays skipped. `touch` the file to force a re-check. A file modified less than 2 s
   (RECENT_MTIME_NS) before it is read gets no mtime recorded (some filesystems keep coarse
   timestamps, so a rewrite right after the read could keep the same one): the next run hashes it
   again and records it then.
2. An adapter (ingest/adapters/, chosen by kind, format folder and file extension) turns the file
   into a staged relation `_staged`: one row per source record with every canonical field as text,
   plus `_line` (1-based line or row number) and `_raw` (the source text of the row).
3. One validation step, generated from the field list in `ingest.schemas`, casts every field with
   explicit types and gives each row either typed values or the first failing field and a reason.
4. In one transaction: good rows go to `raw.<table>`, bad rows to `raw.quarantine` (file, line,
   field, reason, raw text), and the file to `raw.files` with its counts. The identity
   rows read = rows loaded + rows quarantined is checked before commit.
One bad file never stops the others: a file no adapter reads (a folder or extension no adapter serves,
content that cannot be parsed at all, a symlink out of the landing dir) is recorded in raw.files as
'rejected' with its reason, and is tried again on every run until it is fixed, moved or removed. For it,
and for a file whose rows were all quarantined, the loader says what the content looks like and where it
goes (ingest.sniff). Content moved to another format folder (after such a hint) replaces what its old
path loaded, once the old path is gone.
All SQL takes file paths and values as parameters; identifiers come only from ingest.schemas.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from ingest.adapters import ADAPTERS, supported
from ingest.schemas import FILE_COLUMNS, MAX_TOKENS_PER_CALL, MONEY, QUANTITY, TABLES, Field
from ingest.sniff import misplaced_hint
from ingest.staging import LoadError
from ingest.warehouse import RAW, ensure_raw_schema

KIND_TABLE = {"calls": "calls", "billing": "bill_lines"}
# Bounds of a plausible time (Field.plausible_time), UTC: earlier is a unit error (seconds read as
# nanoseconds land in 1970) or a placeholder; later than this after the load is a clock or unit error.
EARLIEST_PLAUSIBLE_TIME = "2000-01-01"
MAX_TIME_AHEAD_OF_LOAD = "1 day"
# A file modified less than this long before it is read is not trusted by its mtime (module docstring).
RECENT_MTIME_NS = 2_000_000_000
Progress = Callable[[str], None]


@dataclass(frozen=True)
class LandingFile:
    path: Path
    kind: str  # calls | billing
    format: str
    refused: str | None = None  # why it is not read at all (a symlink out of the landing dir)

    @property
    def table(self) -> str:
        return KIND_TABLE[self.kind]


@dataclass
class FileResult:
    path: str
    file_id: str
    status: str  # loaded | duplicate | skipped | rejected
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    min_day: str | None = None
    max_day: str | None = None
    duplicate_of: str | None = None
    changed_days: list[str] = field(default_factory=list)  # UTC days whose rows this file changed
    reason: str | None = None  # why a rejected file was not read
    hint: str | None = None  # what a rejected or all-quarantined file looks like, and where it goes

    @property
    def not_loaded(self) -> bool:
        """Rejected, or every row quarantined: the file needs a person (`finops materialize` exits 5)."""
        return self.status == "rejected" or (self.status == "loaded" and self.rows_read > 0 and not self.rows_loaded)


@dataclass
class LoadReport:
    files: list[FileResult] = field(default_factory=list)

    def total(self, attr: str, status: str = "loaded") -> int:
        return sum(getattr(f, attr) for f in self.files if f.status == status)

    @property
    def days(self) -> list[str]:
        """The UTC days whose rows changed in this load (raw.changed_days has them too)."""
        return sorted({d for f in self.files for d in f.changed_days})


# --------------------------------------------------------------------------------------------
# discovery


def discover(landing_dir: Path, kind: str | None = None) -> list[LandingFile]:
    """Every data file under calls/<format>/ and billing/<format>/, sorted by path.

    Hidden files and temp files (name starting with '.' or '_', or ending in .tmp/.part) are
    skipped: writers should write a temp name and rename. A symlink that resolves outside the
    landing dir is refused (returned with `refused` set, never read).
    """
    root = landing_dir.resolve()
    found: list[LandingFile] = []
    for kind_dir in ("calls", "billing"):
        if kind and kind != kind_dir:
            continue
        base = root / kind_dir
        if not base.is_dir():
            continue
        for fmt_dir in sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
            for path in sorted(fmt_dir.rglob("*")):
                rel_parts = path.relative_to(fmt_dir).parts
                if any(part.startswith((".", "_")) for part in rel_parts) or not path.is_file():
                    continue
                if path.name.endswith((".tmp", ".part")):
                    continue
                refused = None
                if not path.resolve().is_relative_to(root):
                    refused = f"{path}: symlink points outside the landing dir ({path.resolve()}); refused"
                found.append(LandingFile(path=path, kind=kind_dir, format=fmt_dir.name, refused=refused))
    return found


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------------------------------
# validation, generated from the field list


def _typed(f: Field, v: str) -> str:
    if f.duck_type == "VARCHAR":
        return v
    if f.duck_type == "BIGINT":
        return (
            f"case when regexp_full_match({v}, '[+-]?[0-9]+(\\.0+)?') "
            f"then try_cast(try_cast({v} as double) as bigint) end"
        )
    if f.duck_type == "TIMESTAMP":
        return f"try_cast(try_cast({v} as timestamptz) as timestamp)"
    if f.duck_type == "DATE":
        return f"try_cast({v} as date)"
    if f.duck_type in (MONEY, QUANTITY):
        return f"try_cast({v} as {f.duck_type})"
    raise ValueError(f"no cast rule for {f.duck_type}")


def _error(f: Field, v: str, t: str) -> str:
    checks = []
    if f.required:
        checks.append(f"when {v} is null then 'missing required field'")
    checks.append(f"when {v} is not null and {t} is null then 'not a valid {f.duck_type.lower()}: ' || {v}")
    if f.non_negative:
        checks.append(f"when {t} < 0 then 'negative value: ' || {v}")
    if f.name.endswith("_tokens"):
        checks.append(f"when {t} > {MAX_TOKENS_PER_CALL} then 'absurd token count: ' || {v}")
    if f.plausible_time:  # now() is the load's transaction start
        checks.append(
            f"when {t} < timestamp '{EARLIEST_PLAUSIBLE_TIME}' "
            f"then 'implausible time: ' || {v} || ' (before {EARLIEST_PLAUSIBLE_TIME})'"
        )
        checks.append(
            f"when {t} > timezone('UTC', now()) + interval '{MAX_TIME_AHEAD_OF_LOAD}' "
            f"then 'implausible time: ' || {v} || ' (more than {MAX_TIME_AHEAD_OF_LOAD} after the load)'"
        )
    return "case " + " ".join(checks) + " end"


def validation_sql(fields: tuple[Field, ...]) -> str:
    """SQL over `_staged` giving typed columns (defaults applied), `_field` and `_reason`."""
    values = ", ".join(f'nullif(trim("{f.name}"), \'\') as "v_{f.name}"' for f in fields)
    typed = ", ".join(f'{_typed(f, chr(34) + "v_" + f.name + chr(34))} as "t_{f.name}"' for f in fields)
    errors = [(f.name, _error(f, f'"v_{f.name}"', f'"t_{f.name}"')) for f in fields]
    names = {f.name for f in fields}
    if {"reasoning_tokens", "output_tokens"} <= names:
        errors.append(
            (
                "reasoning_tokens",
                (
                    'case when "t_reasoning_tokens" > "t_output_tokens" '
                    "then 'reasoning_tokens exceeds output_tokens' end"
                ),
            )
        )
    if {"ChargePeriodStart", "ChargePeriodEnd"} <= names:
        errors.append(
            (
                "ChargePeriodEnd",
                (
                    'case when "t_ChargePeriodEnd" <= "t_ChargePeriodStart" '
                    "then 'ChargePeriodEnd is not after ChargePeriodStart' end"
                ),
            )
        )
    field_expr = "case " + " ".join(f"when ({e}) is not null then '{n}'" for n, e in errors) + " end"
    reason_expr = "coalesce(" + ", ".join(e for _, e in errors) + ")"
    out = ", ".join(
        f'coalesce("t_{f.name}", {f.default})::{f.duck_type} as "{f.name}"'
        if f.default
        else f'"t_{f.name}"::{f.duck_type} as "{f.name}"'
        for f in fields
    )
    return (
        f"with v as (select _line, _raw, {values} from _staged), "
        f"t as (select *, {typed} from v), "
        f"e as (select *, {field_expr} as _field, {reason_expr} as _reason from t) "
        f"select _line, _raw, _field, _reason, {out} from e"
    )


# --------------------------------------------------------------------------------------------
# loading


def _supersede(con: duckdb.DuckDBPyConnection, lf: LandingFile, path_text: str, file_id: str) -> None:
    """The file at this path was loaded before with other content (rewritten in place: a monthly export
    re-issued, a file read while it was still being written): the new content replaces the old one's
    rows, which are marked 'superseded' in raw.files. If the old content is still present under another
    name (a 'duplicate' row), that copy takes over the rows instead. Runs inside the caller's transaction."""
    old_rows = con.execute(
        "select file_id, rows_read, rows_loaded, rows_quarantined, min_day, max_day from raw.files "
        "where file_path = ? and status = 'loaded' and file_id <> ?",
        [path_text, file_id],
    ).fetchall()
    for old_id, read, loaded, quarantined, min_day, max_day in old_rows:
        heir = con.execute(
            "select file_path from raw.files where file_id = ? and status = 'duplicate' and file_path <> ? "
            "order by loaded_at, file_path limit 1",
            [old_id, path_text],
        ).fetchone()
        if heir:
            con.execute(
                "update raw.files set status = 'loaded', duplicate_of = null, rows_read = ?, rows_loaded = ?, "
                "rows_quarantined = ?, min_day = ?, max_day = ? where file_id = ? and file_path = ?",
                [read, loaded, quarantined, min_day, max_day, old_id, heir[0]],
            )
            con.execute(
                "update raw.files set duplicate_of = ? where file_id = ? and status = 'duplicate'", [heir[0], old_id]
            )
            con.execute("update raw.quarantine set file_path = ? where file_id = ?", [heir[0], old_id])
        else:
            con.execute(f"delete from {RAW}.{lf.table} where _file_id = ?", [old_id])
            con.execute(f"delete from {RAW}.quarantine where file_id = ?", [old_id])
        con.execute(
            "update raw.files set status = 'superseded' where file_id = ? and file_path = ? and status = 'loaded'",
            [old_id, path_text],
        )
    # an older content recorded here as a duplicate of another file is no longer here either
    con.execute(
        "update raw.files set status = 'superseded' where file_path = ? and status = 'duplicate' and file_id <> ?",
        [path_text, file_id],
    )


def _day_expr(table: str) -> str:
    return '"started_at"::date' if table == "calls" else '"ChargePeriodStart"::date'


def _fingerprints(con: duckdb.DuckDBPyConnection, table: str, relation: str, params: list) -> dict[str, tuple]:
    """Per UTC day: the number of rows and a sum of their content hashes (lineage columns left out), so
    a file re-issued with the same lines, in any order or layout, compares equal day by day."""
    cols = ", ".join(f'"{f.name}"' for f in TABLES[table])
    return {
        str(day): (n, h)
        for day, n, h in con.execute(
            f"select {_day_expr(table)} as day, count(*), sum(hash({cols})::hugeint)::varchar "
            f"from {relation} group by 1",
            params,
        ).fetchall()
    }


def _old_rows(con: duckdb.DuckDBPyConnection, lf: LandingFile, path_text: str, file_id: str) -> dict[str, dict]:
    """Per earlier content loaded at this path (about to be superseded): its rows' day fingerprints."""
    old_ids = [
        r[0]
        for r in con.execute(
            "select file_id from raw.files where file_path = ? and status = 'loaded' and file_id <> ?",
            [path_text, file_id],
        ).fetchall()
    ]
    return {old: _fingerprints(con, lf.table, f"{RAW}.{lf.table} where _file_id = ?", [old]) for old in old_ids}


def _changed_days(
    con: duckdb.DuckDBPyConnection, lf: LandingFile, path_text: str, old: dict[str, dict], new: dict[str, tuple]
) -> list[str]:
    """The days whose rows differ once this file's content replaced the earlier ones (whose rows are gone
    unless another copy of that content took them over), recorded in raw.changed_days."""
    before: dict[str, list] = {}
    for old_id, prints in old.items():
        still_there = con.execute(f"select count(*) from {RAW}.{lf.table} where _file_id = ?", [old_id]).fetchone()[0]
        if still_there:
            continue
        for day, (n, h) in prints.items():
            acc = before.setdefault(day, [0, 0])
            acc[0] += n
            acc[1] += int(h)
    after = {day: [n, int(h)] for day, (n, h) in new.items()}
    days = sorted(d for d in set(before) | set(after) if before.get(d) != after.get(d))
    if days:
        con.executemany(
            "insert into raw.changed_days values (?, ?, ?, now(), null)", [[d, lf.kind, path_text] for d in days]
        )
    return days


def _record_file(con: duckdb.DuckDBPyConnection, **values: object) -> None:
    """Insert one raw.files row by column name; every column of FILE_COLUMNS but loaded_at (now()) is given.
    An earlier rejection of the file at this path is replaced: this row says what became of it."""
    names = [name for name, _ in FILE_COLUMNS if name != "loaded_at"]
    if set(values) != set(names):
        raise ValueError(f"raw.files row: expected {sorted(names)}, got {sorted(values)}")
    con.execute("delete from raw.files where file_path = ? and status = 'rejected'", [values["file_path"]])
    con.execute(
        f"insert into {RAW}.files ({', '.join(f'{chr(34)}{n}{chr(34)}' for n in names)}, loaded_at) "
        f"values ({', '.join('?' for _ in names)}, now())",
        [values[name] for name in names],
    )


def _unchanged(con: duckdb.DuckDBPyConnection, path_text: str, size: int, mtime_ns: int) -> tuple[str, str] | None:
    """(file_id, path of the loaded copy) when the file at this path has the size and mtime recorded with
    its current content (a 'loaded' or 'duplicate' row): it is unchanged and need not be read."""
    return con.execute(
        "select f.file_id, l.file_path from raw.files f "
        "join raw.files l on l.file_id = f.file_id and l.status = 'loaded' "
        "where f.file_path = ? and f.status in ('loaded', 'duplicate') and f.size_bytes = ? and f.mtime_ns = ? "
        "limit 1",
        [path_text, size, mtime_ns],
    ).fetchone()


def load_file(con: duckdb.DuckDBPyConnection, lf: LandingFile) -> FileResult:
    if lf.refused:
        raise LoadError(lf.refused)
    ext = lf.path.suffix.lower()
    stager = ADAPTERS.get((lf.kind, lf.format, ext))
    if stager is None:
        choices = supported(lf.kind, lf.format)
        raise LoadError(
            f"{lf.path}: no adapter for {lf.kind}/{lf.format} files ending in '{ext}'"
            + (f" (supported: {', '.join(choices)})" if choices else f" (unknown format '{lf.format}')")
        )
    path_text = str(lf.path)
    st = lf.path.stat()  # before reading: a change made after this shows as a new mtime or size next run
    same = _unchanged(con, path_text, st.st_size, st.st_mtime_ns)
    if same:
        return FileResult(path=path_text, file_id=same[0], status="skipped", duplicate_of=same[1])
    mtime_ns = st.st_mtime_ns if time.time_ns() - st.st_mtime_ns >= RECENT_MTIME_NS else None
    file_id = file_sha256(lf.path)
    known = con.execute(
        "select file_path, kind, format from raw.files where file_id = ? and status = 'loaded' limit 1", [file_id]
    ).fetchone()
    if known and (known[1], known[2]) != (lf.kind, lf.format) and not Path(known[0]).exists():
        _withdraw_moved(con, file_id, known[0], known[1])
        known = None
    if known:
        changed: list[str] = []
        seen = con.execute(
            "select 1 from raw.files where file_id = ? and file_path = ? and status <> 'superseded'",
            [file_id, path_text],
        ).fetchone()
        if not seen:
            con.execute("begin transaction")
            try:
                old = _old_rows(con, lf, path_text, file_id)
                _supersede(con, lf, path_text, file_id)
                changed = _changed_days(con, lf, path_text, old, {})
                _record_file(
                    con,
                    file_id=file_id,
                    file_path=path_text,
                    kind=lf.kind,
                    format=lf.format,
                    size_bytes=st.st_size,
                    mtime_ns=mtime_ns,
                    status="duplicate",
                    duplicate_of=known[0],
                    rows_read=0,
                    rows_loaded=0,
                    rows_quarantined=0,
                    min_day=None,
                    max_day=None,
                    reason=None,
                    hint=None,
                )
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
        else:  # same content, another mtime (touched, copied back, or a row from before mtime_ns): remember it
            con.execute(
                "update raw.files set mtime_ns = ? where file_id = ? and file_path = ? and size_bytes = ? "
                "and status <> 'superseded' and mtime_ns is distinct from ?",
                [mtime_ns, file_id, path_text, st.st_size, mtime_ns],
            )
        return FileResult(
            path=path_text,
            file_id=file_id,
            status="duplicate" if not seen else "skipped",
            duplicate_of=known[0],
            changed_days=changed if not seen else [],
        )

    fields = TABLES[lf.table]
    con.execute("begin transaction")
    try:
        old = _old_rows(con, lf, path_text, file_id)
        _supersede(con, lf, path_text, file_id)
        rejects = stager(con, lf.path, fields)
        con.execute(f"create or replace temp table _validated as {validation_sql(fields)}")
        names = ", ".join(f'"{f.name}"' for f in fields)
        con.execute(
            # by name: a raw table that gained a column later (warehouse.ensure_raw_schema) has it last
            f"insert into {RAW}.{lf.table} by name select {names}, ? as _file_id, _line, now() as _loaded_at "
            "from _validated where _reason is null",
            [file_id],
        )
        packed = ", ".join(f'"{f.name}" := "{f.name}"' for f in fields)
        con.execute(
            f"insert into {RAW}.quarantine select ?, ?, _line, _field, _reason, "
            f"coalesce(_raw, to_json(struct_pack({packed}))::varchar), now() "
            "from _validated where _reason is not null",
            [file_id, path_text],
        )
        if rejects:  # one vectorized insert: a file of a million bad lines must not take an hour
            con.register(
                "_rejects",
                pa.table(
                    {
                        "line": pa.array([r[0] for r in rejects], pa.int64()),
                        "reason": pa.array([r[1] for r in rejects], pa.string()),
                        "raw": pa.array([r[2] for r in rejects], pa.string()),
                    }
                ),
            )
            con.execute(
                f"insert into {RAW}.quarantine select ?, ?, line, '_row', reason, raw, now() from _rejects",
                [file_id, path_text],
            )
            con.unregister("_rejects")
        staged, loaded, bad = con.execute(
            "select count(*), count(*) filter (where _reason is null), count(*) filter (where _reason is not null) "
            "from _validated"
        ).fetchone()
        ts = "started_at" if lf.kind == "calls" else "ChargePeriodStart"
        min_day, max_day = con.execute(
            f'select min("{ts}")::date::varchar, max("{ts}")::date::varchar from _validated where _reason is null'
        ).fetchone()
        changed = _changed_days(
            con, lf, path_text, old, _fingerprints(con, lf.table, "_validated where _reason is null", [])
        )
        quarantined = bad + len(rejects)
        rows_read = staged + len(rejects)
        if rows_read != loaded + quarantined:
            raise LoadError(f"{lf.path}: rows read {rows_read} != loaded {loaded} + quarantined {quarantined}")
        hint = misplaced_hint(lf.path, lf.kind, lf.format) if quarantined and not loaded else None
        _record_file(
            con,
            file_id=file_id,
            file_path=path_text,
            kind=lf.kind,
            format=lf.format,
            size_bytes=st.st_size,
            mtime_ns=mtime_ns,
            status="loaded",
            duplicate_of=None,
            rows_read=rows_read,
            rows_loaded=loaded,
            rows_quarantined=quarantined,
            min_day=min_day,
            max_day=max_day,
            reason=None,
            hint=hint,
        )
        con.execute("drop table if exists _validated")
        con.execute("drop table if exists _staged")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return FileResult(
        path=path_text,
        file_id=file_id,
        status="loaded",
        rows_read=rows_read,
        rows_loaded=loaded,
        rows_quarantined=quarantined,
        min_day=min_day,
        max_day=max_day,
        changed_days=changed,
        hint=hint,
    )


def _withdraw_moved(con: duckdb.DuckDBPyConnection, file_id: str, old_path: str, old_kind: str) -> None:
    """The content loaded from `old_path` (now gone) came back in another format folder, most likely moved
    there after a hint: its rows as the old format read them go (and their days are rebuilt), its raw.files
    row becomes 'superseded', so the content loads afresh with the right adapter."""
    table = KIND_TABLE[old_kind]
    con.execute("begin transaction")
    try:
        days = _fingerprints(con, table, f"{RAW}.{table} where _file_id = ?", [file_id])
        if days:
            con.executemany(
                "insert into raw.changed_days values (?, ?, ?, now(), null)", [[d, old_kind, old_path] for d in days]
            )
        con.execute(f"delete from {RAW}.{table} where _file_id = ?", [file_id])
        con.execute(f"delete from {RAW}.quarantine where file_id = ?", [file_id])
        con.execute(
            "update raw.files set status = 'superseded' where file_id = ? and status in ('loaded', 'duplicate')",
            [file_id],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


# what makes one file unreadable without saying anything about the others
FILE_ERRORS = (
    LoadError,
    OSError,
    UnicodeError,
    duckdb.InvalidInputException,
    duckdb.ConversionException,
    duckdb.BinderException,
    duckdb.ParserException,
)


def _reject(con: duckdb.DuckDBPyConnection, lf: LandingFile, reason: str) -> FileResult:
    """Record a file no adapter read as 'rejected' in raw.files, with the reason and a hint."""
    path_text = str(lf.path)
    try:
        size = lf.path.stat().st_size
        file_id = None if lf.refused else file_sha256(lf.path)
    except OSError:
        size, file_id = None, None
    hint = None if lf.refused or size is None else misplaced_hint(lf.path, lf.kind, lf.format)
    file_id = file_id or "path:" + hashlib.sha256(path_text.encode()).hexdigest()  # unread: named by its path
    _record_file(
        con,
        file_id=file_id,
        file_path=path_text,
        kind=lf.kind,
        format=lf.format,
        size_bytes=size,
        mtime_ns=None,
        status="rejected",
        duplicate_of=None,
        rows_read=0,
        rows_loaded=0,
        rows_quarantined=0,
        min_day=None,
        max_day=None,
        reason=reason,
        hint=hint,
    )
    return FileResult(path=path_text, file_id=file_id, status="rejected", reason=reason, hint=hint)


def load_landing(
    con: duckdb.DuckDBPyConnection, landing_dir: Path, kind: str | None = None, progress: Progress | None = None
) -> LoadReport:
    """Load every new file of the landing dir (or of one kind). Safe to re-run. A landing dir that does
    not exist is an error (a mistyped FINOPS_LANDING_DIR must not end green with nothing loaded)."""
    if not Path(landing_dir).is_dir():
        raise LoadError(
            f"the landing dir {landing_dir} does not exist: set FINOPS_LANDING_DIR to the folder that holds "
            "calls/ and billing/ (or create it)"
        )
    ensure_raw_schema(con)
    files = discover(landing_dir, kind)
    _forget_rejections_of_gone_files(con, files, kind)
    report = LoadReport()
    for i, lf in enumerate(files, start=1):
        try:
            result = load_file(con, lf)
        except FILE_ERRORS as exc:
            reason = (str(exc).splitlines() or [type(exc).__name__])[0].removeprefix(f"{lf.path}: ")
            result = _reject(con, lf, reason)
        report.files.append(result)
        if progress and result.status != "skipped":
            progress(f"[{i}/{len(files)}] {lf.path.relative_to(landing_dir)}: {_describe(result)}")
    return report


def _describe(result: FileResult) -> str:
    if result.status == "rejected":
        return f"REJECTED, {result.reason}" + (f" ({result.hint})" if result.hint else "")
    if result.status == "duplicate":
        return f"duplicate, same content as {result.duplicate_of}, not loaded again"
    text = f"loaded, {result.rows_loaded} loaded, {result.rows_quarantined} quarantined"
    if result.not_loaded:
        text += " - EVERY ROW QUARANTINED" + (f" ({result.hint})" if result.hint else "")
    return text


def _forget_rejections_of_gone_files(
    con: duckdb.DuckDBPyConnection, files: list[LandingFile], kind: str | None
) -> None:
    """A rejection describes a file in the landing dir now: once the file is gone (moved, removed), so is it."""
    present = [str(lf.path) for lf in files]
    con.execute(
        "delete from raw.files where status = 'rejected' and (?::varchar is null or kind = ?) "
        "and not list_contains(?::varchar[], file_path)",
        [kind, kind, present],
    )


@dataclass(frozen=True)
class UnloadedFile:
    path: str
    problem: str  # 'rejected: <reason>' or 'every row quarantined (n)'
    hint: str | None


def unloaded_files(con: duckdb.DuckDBPyConnection) -> list[UnloadedFile]:
    """Landing files present now that the last load did not read: rejected ones, and loaded ones whose every
    row was quarantined (a file removed since is left out). `finops materialize` exits 5 while any remain."""
    rows = con.execute(
        "select file_path, status, reason, rows_quarantined, hint from raw.files "
        "where status = 'rejected' or (status = 'loaded' and rows_read > 0 and rows_loaded = 0) order by file_path"
    ).fetchall()
    return [
        UnloadedFile(
            path=path,
            problem=f"rejected: {reason}" if status == "rejected" else f"every row quarantined ({quarantined:,})",
            hint=hint,
        )
        for path, status, reason, quarantined, hint in rows
        if Path(path).exists()
    ]
