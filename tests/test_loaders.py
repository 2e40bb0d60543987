"""Loaders: explicit types, UTC, quarantine with file/line/field/reason, idempotency by content."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingest import loaders
from ingest.loaders import FileResult, load_landing
from ingest.schemas import BILL_FIELDS, FILE_COLUMNS
from ingest.warehouse import connect

GOOD = {
    "call_id": "c1",
    "started_at": "2026-10-01T12:00:00Z",
    "provider": "OpenAI",
    "model_requested": "gpt-4o",
    "input_uncached_tokens": 100,
    "output_tokens": 20,
}


def _write_jsonl(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _row(**overrides) -> str:
    return json.dumps({**GOOD, **overrides})


@pytest.fixture
def landing(tmp_path) -> Path:
    return tmp_path / "landing"


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "wh.duckdb")
    yield con
    con.close()


def _quarantine(con) -> list[tuple]:
    return con.execute("select line, field, reason from raw.quarantine order by file_path, line").fetchall()


def test_bad_rows_are_quarantined_with_reason_and_the_rest_loads(landing, con):
    path = _write_jsonl(
        landing / "calls/canonical/2026/10/01/a.jsonl",
        [
            _row(call_id="ok1"),
            _row(call_id="bad-type", input_uncached_tokens="12x"),
            '{"call_id": "trunc", "started_at": "2026-10',
            _row(call_id="neg", output_tokens=-5),
            _row(call_id="no-ts", started_at=None),
            _row(call_id="absurd", output_tokens=10**12),
            _row(call_id="reason", output_tokens=5, reasoning_tokens=9),
            "[1, 2]",
            _row(call_id="ok2"),
        ],
    )
    report = load_landing(con, landing)
    (result,) = report.files
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (9, 2, 7)
    assert _quarantine(con) == [
        (2, "input_uncached_tokens", "not a valid bigint: 12x"),
        (3, "_row", "invalid JSON (truncated or malformed line)"),
        (4, "output_tokens", "negative value: -5"),
        (5, "started_at", "missing required field"),
        (6, "output_tokens", f"absurd token count: {10**12}"),
        (7, "reasoning_tokens", "reasoning_tokens exceeds output_tokens"),
        (8, "_row", "not a JSON object"),
    ]
    raw_text, file_path = con.execute("select raw, file_path from raw.quarantine where line = 2").fetchone()
    assert json.loads(raw_text)["call_id"] == "bad-type" and file_path == str(path)
    assert con.execute("select call_id from raw.calls order by 1").fetchall() == [("ok1",), ("ok2",)]


def test_implausible_call_times_are_quarantined_and_the_rest_loads(landing, con):
    """A started_at before 2000-01-01 (a unit error: seconds read as nanoseconds land in 1970) or more than
    a day after the load is quarantined on started_at, in every call format (one rule, from the schema)."""
    from datetime import UTC, datetime, timedelta

    soon = (datetime.now(UTC) + timedelta(hours=20)).strftime("%Y-%m-%dT%H:%M:%SZ")  # clock skew: fine
    later = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    _write_jsonl(
        landing / "calls/canonical/a.jsonl",
        [
            _row(call_id="ok1"),
            _row(call_id="epoch", started_at="1970-01-01T00:00:01.76Z"),
            _row(call_id="y2k-eve", started_at="1999-12-31T23:59:59Z"),
            _row(call_id="y2k", started_at="2000-01-01T00:00:00Z"),
            _row(call_id="soon", started_at=soon),
            _row(call_id="later", started_at=later),
        ],
    )
    report = load_landing(con, landing)
    (result,) = report.files
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (6, 3, 3)
    assert _quarantine(con) == [
        (2, "started_at", "implausible time: 1970-01-01T00:00:01.76Z (before 2000-01-01)"),
        (3, "started_at", "implausible time: 1999-12-31T23:59:59Z (before 2000-01-01)"),
        (6, "started_at", f"implausible time: {later} (more than 1 day after the load)"),
    ]
    assert con.execute("select call_id from raw.calls order by 1").fetchall() == [("ok1",), ("soon",), ("y2k",)]


def test_defaults_types_and_utc(landing, con):
    _write_jsonl(
        landing / "calls/canonical/a.jsonl",
        [
            _row(call_id="offset", started_at="2026-10-01T01:30:00+02:00"),
            _row(call_id="naive", started_at="2026-10-01 23:59:59"),
            _row(call_id="midnight", started_at="2026-10-02T00:00:00.000Z", cache_read_tokens=7),
        ],
    )
    load_landing(con, landing)
    rows = con.execute(
        "select call_id, started_at::varchar, started_at::date::varchar, tenant_id, service_tier, cache_read_tokens, "
        "model_served from raw.calls order by started_at"
    ).fetchall()
    assert rows == [
        ("offset", "2026-09-30 23:30:00", "2026-09-30", "unknown", "standard", 0, None),
        ("naive", "2026-10-01 23:59:59", "2026-10-01", "unknown", "standard", 0, None),
        ("midnight", "2026-10-02 00:00:00", "2026-10-02", "unknown", "standard", 7, None),
    ]


def test_same_content_under_another_name_and_rerun_change_nothing(landing, con):
    first = _write_jsonl(landing / "calls/canonical/a.jsonl", [_row(call_id="x1"), _row(call_id="x2")])
    load_landing(con, landing)
    (landing / "calls/canonical/copy of a.jsonl").write_bytes(first.read_bytes())
    report = load_landing(con, landing)
    assert [f.status for f in report.files] == ["skipped", "duplicate"]
    load_landing(con, landing)
    assert con.execute("select count(*) from raw.calls").fetchone() == (2,)
    assert con.execute("select status, count(*) from raw.files group by 1 order by 1").fetchall() == [
        ("duplicate", 1),
        ("loaded", 1),
    ]


def test_parquet_with_missing_optional_column_and_a_bad_row(landing, con):
    path = landing / "calls/canonical/p.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(
        pa.table(
            {
                "call_id": ["p1", "p2"],
                "started_at": ["2026-10-01T00:00:00Z", "2026-10-01T00:00:01Z"],
                "provider": ["anthropic", "anthropic"],
                "model_requested": ["claude-sonnet-4", None],
                "input_uncached_tokens": [10, 10],
                "output_tokens": [1, 1],
            }
        ),
        path,
    )
    load_landing(con, landing)
    assert con.execute("select call_id, cache_write_tokens from raw.calls").fetchall() == [("p1", 0)]
    assert _quarantine(con) == [(2, "model_requested", "missing required field")]


def test_focus_csv_with_bom_quoted_newlines_and_a_short_row(landing, con):
    header = ",".join(f.name for f in BILL_FIELDS)
    good = (
        '2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,openai,org,proj,Usage,,"two\nlines",sku,100,Tokens,'
        "1.234567,1.234567,1.234567,USD,gpt-4o,input_uncached,standard,"
    )
    path = landing / "billing/focus/b.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(("\ufeff" + header + "\n" + good + "\n" + "2026-10-01,openai,Usage\n").encode("utf-8"))
    report = load_landing(con, landing)
    assert (report.files[0].rows_loaded, report.files[0].rows_quarantined) == (1, 1)
    assert con.execute('select "BilledCost"::varchar, "ChargeDescription", _line from raw.bill_lines').fetchall() == [
        ("1.234567000000", "two\nlines", 2)
    ]
    assert _quarantine(con) == [(4, "_row", f"expected {len(BILL_FIELDS)} fields, got 3")]


def test_unknown_format_and_symlink_outside_are_rejected_with_the_file_named(landing, con, tmp_path):
    _write_jsonl(landing / "calls/mystery/a.jsonl", [_row()])
    outside = _write_jsonl(tmp_path / "elsewhere.jsonl", [_row()])
    (landing / "calls/canonical").mkdir(parents=True)
    (landing / "calls/canonical/link.jsonl").symlink_to(outside)
    report = load_landing(con, landing)
    assert [(Path(f.path).name, f.status) for f in report.files] == [
        ("link.jsonl", "rejected"),
        ("a.jsonl", "rejected"),
    ]
    assert report.files[0].reason == f"symlink points outside the landing dir ({outside}); refused"
    assert report.files[1].reason == "no adapter for calls/mystery files ending in '.jsonl' (unknown format 'mystery')"
    assert report.files[1].hint == "looks like canonical call records: move it to calls/canonical/"
    assert con.execute("select count(*) from raw.calls").fetchone()[0] == 0  # the link was never read


def test_unknown_fields_are_kept_in_extra(landing, con):
    _write_jsonl(
        landing / "calls/canonical/a.jsonl",
        [
            _row(call_id="drift", new_field={"x": 1}, extra={"y": 2}, region="eu"),
            _row(call_id="plain"),
        ],
    )
    load_landing(con, landing)
    rows = dict(con.execute("select call_id, extra from raw.calls").fetchall())
    assert json.loads(rows["drift"]) == {"y": 2, "new_field": {"x": 1}}
    assert rows["plain"] == "{}"


# --------------------------------------------------------------------------------------------
# unchanged files (same path, size and mtime as recorded in raw.files) are not hashed again

OLD = 1_700_000_000_000_000_000  # an mtime in 2023: old enough to be trusted (RECENT_MTIME_NS)
SECOND = 1_000_000_000


def _set_mtime(path: Path, ns: int) -> None:
    os.utime(path, ns=(ns, ns))


@pytest.fixture
def hashed(monkeypatch) -> list[str]:
    """Names of the files the loader hashes, in order."""
    names: list[str] = []
    real = loaders.file_sha256

    def counting(path: Path) -> str:
        names.append(path.name)
        return real(path)

    monkeypatch.setattr(loaders, "file_sha256", counting)
    return names


def _files(con) -> list[tuple]:
    return con.execute(
        "select split_part(file_path, '/', -1), status, size_bytes, mtime_ns from raw.files "
        "order by loaded_at, file_path"
    ).fetchall()


def _file_and_copy(landing) -> tuple:
    """Two calls in a.jsonl, the same bytes in 'b copy.jsonl', both last modified at OLD."""
    a = _write_jsonl(landing / "calls/canonical/a.jsonl", [_row(call_id="x1"), _row(call_id="x2")])
    copy = landing / "calls/canonical/b copy.jsonl"
    shutil.copyfile(a, copy)
    _set_mtime(a, OLD)
    _set_mtime(copy, OLD)
    return a, copy


def test_unchanged_file_is_skipped_without_hashing(landing, con, hashed):
    a, copy = _file_and_copy(landing)
    first = load_landing(con, landing)
    assert [f.status for f in first.files] == ["loaded", "duplicate"]
    assert hashed == ["a.jsonl", "b copy.jsonl"]
    file_id = first.files[0].file_id

    again = load_landing(con, landing)
    assert hashed == ["a.jsonl", "b copy.jsonl"]  # not read again
    assert again.files == [  # what a hashed re-run reports for an already-seen file
        FileResult(path=str(a), file_id=file_id, status="skipped", duplicate_of=str(a)),
        FileResult(path=str(copy), file_id=file_id, status="skipped", duplicate_of=str(a)),
    ]
    size = a.stat().st_size
    assert _files(con) == [("a.jsonl", "loaded", size, OLD), ("b copy.jsonl", "duplicate", size, OLD)]
    assert con.execute("select count(*) from raw.calls").fetchone() == (2,)


def test_file_modified_moments_ago_is_hashed_again_next_run(landing, con, hashed):
    _write_jsonl(landing / "calls/canonical/a.jsonl", [_row(call_id="x1")])  # mtime: now
    assert [f.status for f in load_landing(con, landing).files] == ["loaded"]
    assert _files(con)[0][3] is None  # too recent to be trusted: no mtime recorded
    assert [f.status for f in load_landing(con, landing).files] == ["skipped"]
    assert hashed == ["a.jsonl", "a.jsonl"]
    assert con.execute("select count(*) from raw.files").fetchone() == (1,)
    assert con.execute("select count(*) from raw.calls").fetchone() == (1,)


def test_file_rewritten_in_place_with_a_new_mtime_is_hashed_and_supersedes(landing, con, hashed):
    a = _write_jsonl(landing / "calls/canonical/a.jsonl", [_row(call_id="x1"), _row(call_id="x2")])
    _set_mtime(a, OLD)
    load_landing(con, landing)
    size = a.stat().st_size
    _write_jsonl(a, [_row(call_id="y1"), _row(call_id="y2")])  # same size, other content
    _set_mtime(a, OLD + SECOND)
    assert a.stat().st_size == size
    report = load_landing(con, landing)
    assert [(f.status, f.rows_loaded) for f in report.files] == [("loaded", 2)]
    assert hashed == ["a.jsonl", "a.jsonl"]
    assert con.execute("select call_id from raw.calls order by 1").fetchall() == [("y1",), ("y2",)]
    assert _files(con) == [("a.jsonl", "superseded", size, OLD), ("a.jsonl", "loaded", size, OLD + SECOND)]

    # the documented blind spot: same size, mtime restored -> not re-read; touch forces the re-check
    _write_jsonl(a, [_row(call_id="z1"), _row(call_id="z2")])
    _set_mtime(a, OLD + SECOND)
    assert [f.status for f in load_landing(con, landing).files] == ["skipped"]
    assert con.execute("select call_id from raw.calls order by 1").fetchall() == [("y1",), ("y2",)]
    _set_mtime(a, OLD + 2 * SECOND)
    assert [f.status for f in load_landing(con, landing).files] == ["loaded"]
    assert hashed == ["a.jsonl", "a.jsonl", "a.jsonl"]
    assert con.execute("select call_id from raw.calls order by 1").fetchall() == [("z1",), ("z2",)]
    assert con.execute("select status, count(*) from raw.files group by 1 order by 1").fetchall() == [
        ("loaded", 1),
        ("superseded", 2),
    ]


def test_new_mtime_same_content_is_hashed_once_and_changes_nothing(landing, con, hashed):
    a, copy = _file_and_copy(landing)
    load_landing(con, landing)
    _set_mtime(a, OLD + 5 * SECOND)  # touched (or copied back): same content
    _set_mtime(copy, OLD + 5 * SECOND)
    report = load_landing(con, landing)
    assert [f.status for f in report.files] == ["skipped", "skipped"]
    assert hashed == ["a.jsonl", "b copy.jsonl"] * 2
    size = a.stat().st_size
    assert _files(con) == [
        ("a.jsonl", "loaded", size, OLD + 5 * SECOND),
        ("b copy.jsonl", "duplicate", size, OLD + 5 * SECOND),
    ]  # new mtime remembered
    assert con.execute("select count(*) from raw.calls").fetchone() == (2,)
    assert con.execute("select count(*) from raw.quarantine").fetchone() == (0,)
    load_landing(con, landing)
    assert hashed == ["a.jsonl", "b copy.jsonl"] * 2  # and the next run skips them unread
    assert con.execute("select count(*) from raw.files").fetchone() == (2,)


def test_warehouse_from_before_mtime_ns_gets_the_column(landing, tmp_path, hashed):
    a = _write_jsonl(landing / "calls/canonical/a.jsonl", [_row(call_id="x1"), _row(call_id="x2")])
    _set_mtime(a, OLD)
    with connect(tmp_path / "old.duckdb") as con:  # a warehouse as the loader wrote it before the column
        load_landing(con, landing)
        for column in ("mtime_ns", "reason", "hint"):  # added since, in this order
            con.execute(f"alter table raw.files drop column {column}")
    b = _write_jsonl(landing / "calls/canonical/b.jsonl", [_row(call_id="y1")])
    _set_mtime(b, OLD)
    hashed.clear()

    with connect(tmp_path / "old.duckdb") as con:
        report = load_landing(con, landing)
        columns = [
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns where table_schema = 'raw' "
                "and table_name = 'files' order by ordinal_position"
            ).fetchall()
        ]
        assert columns == [name for name, _ in FILE_COLUMNS]
        assert [f.status for f in report.files] == ["skipped", "loaded"]
        assert hashed == ["a.jsonl", "b.jsonl"]  # the old row has no mtime: hashed once more, as before
        assert _files(con) == [
            ("a.jsonl", "loaded", a.stat().st_size, OLD),
            ("b.jsonl", "loaded", b.stat().st_size, OLD),
        ]
        assert [f.status for f in load_landing(con, landing).files] == ["skipped", "skipped"]
        assert hashed == ["a.jsonl", "b.jsonl"]
        assert con.execute("select count(*) from raw.calls").fetchone() == (3,)
        assert con.execute("select count(*) from raw.files").fetchone() == (2,)


def test_a_warehouse_from_before_the_charge_source_column_gets_it_backfilled(landing, con):
    """raw.bill_lines once marked usage-report lines by a SkuId prefix. On such a warehouse the loader adds
    x_ChargeSource (last), fills it from the prefix, and later loads insert by name."""
    old = [(f.name, f.duck_type) for f in BILL_FIELDS if f.name != "x_ChargeSource"]
    con.execute("create schema raw")
    con.execute(
        "create table raw.bill_lines ("
        + ", ".join(f'"{n}" {t}' for n, t in old)
        + ", _file_id varchar, _line bigint, _loaded_at timestamp)"
    )
    con.execute("""insert into raw.bill_lines ("ProviderName", "ChargeCategory", "SkuId", "BilledCost", "x_Model")
                   values ('openai', 'Usage', 'usage-api:gpt-4o:output:standard', 0, 'old-usage-report'),
                          ('openai', 'Usage', 'gpt-4o:output:standard', 1.5, 'old-bill')""")
    path = landing / "billing/focus/b.csv"
    path.parent.mkdir(parents=True)
    header = ",".join(f.name for f in BILL_FIELDS)
    row = (
        "2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,openai,org,proj,Usage,,d,sku,100,Tokens,"
        "2.00,2.00,2.00,USD,new-line,output,standard,"
    )
    path.write_text(header + "\n" + row + "\n")
    load_landing(con, landing)
    assert con.execute(
        'select "x_Model", "x_ChargeSource", "BilledCost"::double from raw.bill_lines order by 1'
    ).fetchall() == [("new-line", "bill", 2.0), ("old-bill", "bill", 1.5), ("old-usage-report", "usage_report", 0.0)]
