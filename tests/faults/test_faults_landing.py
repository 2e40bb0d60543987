"""Faults in landing files, at loader level (a tmp DuckDB, no Dagster): every scenario ends with the
ledger check (rows read = rows loaded + rows quarantined per file, and raw.files is the truth about
the raw tables). What the operator sees and does for each: docs/operations.md."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingest.loaders import load_landing
from ingest.schemas import BILL_FIELDS, MAX_TOKENS_PER_CALL
from ingest.warehouse import connect
from tests.faults.kit import (
    BILL_HEADER,
    assert_nothing_lost,
    bill_csv,
    bill_line,
    call,
    calls_text,
    ledger,
    quarantine,
    write,
    write_calls,
)

DAY = "calls/canonical/2026/10/01"


def _calls(con, order: str = "call_id") -> list[tuple]:
    return con.execute(
        f"select call_id, started_at::varchar, input_uncached_tokens, output_tokens from raw.calls order by {order}"
    ).fetchall()


def _billed(con) -> Decimal:
    return con.execute('select coalesce(sum("BilledCost"), 0) from raw.bill_lines').fetchone()[0]


# ---------------------------------------------------------------------------------------------
# the same data again


def test_rerun_of_a_load_changes_nothing(landing, con, load):
    write_calls(landing / DAY / "calls.jsonl", [call(call_id=f"c{i}") for i in range(3)])
    write(landing / "billing/focus/openai/openai-2026-10.csv", bill_csv([bill_line()]))
    first = load()
    before = (ledger(con), _calls(con), _billed(con))
    again = load()
    assert [f.status for f in first.files] == ["loaded", "loaded"]
    assert [f.status for f in again.files] == ["skipped", "skipped"] and again.days == []
    assert (ledger(con), _calls(con), _billed(con)) == before


def test_same_file_under_another_name_is_a_duplicate(landing, con, load):
    original = write_calls(landing / DAY / "calls.jsonl", [call(call_id=f"c{i}") for i in range(3)])
    bill = write(landing / "billing/focus/openai/openai-2026-10.csv", bill_csv([bill_line()]))
    load()
    (landing / "calls/canonical/resent").mkdir()
    shutil.copy(original, landing / "calls/canonical/resent/calls (1).jsonl")
    shutil.copy(bill, bill.with_name("openai-2026-10 resent.csv"))
    report = load()
    dup = {Path(f.path).name: (f.status, Path(f.duplicate_of or "").name) for f in report.files}
    assert dup["calls (1).jsonl"] == ("duplicate", "calls.jsonl")
    assert dup["openai-2026-10 resent.csv"] == ("duplicate", "openai-2026-10.csv")
    assert con.execute("select count(*) from raw.calls").fetchone() == (3,)
    assert _billed(con) == Decimal("1.50")
    assert con.execute(
        "select status, rows_read from raw.files where file_path like '%resent%' order by 1"
    ).fetchall() == [("duplicate", 0), ("duplicate", 0)]


@pytest.mark.parametrize("copy_name", ["z-copy.csv", "a-copy.csv"])  # loaded after / before the original
def test_original_rewritten_while_its_copy_remains(landing, con, load, copy_name):
    original = write(landing / "billing/focus/openai/bill.csv", bill_csv([bill_line()]))
    copy = original.with_name(copy_name)
    shutil.copy(original, copy)
    load()
    write(original, bill_csv([bill_line(BilledCost="2.00")]))  # the original is re-issued with new content
    load()
    # both contents are in the landing dir now, so both are loaded, once each; the copy holds the old one
    current = {(p, s) for p, s, *_ in ledger(con) if s in ("loaded", "duplicate")}
    assert current == {(str(original), "loaded"), (str(copy), "loaded")}
    assert _billed(con) == Decimal("3.50")
    write(copy, bill_csv([bill_line(BilledCost="2.00")]))  # and now the copy is the same as the original
    load()
    assert {(p, s) for p, s, *_ in ledger(con) if s in ("loaded", "duplicate")} == {
        (str(original), "loaded"),
        (str(copy), "duplicate"),
    }
    assert _billed(con) == Decimal("2.00")


def test_late_file_for_an_old_day_reports_the_day_it_touched(landing, con, load):
    write_calls(landing / "calls/canonical/2026/10/05/calls.jsonl", [call(started_at="2026-10-05T10:00:00Z")])
    assert load().days == ["2026-10-05"]
    write_calls(
        landing / "calls/canonical/2026/09/28/late.jsonl",
        [
            call(call_id="late1", started_at="2026-09-28T23:00:00Z"),
            call(call_id="late2", started_at="2026-09-29T01:00:00+02:00"),
        ],
    )
    report = load()
    assert report.days == ["2026-09-28"]
    assert con.execute(
        "select min_day::varchar, max_day::varchar from raw.files where file_path like '%/late.jsonl'"
    ).fetchone() == ("2026-09-28", "2026-09-28")


# ---------------------------------------------------------------------------------------------
# broken files


def test_truncated_json_line_is_quarantined_and_the_rest_loads(landing, con, load):
    good = [json.dumps(call(call_id=f"c{i}")) for i in range(4)]
    broken = good[2][:37]
    write(landing / DAY / "calls.jsonl", "\n".join([good[0], good[1], broken, good[3]]) + "\n")
    (result,) = load().files
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 3, 1)
    assert quarantine(con) == [(3, "_row", "invalid JSON (truncated or malformed line)")]
    assert con.execute("select raw from raw.quarantine").fetchone() == (broken,)
    assert [r[0] for r in _calls(con)] == ["c0", "c1", "c3"]


def test_file_cut_mid_write_then_completed_replaces_the_partial_version(landing, con, load):
    records = [json.dumps(call(call_id=f"c{i}")) for i in range(5)]
    path = write(landing / DAY / "calls.jsonl", "\n".join(records[:3]) + "\n" + records[3][:25])  # writer still busy
    (partial,) = load().files
    assert (partial.rows_read, partial.rows_loaded, partial.rows_quarantined) == (4, 3, 1)
    write(path, "\n".join(records) + "\n")  # the writer finishes: same path, new content
    (complete,) = load().files
    assert (complete.status, complete.rows_read, complete.rows_loaded, complete.rows_quarantined) == ("loaded", 5, 5, 0)
    assert [r[0] for r in _calls(con)] == ["c0", "c1", "c2", "c3", "c4"]  # no row twice
    assert quarantine(con) == []  # the cut line belonged to the old version
    assert [s for _, s, *_ in ledger(con)] == ["superseded", "loaded"]


def test_bill_rewritten_in_place_is_not_double_counted(landing, con, load):
    """Monthly exports are re-issued under the same name as the month goes on (AWS/Azure FOCUS
    exports do this daily); a bill read while it was being written is completed later."""
    path = landing / "billing/focus/openai/openai-2026-10.csv"
    day1 = bill_line()
    day2 = bill_line(
        ChargePeriodStart="2026-10-02T00:00:00Z",
        ChargePeriodEnd="2026-10-03T00:00:00Z",
        BilledCost="2.25",
        EffectiveCost="2.25",
        ListCost="2.25",
    )
    text = bill_csv([day1, day2])
    write(path, text[: text.rindex("\n", 0, len(text) - 1) + 40])  # second line cut after 40 characters
    (partial,) = load().files
    assert (partial.rows_loaded, partial.rows_quarantined) == (1, 1)
    assert quarantine(con) == [(3, "_row", f"expected {len(BILL_FIELDS)} fields, got 2")]
    write(path, text)
    load()
    assert _billed(con) == Decimal("3.75")
    day3 = {**day2, "ChargePeriodStart": "2026-10-03T00:00:00Z", "ChargePeriodEnd": "2026-10-04T00:00:00Z"}
    write(path, bill_csv([day1, day2, day3]))  # the export re-issued with one more day
    report = load()
    assert _billed(con) == Decimal("6.00")
    assert report.days == ["2026-10-03"]  # the restated days did not change: only the new one is rebuilt
    assert [s for _, s, *_ in ledger(con)] == ["superseded", "superseded", "loaded"]
    write(path, bill_csv([day3, day1, day2]))  # re-issued with the same lines in another order: no day changed
    report = load()
    assert _billed(con) == Decimal("6.00") and report.days == []
    day2_restated = {**day2, "BilledCost": "2.50", "EffectiveCost": "2.50"}
    write(path, bill_csv([day1, day2_restated, day3]))  # a restatement of one closed day
    report = load()
    assert _billed(con) == Decimal("6.25") and report.days == ["2026-10-02"]
    assert con.execute(
        "select day::varchar, kind from raw.changed_days where built_at is null order by noted_at, day"
    ).fetchall()[-2:] == [("2026-10-03", "billing"), ("2026-10-02", "billing")]


def test_empty_files_are_recorded_and_a_cut_parquet_is_refused(landing, con, load):
    write(landing / DAY / "empty.jsonl", b"")
    write(landing / "calls/canonical/2026/10/02/blank.jsonl", b"\n  \n\r\n")
    write(landing / "billing/focus/openai/empty.csv", b"")
    write(landing / "billing/focus/openai/header-only.csv", bill_csv([]))
    report = load()
    # identity is the content: an empty CSV is "the same file" as an empty JSONL (nothing in either)
    assert {Path(f.path).name: (f.status, f.rows_read) for f in report.files} == {
        "empty.jsonl": ("loaded", 0),
        "blank.jsonl": ("loaded", 0),
        "empty.csv": ("duplicate", 0),
        "header-only.csv": ("loaded", 0),
    }
    write(landing / "calls/canonical/2026/10/03/empty-too.jsonl", b"")  # same (empty) content again
    assert [f.status for f in load().files if f.path.endswith("empty-too.jsonl")] == ["duplicate"]

    # a Parquet file cut mid-write cannot be read at all: it is rejected, named, and tried again next run
    whole = landing / "whole.parquet"
    pq.write_table(pa.table({"call_id": [f"p{i}" for i in range(100)]}), whole)
    bad = write(landing / "calls/canonical/2026/10/04/calls.parquet", whole.read_bytes()[: whole.stat().st_size // 2])
    whole.unlink()
    (cut,) = [f for f in load().files if f.status != "skipped"]
    assert (cut.path, cut.status) == (str(bad), "rejected")
    assert cut.reason.startswith("not a readable Parquet file")
    assert con.execute("select status from raw.files where file_path = ?", [str(bad)]).fetchall() == [("rejected",)]
    bad.rename(bad.with_name("calls.parquet.part"))  # the operator parks it; its rejection goes with it
    load()
    assert con.execute("select count(*) from raw.files where status = 'rejected'").fetchone() == (0,)


def test_latin1_bytes_quarantine_a_jsonl_line_and_refuse_a_csv(landing, con, load):
    line = json.dumps(call(call_id="c2", feature="café"), ensure_ascii=False).encode("latin-1")
    write(
        landing / DAY / "calls.jsonl",
        json.dumps(call(call_id="c1")).encode() + b"\n" + line + b"\n" + json.dumps(call(call_id="c3")).encode(),
    )
    (result,) = load().files
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)
    ((lineno, field, reason, raw),) = con.execute("select line, field, reason, raw from raw.quarantine").fetchall()
    assert (lineno, field) == (2, "_row") and reason.startswith("not valid UTF-8")
    assert '"call_id": "c2"' in raw and "caf\ufffd" in raw  # the raw text is kept, bad byte replaced

    csv_path = write(
        landing / "billing/focus/openai/bill.csv", bill_csv([bill_line(ChargeDescription="Crédit")]).encode("latin-1")
    )
    (refused,) = [f for f in load().files if f.status != "skipped"]
    assert refused.status == "rejected"
    assert re.fullmatch(r"not valid UTF-8 \(invalid continuation byte at byte \d+\)", refused.reason)
    assert con.execute("select count(*) from raw.bill_lines").fetchone() == (0,)
    write(csv_path, csv_path.read_bytes().decode("latin-1").encode("utf-8"))  # re-encoded by the operator
    load()
    assert con.execute('select "ChargeDescription" from raw.bill_lines').fetchone() == ("Crédit",)


def test_utf8_bom_is_ignored_in_jsonl_and_csv(landing, con, load):
    bom = b"\xef\xbb\xbf"
    write(landing / DAY / "calls.jsonl", bom + calls_text([call(call_id="c1"), call(call_id="c2")]).encode())
    write(landing / "billing/focus/openai/bill.csv", bom + bill_csv([bill_line()]).encode())
    report = load()
    assert [(Path(f.path).name, f.rows_read, f.rows_loaded) for f in report.files] == [
        ("calls.jsonl", 2, 2),
        ("bill.csv", 1, 1),
    ]
    assert con.execute('select "ChargePeriodStart"::varchar from raw.bill_lines').fetchone() == ("2026-10-01 00:00:00",)


def test_a_utf16_file_is_quarantined_line_by_line_quickly(landing, con, load):
    """Every line of a UTF-16 export is rejected: the quarantine insert is one vectorized statement
    (it was one INSERT per row: 50,000 bad lines took ~40 s)."""
    n = 50_000
    write(landing / DAY / "export.jsonl", calls_text([call(call_id=f"c{i}") for i in range(n)]).encode("utf-16"))
    started = time.monotonic()
    (result,) = load().files
    assert time.monotonic() - started < 15
    # n lines, plus the lone NUL byte after the last newline (UTF-16 newlines are two bytes)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (n + 1, 0, n + 1)
    assert con.execute("select count(distinct line), min(line), max(line) from raw.quarantine").fetchone() == (
        n + 1,
        1,
        n + 1,
    )


def test_csv_with_quoted_newlines_commas_quotes_and_crlf(landing, con, load):
    rows = [
        bill_line(ChargeDescription='gpt-4o-mini, "input"\nline two'),
        bill_line(ChargeDescription="plain", BilledCost="0.25", EffectiveCost="0.25", ListCost="0.25"),
    ]
    write(
        landing / "billing/focus/openai/bill.csv",
        bill_csv(rows).replace("\n", "\r\n").replace('input""\r\nline', 'input""\nline'),
    )
    (result,) = load().files
    assert (result.rows_read, result.rows_loaded) == (2, 2)
    assert con.execute('select _line, "ChargeDescription" from raw.bill_lines order by _line').fetchall() == [
        (2, 'gpt-4o-mini, "input"\nline two'),
        (4, "plain"),
    ]
    assert _billed(con) == Decimal("1.75")


# ---------------------------------------------------------------------------------------------
# schema drift


def test_new_columns_are_kept_in_extra_jsonl_and_parquet(landing, con, load):
    write_calls(
        landing / DAY / "calls.jsonl",
        [call(call_id="j1", trace_id="abc", cost_center={"team": "search"}, extra={"kept": 1}), call(call_id="j2")],
    )
    table = pa.table(
        {
            "call_id": ["p1", "p2"],
            "started_at": ["2026-10-01T00:00:00Z"] * 2,
            "provider": ["openai"] * 2,
            "model_requested": ["gpt-4o-mini"] * 2,
            "input_uncached_tokens": [10, 10],
            "output_tokens": [1, 1],
            "trace_id": ["t1", None],
            "sampling": [0.5, 0.25],
            "extra": ['{"kept": 2}', None],
        }
    )
    (landing / "calls/canonical/2026/10/02").mkdir(parents=True)
    pq.write_table(table, landing / "calls/canonical/2026/10/02/calls.parquet")
    bill = write(
        landing / "billing/focus/openai/bill.csv",
        bill_csv([{**bill_line(), "x_Discount": "none"}], header=[*BILL_HEADER, "x_Discount"]),
    )
    load()
    extra = {k: json.loads(v) for k, v in con.execute("select call_id, extra from raw.calls").fetchall()}
    assert extra == {
        "j1": {"kept": 1, "trace_id": "abc", "cost_center": {"team": "search"}},
        "j2": {},
        "p1": {"kept": 2, "trace_id": "t1", "sampling": 0.5},
        "p2": {"sampling": 0.25},
    }
    # bill lines have no extra column: an unknown FOCUS column is ignored, the line loads
    assert con.execute("select count(*) from raw.bill_lines").fetchone() == (1,) and bill.exists()


def test_missing_columns_required_quarantine_optional_default(landing, con, load):
    no_output = call(call_id="no-output")
    del no_output["output_tokens"]
    write_calls(landing / DAY / "calls.jsonl", [no_output, call(call_id="no-tenant")])
    (landing / "calls/canonical/2026/10/02").mkdir(parents=True)
    pq.write_table(
        pa.table(
            {
                "call_id": ["p1", "p2"],
                "started_at": ["2026-10-02T00:00:00Z"] * 2,
                "provider": ["openai"] * 2,
                "model_requested": ["gpt-4o-mini"] * 2,
                "input_uncached_tokens": [10, 10],
            }
        ),  # no output_tokens column at all
        landing / "calls/canonical/2026/10/02/calls.parquet",
    )
    write(
        landing / "billing/focus/openai/lean.csv",
        bill_csv([bill_line()], header=[h for h in BILL_HEADER if h not in ("EffectiveCost", "SkuId")]),
    )
    report = load()
    assert [(Path(f.path).name, f.rows_loaded, f.rows_quarantined) for f in report.files] == [
        ("calls.jsonl", 1, 1),
        ("calls.parquet", 0, 2),
        ("lean.csv", 1, 0),
    ]
    assert quarantine(con) == [
        (1, "output_tokens", "missing required field"),
        (1, "output_tokens", "missing required field"),
        (2, "output_tokens", "missing required field"),
    ]
    assert con.execute("select tenant_id, cache_read_tokens, service_tier from raw.calls").fetchall() == [
        ("unknown", 0, "standard")
    ]
    assert con.execute('select "EffectiveCost", "SkuId" from raw.bill_lines').fetchall() == [(None, "unknown")]

    write(
        landing / "billing/focus/openai/no-amount.csv",
        bill_csv([bill_line()], header=[h for h in BILL_HEADER if h != "BilledCost"]),
    )
    (refused,) = [f for f in load().files if f.status != "skipped"]
    assert (refused.status, refused.reason) == ("rejected", "header lacks required column(s) BilledCost")


def test_type_changes_cast_when_exact_and_quarantine_otherwise(landing, con, load):
    write_calls(
        landing / DAY / "calls.jsonl",
        [
            call(call_id="str", input_uncached_tokens="1000"),
            call(call_id="float-int", input_uncached_tokens=1000.0),
            call(call_id="str-float-int", output_tokens="100.00"),
            call(call_id="fraction", input_uncached_tokens=10.5),
            call(call_id="sci", input_uncached_tokens="1e3"),
            call(call_id="bool", output_tokens=True),
            call(call_id="list", output_tokens=[1]),
            call(call_id="epoch", started_at=1790000000),
            call(call_id=12345),  # a number where text is expected is text
        ],
    )
    (landing / "calls/canonical/2026/10/02").mkdir(parents=True)
    epoch = pa.array([1790899200, 1790899201], pa.timestamp("s"))
    pq.write_table(
        pa.table(
            {
                "call_id": ["p1", "p2"],
                "started_at": epoch,
                "provider": ["openai"] * 2,
                "model_requested": ["gpt-4o-mini"] * 2,
                "input_uncached_tokens": ["10", "11"],
                "output_tokens": [1.0, 1.5],
            }
        ),
        landing / "calls/canonical/2026/10/02/calls.parquet",
    )
    write(
        landing / "billing/focus/openai/bill.csv",
        bill_csv(
            [
                bill_line(BilledCost="1.5"),
                bill_line(BilledCost="1,234.50"),
                bill_line(BilledCost="$2"),
                bill_line(ConsumedQuantity="12.5"),
            ]
        ),
    )
    load()
    assert sorted(r[0] for r in _calls(con)) == ["12345", "float-int", "p1", "str", "str-float-int"]
    assert sorted(quarantine(con)) == sorted(
        [
            (4, "input_uncached_tokens", "not a valid bigint: 10.5"),
            (5, "input_uncached_tokens", "not a valid bigint: 1e3"),
            (6, "output_tokens", "not a valid bigint: true"),
            (7, "output_tokens", "not a valid bigint: [1]"),
            (8, "started_at", "not a valid timestamp: 1790000000"),
            (2, "output_tokens", "not a valid bigint: 1.5"),
            (3, "BilledCost", "not a valid decimal(38,12): 1,234.50"),
            (4, "BilledCost", "not a valid decimal(38,12): $2"),
        ]
    )
    assert con.execute("select started_at::varchar from raw.calls where call_id = 'p1'").fetchone() == (
        "2026-10-02 00:00:00",
    )
    assert _billed(con) == Decimal("3.00")


def test_negative_and_absurd_token_counts(landing, con, load):
    write_calls(
        landing / DAY / "calls.jsonl",
        [
            call(call_id="neg", output_tokens=-1),
            call(call_id="neg-cache", cache_read_tokens=-5),
            call(call_id="at-limit", input_uncached_tokens=MAX_TOKENS_PER_CALL),
            call(call_id="over-limit", input_uncached_tokens=MAX_TOKENS_PER_CALL + 1),
            call(call_id="overflow", output_tokens=2**64),
            call(call_id="neg-latency", latency_ms=-3),
            call(call_id="zero", input_uncached_tokens=0, output_tokens=0),
        ],
    )
    write(
        landing / "billing/focus/openai/bill.csv",
        bill_csv(
            [
                bill_line(BilledCost="-0.50", EffectiveCost="-0.50", ListCost="-0.50", ChargeClass="Correction"),
                bill_line(ConsumedQuantity="-10"),
            ]
        ),
    )
    load()
    assert sorted(r[0] for r in _calls(con)) == ["at-limit", "zero"]
    assert quarantine(con) == [
        (1, "output_tokens", "negative value: -1"),
        (2, "cache_read_tokens", "negative value: -5"),
        (4, "input_uncached_tokens", f"absurd token count: {MAX_TOKENS_PER_CALL + 1}"),
        (5, "output_tokens", f"not a valid bigint: {2**64}"),
        (6, "latency_ms", "negative value: -3"),
    ]
    # money may be negative (a correction); a negative quantity is kept as the vendor sent it
    assert _billed(con) == Decimal("1.00")


def test_unknown_model_and_unknown_provider_are_loaded_as_sent(landing, con, load):
    write_calls(
        landing / DAY / "calls.jsonl",
        [
            call(call_id="m", model_requested="acme-llm-9"),
            call(call_id="p", provider="Acme AI", model_requested="acme-1"),
            call(call_id="s", model_served="gpt-5-preview-unreleased"),
        ],
    )
    load()
    assert con.execute(
        "select call_id, provider, model_requested, model_served from raw.calls order by 1"
    ).fetchall() == [
        ("m", "openai", "acme-llm-9", None),
        ("p", "Acme AI", "acme-1", None),
        ("s", "openai", "gpt-4o-mini", "gpt-5-preview-unreleased"),
    ]


def test_duplicate_call_ids_across_and_within_files_are_all_kept_in_raw(landing, con, load):
    write_calls(landing / DAY / "a.jsonl", [call(call_id="dup", output_tokens=1), call(call_id="dup", output_tokens=2)])
    write_calls(landing / DAY / "b.jsonl", [call(call_id="dup", output_tokens=3), call(call_id="solo")])
    load()
    # raw keeps every copy with its lineage; staging keeps the first loaded copy (end-to-end test)
    assert con.execute(
        "select output_tokens, _line from raw.calls where call_id = 'dup' order by output_tokens"
    ).fetchall() == [(1, 1), (2, 2), (3, 1)]


# ---------------------------------------------------------------------------------------------
# time


def test_timestamps_with_offsets_and_naive_ones_become_utc(landing, con, load):
    stamps = {
        "z": "2026-10-01T12:00:00Z",
        "plus0": "2026-10-01T12:00:00+00:00",
        "plus2": "2026-10-01T14:00:00+02:00",
        "minus5": "2026-10-01T07:00:00-05:00",
        "plus0545": "2026-10-01T17:45:00+05:45",
        "naive": "2026-10-01T12:00:00",
        "naive-space": "2026-10-01 12:00:00",
        "micros": "2026-10-01T12:00:00.123456Z",
        "date-only": "2026-10-01",
        "words": "Oct 1 2026",
        "hour25": "2026-10-01T25:00:00Z",
    }
    write_calls(landing / DAY / "calls.jsonl", [call(call_id=k, started_at=v) for k, v in stamps.items()])
    load()
    got = dict(con.execute("select call_id, started_at::varchar from raw.calls").fetchall())
    assert got == {
        "z": "2026-10-01 12:00:00",
        "plus0": "2026-10-01 12:00:00",
        "plus2": "2026-10-01 12:00:00",
        "minus5": "2026-10-01 12:00:00",
        "plus0545": "2026-10-01 12:00:00",
        "naive": "2026-10-01 12:00:00",
        "naive-space": "2026-10-01 12:00:00",
        "micros": "2026-10-01 12:00:00.123456",
        "date-only": "2026-10-01 00:00:00",
    }
    assert quarantine(con) == [
        (10, "started_at", "not a valid timestamp: Oct 1 2026"),
        (11, "started_at", "not a valid timestamp: 2026-10-01T25:00:00Z"),
    ]


def test_calls_at_235959_and_000000_utc_fall_on_their_utc_day(landing, con, load):
    write_calls(
        landing / DAY / "calls.jsonl",
        [
            call(call_id="last", started_at="2026-10-01T23:59:59Z"),
            call(call_id="last-micro", started_at="2026-10-01T23:59:59.999999Z"),
            call(call_id="first", started_at="2026-10-02T00:00:00Z"),
            call(call_id="local-late", started_at="2026-10-01T20:00:00-04:00"),  # 2026-10-02 00:00 UTC
            call(call_id="local-early", started_at="2026-10-02T01:59:59+02:00"),  # 2026-10-01 23:59:59 UTC
        ],
    )
    write(
        landing / "billing/focus/openai/bill.csv",
        bill_csv(
            [
                bill_line(ChargePeriodStart="2026-10-01T00:00:00Z", ChargePeriodEnd="2026-10-02T00:00:00Z"),
                bill_line(ChargePeriodStart="2026-10-02T00:00:00+00:00", ChargePeriodEnd="2026-10-03T00:00:00Z"),
            ]
        ),
    )
    report = load()
    days = dict(con.execute("select call_id, started_at::date::varchar from raw.calls").fetchall())
    assert days == {
        "last": "2026-10-01",
        "last-micro": "2026-10-01",
        "first": "2026-10-02",
        "local-late": "2026-10-02",
        "local-early": "2026-10-01",
    }
    assert report.days == ["2026-10-01", "2026-10-02"]
    assert con.execute('select "ChargePeriodStart"::date::varchar from raw.bill_lines order by 1').fetchall() == [
        ("2026-10-01",),
        ("2026-10-02",),
    ]


# ---------------------------------------------------------------------------------------------
# bills


def test_corrections_refunds_and_credits_stay_separate_lines_and_sum_exactly(landing, con, load):
    rows = [
        bill_line(BilledCost="10.00"),
        bill_line(
            ChargeClass="Correction",
            ChargeDescription="re-rated usage of 2026-09-30",
            ChargePeriodStart="2026-09-30T00:00:00Z",
            ChargePeriodEnd="2026-10-01T00:00:00Z",
            BilledCost="-1.25",
        ),
        bill_line(
            ChargeCategory="Credit",
            SkuId="refund",
            ChargeDescription="refund",
            BilledCost="-2.50",
            x_Model="unknown",
            x_TokenBucket="unknown",
        ),
        bill_line(ChargeCategory="Adjustment", SkuId="rounding", BilledCost="0.000000000001"),
        bill_line(ChargeCategory="Tax", SkuId="vat", BilledCost="0.99"),
    ]
    write(landing / "billing/focus/openai/openai-2026-10.csv", bill_csv(rows))
    report = load()
    assert report.files[0].rows_loaded == 5
    assert con.execute(
        'select "ChargeCategory", "ChargeClass", "BilledCost" from raw.bill_lines order by _line'
    ).fetchall() == [
        ("Usage", "", Decimal("10")),
        ("Usage", "Correction", Decimal("-1.25")),
        ("Credit", "", Decimal("-2.5")),
        ("Adjustment", "", Decimal("1E-12")),
        ("Tax", "", Decimal("0.99")),
    ]
    assert _billed(con) == Decimal("7.240000000001")
    # the correction of September is in October's file: the days touched reach back to it
    assert report.days == ["2026-09-30", "2026-10-01"]


# ---------------------------------------------------------------------------------------------
# file system


def test_file_names_with_quotes_spaces_dots_and_sql(landing, con, load):
    names = [
        'it\'s "quoted".jsonl',
        "with  spaces .jsonl",
        "x..y.jsonl",
        "a'; drop table raw.calls; --.jsonl",
        "%_?*[1].jsonl",
        "ünïcødé 📞.jsonl",
        "line\nbreak.jsonl",
        "$(touch pwned).jsonl",
    ]
    folder = landing / "calls/canonical/2026/10/01/o'brien; select 1"
    for i, name in enumerate(names):
        write_calls(folder / name, [call(call_id=f"c{i}"), "{broken" if i == 3 else call(call_id=f"d{i}")])
    write_calls(landing / "calls/canonical/..hidden.jsonl", [call(call_id="hidden")])  # leading dot: hidden
    write_calls(landing / "calls/canonical/...jsonl", [call(call_id="dots")])  # also hidden
    report = load()
    assert sorted(Path(f.path).name for f in report.files) == sorted(names)
    assert con.execute("select count(*) from raw.calls").fetchone() == (2 * len(names) - 1,)
    assert con.execute("select file_path from raw.quarantine").fetchall() == [(str(folder / names[3]),)]
    assert sorted(p for p, *_ in ledger(con)) == sorted(str(folder / n) for n in names)
    assert not (landing / "pwned").exists() and not Path("pwned").exists()


def test_symlink_out_of_the_landing_dir_is_refused(landing, con, load, tmp_path):
    outside = write_calls(tmp_path / "elsewhere" / "secret.jsonl", [call(call_id="outside")])
    inside = write_calls(landing / DAY / "calls.jsonl", [call(call_id="inside")])
    load()
    link = landing / DAY / "link.jsonl"
    link.symlink_to(outside)
    (refused,) = [f for f in load().files if f.status != "skipped"]
    assert (refused.path, refused.status) == (str(link), "rejected")
    assert refused.reason == f"symlink points outside the landing dir ({outside}); refused"
    link.unlink()
    (landing / "calls/canonical/linked-dir").symlink_to(outside.parent, target_is_directory=True)
    assert load().files[1:] == []  # a symlinked folder is not followed: nothing under it is seen
    (landing / "calls/canonical/linked-dir").unlink()
    assert_nothing_lost(con)
    assert [r[0] for r in _calls(con)] == ["inside"]
    (landing / DAY / "alias.jsonl").symlink_to(inside)  # a symlink inside the landing dir is just a copy
    assert [f.status for f in load().files if f.path.endswith("alias.jsonl")] == ["duplicate"]


def test_writer_temp_names_are_ignored_until_renamed(landing, con, load):
    tmp = write_calls(landing / DAY / ".calls.jsonl", [call(call_id="c1")])
    part = write_calls(landing / DAY / "calls2.jsonl.part", [call(call_id="c2")])
    write_calls(landing / DAY / "calls3.jsonl.tmp", [call(call_id="c3")])
    write_calls(landing / "calls/canonical/_incoming/calls4.jsonl", [call(call_id="c4")])
    write_calls(landing / "calls/_unsorted/calls5.jsonl", [call(call_id="c5")])
    assert load().files == []
    tmp.rename(tmp.with_name("calls.jsonl"))
    part.rename(part.with_name("calls2.jsonl"))
    assert sorted(Path(f.path).name for f in load().files) == ["calls.jsonl", "calls2.jsonl"]
    assert [r[0] for r in _calls(con)] == ["c1", "c2"]


def test_a_file_of_an_unknown_kind_is_rejected_with_its_name_and_the_others_load(landing, con, load):
    write_calls(landing / DAY / "a.jsonl", [call(call_id="c1")])
    write(landing / "calls/canonical/notes.txt", "not data")
    write_calls(landing / "calls/canonical/z.jsonl", [call(call_id="c2")])
    report = load()
    assert [(f.status, f.not_loaded) for f in report.files] == [
        ("loaded", False),
        ("rejected", True),
        ("loaded", False),
    ]
    assert (
        report.files[1].reason
        == "no adapter for calls/canonical files ending in '.txt' (supported: .json, .jsonl, .parquet)"
    )
    assert_nothing_lost(con, report)
    assert [r[0] for r in _calls(con)] == ["c1", "c2"]
    assert con.execute("select status, rows_read from raw.files where file_path like '%notes.txt'").fetchall() == [
        ("rejected", 0)
    ]
    # tried again on every run, one row for it; renamed away (a '_' name is skipped), its rejection goes
    assert [f.status for f in load().files] == ["skipped", "rejected", "skipped"]
    assert con.execute("select count(*) from raw.files where status = 'rejected'").fetchone()[0] == 1
    (landing / "calls/canonical/notes.txt").rename(landing / "calls/canonical/_notes.txt")
    assert [f.status for f in load().files] == ["skipped", "skipped"]
    assert con.execute("select count(*) from raw.files where status = 'rejected'").fetchone()[0] == 0


def test_a_json_array_in_a_canonical_json_file_is_quarantined_whole(landing, con, load):
    write(landing / DAY / "calls.json", json.dumps([call(call_id="a1"), call(call_id="a2")]) + "\n")
    (result,) = load().files
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (1, 0, 1)
    assert quarantine(con) == [(1, "_row", "not a JSON object")]


def test_a_landing_file_deleted_after_loading_keeps_its_rows(landing, con, load):
    path = write_calls(landing / DAY / "calls.jsonl", [call(call_id="c1")])
    load()
    path.unlink()
    assert load().files == []
    assert [r[0] for r in _calls(con)] == ["c1"] and [s for _, s, *_ in ledger(con)] == ["loaded"]


# ---------------------------------------------------------------------------------------------
# the loader process dies or the disk fills


_LOAD_SCRIPT = r"""
import sys
from pathlib import Path
from ingest.loaders import load_landing
from ingest.warehouse import connect
con = connect(Path(sys.argv[1]))
print("connected", flush=True)
report = load_landing(con, Path(sys.argv[2]))
con.close()
print("done", sum(f.rows_loaded for f in report.files), flush=True)
"""


def _big_calls(path: Path, n: int, prefix: str = "big") -> Path:
    return write(
        path, "".join(json.dumps(call(call_id=f"{prefix}-{i}", output_tokens=i % 100)) + "\n" for i in range(n))
    )


def test_loader_killed_mid_file_commits_nothing_of_it_and_the_rerun_loads_it_whole(landing, tmp_path):
    warehouse = tmp_path / "wh.duckdb"
    write_calls(landing / DAY / "a-small.jsonl", [call(call_id="small")])
    con = connect(warehouse)
    load_landing(con, landing)
    con.close()
    _big_calls(landing / DAY / "b-big.jsonl", 300_000)
    proc = subprocess.Popen(
        [sys.executable, "-c", _LOAD_SCRIPT, str(warehouse), str(landing)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "connected"
        time.sleep(0.8)  # inside the big file's transaction (it takes a few seconds)
        assert proc.poll() is None, proc.stderr.read()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    con = connect(warehouse)  # the WAL is replayed; the open transaction is gone
    try:
        assert_nothing_lost(con)
        assert [p for p, *_ in ledger(con)] == [str(landing / DAY / "a-small.jsonl")]
        assert con.execute("select count(*) from raw.calls").fetchone() == (1,)
        report = load_landing(con, landing)
        assert_nothing_lost(con, report)
        assert con.execute(
            "select count(*), sum(output_tokens) from raw.calls where call_id like 'big-%'"
        ).fetchone() == (300_000, sum(i % 100 for i in range(300_000)))
    finally:
        con.close()


def _load_with_file_size_limit(warehouse: Path, landing: Path, limit: int) -> subprocess.CompletedProcess:
    import resource

    def limit_writes():  # writes past `limit` bytes fail with EFBIG, as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [sys.executable, "-c", _LOAD_SCRIPT, str(warehouse), str(landing)],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=limit_writes,
    )


def test_disk_full_while_loading_fails_the_load_and_loses_nothing(landing, tmp_path):
    warehouse = tmp_path / "wh.duckdb"
    write_calls(landing / DAY / "a-small.jsonl", [call(call_id="small")])
    con = connect(warehouse)
    load_landing(con, landing)
    con.execute("checkpoint")
    con.close()
    size = warehouse.stat().st_size
    _big_calls(landing / DAY / "b-big.jsonl", 100_000)
    failed = _load_with_file_size_limit(warehouse, landing, size + 256 * 1024)
    assert failed.returncode != 0
    assert "File too large" in failed.stderr or "No space" in failed.stderr or "IO Error" in failed.stderr, (
        failed.stderr[-2000:]
    )
    con = connect(warehouse)  # space is back: the warehouse opens, the small file is intact
    try:
        assert_nothing_lost(con)
        assert con.execute("select call_id from raw.calls").fetchall() == [("small",)]
        report = load_landing(con, landing)
        assert_nothing_lost(con, report)
        assert con.execute("select count(*) from raw.calls").fetchone() == (100_001,)
    finally:
        con.close()
