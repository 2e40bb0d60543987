"""Faults around a whole `finops materialize` (Dagster + dbt on DuckDB), on a TINY demo: 3 UTC days
from 2026-10-30 (so a month boundary), 200 calls a day. The calls AND the bills of 2026-11-01 are
held back (landing/_held/, which the loader ignores); the demo is materialized once for the module
(`base`). Two chains of runs then start from copies of it, in parallel threads:

- chain "kill": everything held arrives; a run is SIGKILLed while dbt builds; its orphaned dbt child
  is waited for; the re-run holds the lock while a second `finops materialize` is refused, and a
  reader holds the serving file throughout; then a correction for a built day arrives and the next
  daily run fails its bill identity test;
- chain "late": November's bills arrive before their calls and the daily run fails reconciliation
  (nothing published); the calls arrive with a late file for 2026-10-30 (new calls, a duplicate call
  id, an unknown model, an unknown provider, day-edge timestamps) and re-sent copies, and the daily
  run succeeds, naming the old day; a correction + refund arrive and the old days are materialized.

Each test asserts one scenario on what the chains recorded: nothing lost (raw.files ledger), mart
totals against the generator's manifest, and the serving file intact. ~2 minutes on 2 cores (about
7 Dagster + dbt runs). Operator docs: docs/operations.md."""

from __future__ import annotations

import csv
import errno
import fcntl
import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

import serving.publish as publish_mod
from demo.generate import generate
from ingest.warehouse import run_lock, run_lock_path
from serving.publish import PublishError, publish
from tests.conftest import Workspace
from tests.faults.kit import bill_csv, bill_line, call, write, write_calls

START, MIDDLE, END = "2026-10-30", "2026-10-31", "2026-11-01"
TOTALS = """
select (select count(*) from marts.fct_llm_calls),
       (select sum(calls) from marts.fct_cost_daily),
       (select sum(attributed_billed_cost) from marts.fct_cost_daily),
       (select sum(attributed_cost) from marts.fct_cost_daily),
       (select sum(billed_total_cost) from marts.fct_reconciliation where period_grain = 'day')
"""
LEDGER = """
select count(*) filter (where status = 'loaded' and rows_read <> rows_loaded + rows_quarantined),
       count(*) filter (where status = 'loaded'),
       (select count(*) from raw.calls) + (select count(*) from raw.bill_lines),
       sum(rows_loaded) filter (where status = 'loaded'),
       (select count(*) from raw.quarantine), sum(rows_quarantined) filter (where status = 'loaded')
from raw.files
"""
DAY_ROWS = "select * exclude (source_file_id) from marts.fct_llm_calls where call_day = ? order by call_id"
DAY_COST = "select * from marts.fct_cost_daily where cost_day = ? order by all"
STATUSES = (
    "select period_grain, period_start::varchar, provider, billing_account, reconciliation_status "
    "from marts.fct_reconciliation order by all"
)
LATE_CALLS = 4
EDGE_DAYS = {"edge-last": START, "edge-naive": START, "edge-first": END, "edge-offset": END}


# ---------------------------------------------------------------------------------------------
# helpers


@dataclass
class Base:
    ws: Workspace
    manifest: dict
    held: Path  # landing/_held/: END's calls file and November's bills, same relative paths
    held_calls: int
    held_billed: Decimal
    run: subprocess.CompletedProcess


class Run:
    """`finops materialize` as a child in its own process group, its output pumped by a thread."""

    def __init__(self, ws: Workspace, start: str, end: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dagster_project.cli", "materialize", "--start", start, "--end", end],
            env=ws.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._pump = threading.Thread(
            target=lambda: self.lines.extend(iter(self.proc.stdout.readline, "")), daemon=True
        )
        self._pump.start()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if self.proc.poll() is not None and not self._pump.is_alive():
                raise AssertionError(f"run ended (rc {self.proc.returncode}) before {text!r}:\n{self.output[-4000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} after {timeout} s:\n{self.output[-4000:]}")
            time.sleep(0.1)

    def finish(self, timeout: float = 900) -> int:
        rc = self.proc.wait(timeout=timeout)
        self._pump.join(timeout=30)
        return rc


def _group_alive(pgid: int) -> list[int]:
    """Live (non-zombie) processes of a process group, from /proc."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(stat.parent.name))
    return alive


def _totals(con: duckdb.DuckDBPyConnection) -> tuple:
    return con.execute(TOTALS).fetchone()


def _serving(ws: Workspace) -> dict:
    """The serving file opens; meta.published names every table with its row count; totals."""
    path = ws.warehouse.with_name("serving.duckdb")
    con = duckdb.connect(str(path), read_only=True)
    try:
        meta = dict(con.execute("select schema_name || '.' || table_name, row_count from meta.published").fetchall())
        counts = {name: con.execute(f"select count(*) from {name}").fetchone()[0] for name in meta}
        published_at = con.execute("select max(published_at) from meta.published").fetchone()[0]
        return {
            "meta_matches": meta == counts and "marts.fct_cost_daily" in meta,
            "published_at": published_at,
            "totals": _totals(con),
        }
    finally:
        con.close()


def _ledger(ws: Workspace) -> dict:
    bad, files, raw_rows, loaded, quarantined, counted_q = ws.query(LEDGER)[0]
    return {
        "bad_files": bad,
        "files": files,
        "raw_rows": raw_rows,
        "rows_loaded": loaded,
        "quarantine_rows": quarantined,
        "rows_quarantined": counted_q,
    }


def _assert_ledger(ledger: dict) -> None:
    assert ledger["bad_files"] == 0
    assert ledger["raw_rows"] == ledger["rows_loaded"]
    assert ledger["quarantine_rows"] == ledger["rows_quarantined"]


def _expected_billed(manifest: dict, *extra: str) -> Decimal:
    return Decimal(manifest["billed_usage_total"]) + Decimal(manifest["credit_total"]) + sum(map(Decimal, extra))


def _bill_total(ws: Workspace, day: str) -> Decimal:
    """What the vendor billed for a UTC day, every line, from raw.bill_lines (a file loaded once)."""
    return ws.query(
        'select coalesce(sum("BilledCost"), 0) from raw.bill_lines where "ChargePeriodStart"::date = ?', [day]
    )[0][0]


MONTHS = (
    "select period_start::varchar, sum(billed_total_cost) from marts.fct_reconciliation "
    "where period_grain = 'month' group by 1 order by 1"
)
MONTHS_FROM_DAYS = (
    "select strftime(period_start, '%Y-%m-01'), sum(billed_total_cost) from marts.fct_reconciliation "
    "where period_grain = 'day' group by 1 order by 1"
)


# ---------------------------------------------------------------------------------------------
# the base build and the two chains


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Base:
    ws = Workspace(tmp_path_factory.mktemp("faults_base"))
    manifest = generate(ws.landing, start=date.fromisoformat(START), days=3, calls_per_day=200)
    held = ws.landing / "_held"
    moving = [*(ws.landing / "calls").rglob(f"calls-{END}.*"), *(ws.landing / "billing").rglob("*-2026-11.csv")]
    held_calls, held_billed = 0, Decimal(0)
    for path in moving:
        target = held / path.relative_to(ws.landing)
        target.parent.mkdir(parents=True, exist_ok=True)
        path.rename(target)
        if target.suffix == ".parquet":
            held_calls += pq.read_metadata(target).num_rows
        elif target.suffix == ".jsonl":
            held_calls += sum(1 for line in target.read_text().splitlines() if line.strip())
        else:
            with target.open(newline="") as handle:
                held_billed += sum(Decimal(r["BilledCost"]) for r in csv.DictReader(handle))
    assert held_calls > 0 and held_billed != 0
    run = ws.materialize(START, END)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    return Base(ws, manifest, held, held_calls, held_billed, run)


def _restore(base: Base, ws: Workspace, kind: str) -> list[Path]:
    restored = []
    for path in (base.held / kind).rglob("*"):
        if path.is_file():
            target = ws.landing / path.relative_to(base.held)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
            restored.append(target)
    return restored


def _correction_bill(ws: Workspace) -> Path:
    """A correction (re-rated usage) and a refund for MIDDLE, a day that is already built."""
    return write(
        ws.landing / "billing" / "focus" / "openai" / "openai-2026-10-corrections.csv",
        bill_csv(
            [
                bill_line(
                    ChargePeriodStart=f"{MIDDLE}T00:00:00Z",
                    ChargePeriodEnd=f"{END}T00:00:00Z",
                    ChargeClass="Correction",
                    ChargeDescription="re-rated gpt-4o-mini input",
                    BilledCost="-0.40",
                    EffectiveCost="-0.40",
                    ListCost="-0.40",
                ),
                bill_line(
                    ChargePeriodStart=f"{MIDDLE}T00:00:00Z",
                    ChargePeriodEnd=f"{END}T00:00:00Z",
                    ChargeCategory="Credit",
                    SkuId="refund",
                    ChargeDescription="refund of an outage",
                    BilledCost="-1.00",
                    EffectiveCost="-1.00",
                    ListCost="0.00",
                    x_Model="unknown",
                    x_TokenBucket="unknown",
                ),
            ]
        ),
    )


def chain_kill(base: Base, root: Path) -> dict:
    ws = base.ws.copy(root / "kill")
    _restore(base, ws, "calls")
    _restore(base, ws, "billing")
    obs: dict = {"ws": ws}
    killed = Run(ws, START, END)
    killed.wait_for("Running dbt command")
    os.kill(killed.proc.pid, signal.SIGKILL)  # the CLI only: its dbt child is orphaned
    obs["killed_rc"] = killed.finish()
    obs["orphans_after_kill"] = _group_alive(killed.proc.pid)
    deadline = time.monotonic() + 300
    while _group_alive(killed.proc.pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    obs["orphans_after_wait"] = leftover = _group_alive(killed.proc.pid)
    if leftover:  # never leave our own processes behind
        os.killpg(killed.proc.pid, signal.SIGKILL)

    reader = duckdb.connect(str(ws.warehouse.with_name("serving.duckdb")), read_only=True)
    try:
        obs["reader_before"] = _totals(reader)
        rerun = Run(ws, START, END)
        rerun.wait_for("materializing UTC days")
        obs["second"] = ws.finops("materialize", "--start", START, "--end", END)
        obs["rerun_rc"] = rerun.finish()
        obs["rerun_output"] = rerun.output
        obs["reader_after"] = _totals(reader)
    finally:
        reader.close()
    obs["totals"] = ws.query(TOTALS)[0]
    obs["days"] = {d: (ws.query(DAY_ROWS, [d]), ws.query(DAY_COST, [d])) for d in (START, MIDDLE)}
    obs["ledger"] = _ledger(ws)
    obs["serving"] = _serving(ws)
    obs["statuses"] = ws.query(STATUSES)
    obs["months"], obs["months_from_days"] = ws.query(MONTHS), ws.query(MONTHS_FROM_DAYS)
    obs["billed"] = {d: _bill_total(ws, d) for d in (START, MIDDLE, END)}
    obs["call_days"] = ws.query(
        "select count(*) filter (where call_day <> started_at::date), "
        "min(started_at)::varchar, max(started_at)::varchar from marts.fct_llm_calls "
        "where call_day = ?",
        [MIDDLE],
    )[0]

    # then a correction for an already built day arrives, and the next daily run comes
    _correction_bill(ws)
    obs["correction_daily"] = ws.materialize(END, END)
    obs["after_correction_daily"] = {
        "ledger": _ledger(ws),
        "serving": _serving(ws),
        "middle_cost": ws.query(DAY_COST, [MIDDLE]),
        "middle_kinds": dict(
            ws.query(
                "select cost_kind, sum(attributed_billed_cost) from marts.fct_cost_daily "
                "where cost_day = ? and cost_kind <> 'usage' group by 1",
                [MIDDLE],
            )
        ),
    }
    return obs


def chain_late(base: Base, root: Path) -> dict:
    ws = base.ws.copy(root / "late")
    obs: dict = {"ws": ws}
    # 1. November's bills arrive before their calls; the next daily run
    _restore(base, ws, "billing")
    obs["bill_first"] = ws.materialize(END, END)
    obs["after_bill_first"] = {
        "kinds": dict(
            ws.query(
                "select cost_kind, sum(attributed_billed_cost) from marts.fct_cost_daily where cost_day = ? group by 1",
                [END],
            )
        ),
        "statuses": [r for r in ws.query(STATUSES) if r[1].startswith("2026-11")],
        "ledger": _ledger(ws),
        "serving": _serving(ws),
    }
    # 2. the calls arrive, with a late file for START and re-sent copies; the daily run again
    _restore(base, ws, "calls")
    canonical = ws.landing / "calls" / "canonical"
    (first_file,) = canonical.rglob(f"calls-{START}.jsonl")
    original = json.loads(first_file.read_text().splitlines()[0])
    obs["original"] = original
    late = [
        call(
            call_id=f"late-{i}",
            started_at=f"{START}T12:00:0{i}Z",
            tenant_id="t001",
            feature="chat_assistant",
            environment="prod",
        )
        for i in range(LATE_CALLS)
    ]
    late += [
        {**original, "output_tokens": original["output_tokens"] + 1000},  # same call id, other tokens
        call(call_id="late-unknown-model", model_requested="acme-llm-9", started_at=f"{START}T13:00:00Z"),
        call(
            call_id="late-unknown-provider",
            provider="acme",
            billing_account="acme-main",
            model_requested="acme-1",
            started_at=f"{START}T14:00:00Z",
        ),
    ]
    late += [
        call(call_id="edge-last", started_at=f"{START}T23:59:59.999999Z"),  # the last instant of START
        call(call_id="edge-naive", started_at=f"{START} 23:00:00"),
    ]  # naive: UTC
    write_calls(canonical / "2026" / "10" / "30" / "late-calls.jsonl", late)
    write_calls(
        canonical / "2026" / "11" / "01" / "edge-calls.jsonl",
        [
            call(call_id="edge-first", started_at=f"{END}T00:00:00Z"),  # the first instant of END (and November)
            call(call_id="edge-offset", started_at=f"{MIDDLE}T20:00:00-04:00"),
        ],
    )  # = END 00:00 UTC
    (middle_file,) = canonical.rglob(f"calls-{MIDDLE}.*")
    shutil.copy(middle_file, middle_file.with_name("copy of " + middle_file.name))
    (anthropic_bill,) = (ws.landing / "billing" / "focus" / "anthropic").glob("*-2026-10.csv")
    shutil.copy(anthropic_bill, anthropic_bill.with_name("resent " + anthropic_bill.name))
    obs["daily"] = ws.materialize(END, END)
    obs["after_daily"] = {
        "end_calls": ws.query("select count(*) from marts.fct_llm_calls where call_day = ?", [END])[0][0],
        "end_kinds": dict(
            ws.query(
                "select cost_kind, sum(attributed_billed_cost) from marts.fct_cost_daily where cost_day = ? group by 1",
                [END],
            )
        ),
        "start_rows": ws.query(DAY_ROWS, [START]),
        "start_cost": ws.query(DAY_COST, [START]),
        "start_billed": ws.query(
            "select sum(attributed_billed_cost) from marts.fct_cost_daily where cost_day = ?", [START]
        )[0][0],
        "late_calls": ws.query("select count(*) from marts.fct_llm_calls where call_id like 'late-%'")[0][0],
        "ledger": _ledger(ws),
        "serving": _serving(ws),
    }
    # 3. a correction and a refund for MIDDLE arrive; an operator rebuilds the old days by hand
    _correction_bill(ws)
    obs["old_days"] = ws.materialize(START, MIDDLE)
    obs["totals"] = ws.query(TOTALS)[0]
    obs["ledger"] = _ledger(ws)
    obs["serving"] = _serving(ws)
    obs["statuses"] = ws.query(STATUSES)
    return obs


@pytest.fixture(scope="module")
def chains(base, tmp_path_factory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("faults_chains")
    jobs: dict[str, Callable[[Base, Path], dict]] = {"kill": chain_kill, "late": chain_late}
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {name: pool.submit(job, base, root) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


# ---------------------------------------------------------------------------------------------
# the base build: a bill before its calls, across a month boundary


def test_tiny_demo_reconciles_and_its_bill_sums_exactly(base):
    ws, manifest = base.ws, base.manifest
    calls, summed_calls, billed, attributed, day_billed = ws.query(TOTALS)[0]
    assert calls == summed_calls == manifest["calls_logged"] - base.held_calls
    assert billed == attributed == day_billed == _expected_billed(manifest) - base.held_billed
    assert {s for *_, s in ws.query(STATUSES)} == {"reconciled"}
    _assert_ledger(_ledger(ws))
    serving = _serving(ws)
    assert serving["meta_matches"] and serving["totals"] == ws.query(TOTALS)[0]


def test_a_bill_arriving_before_its_calls_awaits_them_then_is_allocated(base, chains):
    late = chains["late"]
    first = late["bill_first"]
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-4000:]
    seen = late["after_bill_first"]
    billed_end = _bill_total(late["ws"], END)
    assert "usage" not in seen["kinds"] and sum(seen["kinds"].values()) == billed_end  # all visible, none on calls
    # a bill without its calls is awaited (within the grace), not a failure: published; the account whose bill
    # is above the $1 materiality floor waits for its calls, the others are within the floor
    assert {
        (grain, account, status) for grain, _, _, account, status in seen["statuses"] if status != "reconciled"
    } == {("day", "wrk_prod", "awaiting_calls"), ("month", "wrk_prod", "awaiting_calls")}
    _assert_ledger(seen["ledger"])
    assert seen["serving"]["meta_matches"] and seen["serving"]["published_at"] > _serving(base.ws)["published_at"]
    daily = late["daily"]
    assert daily.returncode == 0, daily.stdout[-4000:] + daily.stderr[-4000:]
    after = late["after_daily"]
    assert after["end_calls"] == base.held_calls + 2  # + edge-first and edge-offset
    assert sum(after["end_kinds"].values()) == billed_end  # the same bill, now on the calls
    assert after["end_kinds"]["usage"] > 0 and after["end_kinds"].get("unattributed_usage", 0) == 0
    assert after["serving"]["meta_matches"] and after["serving"]["published_at"] > seen["serving"]["published_at"]


def test_a_month_boundary_splits_days_and_months_by_utc(chains):
    kill = chains["kill"]  # all three days built: 2026-10-30, 2026-10-31, 2026-11-01
    months, billed = kill["months"], kill["billed"]
    assert [m for m, _ in months] == ["2026-10-01", "2026-11-01"]
    assert months == kill["months_from_days"]  # the month rows are the sum of their days, nothing falls between
    assert months[0][1] == billed[START] + billed[MIDDLE] and months[1][1] == billed[END]
    wrong_day, first, last = kill["call_days"]
    assert wrong_day == 0 and first >= MIDDLE and last < END  # 23:59:59.x stays on its UTC day
    assert {s for *_, s in kill["statuses"]} == {"reconciled"}


# ---------------------------------------------------------------------------------------------
# chain "kill": killed mid-run, re-run, concurrent run refused, reader on the serving file


def test_killed_mid_run_then_rerun_gives_the_clean_totals(base, chains):
    kill = chains["kill"]
    print(f"\norphaned processes right after the kill: {len(kill['orphans_after_kill'])}")
    assert kill["killed_rc"] == -signal.SIGKILL
    assert kill["orphans_after_wait"] == [], "the killed run's dbt child did not finish within 5 minutes"
    assert kill["rerun_rc"] == 0, kill["rerun_output"][-4000:]
    calls, summed, billed, attributed, day_billed = kill["totals"]
    assert calls == summed == base.manifest["calls_logged"]  # the clean run's numbers: the whole demo
    assert billed == attributed == day_billed == _expected_billed(base.manifest)
    _assert_ledger(kill["ledger"])
    assert kill["serving"]["meta_matches"] and kill["serving"]["totals"] == kill["totals"]


def test_rerun_of_days_gives_identical_rows(base, chains):
    for day, (rows, cost) in chains["kill"]["days"].items():
        assert rows == base.ws.query(DAY_ROWS, [day]), day
        assert cost == base.ws.query(DAY_COST, [day]), day


def test_a_second_materialize_is_refused_while_one_runs(chains):
    second = chains["kill"]["second"]
    lock = chains["kill"]["ws"].warehouse.with_name("finops.duckdb.lock")
    assert second.returncode == 3
    assert f"another finops materialize is running (lock {lock})" in second.stderr


def test_a_reader_holding_the_serving_file_during_a_run(base, chains):
    kill = chains["kill"]
    assert kill["reader_before"] == kill["reader_after"] == base.ws.query(TOTALS)[0]  # its snapshot, whole
    assert kill["serving"]["totals"] == kill["totals"] != kill["reader_before"]  # new readers: the new one
    assert kill["serving"]["published_at"] > _serving(base.ws)["published_at"]


# ---------------------------------------------------------------------------------------------
# chain "late": the next daily run and the old days


def test_late_file_for_an_old_day_is_rebuilt_by_the_next_daily_run(base, chains):
    late = chains["late"]
    daily = late["daily"]  # the first run after the late file arrived: today's, and it succeeds
    assert daily.returncode == 0, daily.stdout[-4000:] + daily.stderr[-4000:]
    log = daily.stdout + daily.stderr
    assert (
        f"calls rows changed on 1 day(s) before this run's window ({START} .. {START}): "
        "the run rebuilds those within the lookback" in log
    )
    assert f"dbt build for UTC days [{START}, 2026-11-02): partition [{END}, 2026-11-02) plus 1 earlier day(s)" in log
    # the old day is rebuilt by that same run: the late calls share its bill
    after = late["after_daily"]
    assert after["start_rows"] != base.ws.query(DAY_ROWS, [START])
    assert after["late_calls"] == LATE_CALLS + 2
    assert after["start_billed"] == _bill_total(base.ws, START)  # more calls share the same bill
    _assert_ledger(after["ledger"])
    ws = late["ws"]
    assert (
        ws.query(
            "select count(*) from marts.fct_llm_calls where call_id like 'late-%' and provider = 'openai' "
            "and is_priced and attributed_billed_cost > 0"
        )[0][0]
        == LATE_CALLS
    )
    assert {row[4] for row in late["statuses"] if row[2] != "acme"} == {"reconciled"}


def test_a_late_correction_for_a_built_day_is_rebuilt_by_the_next_daily_run(chains):
    kill = chains["kill"]
    daily = kill["correction_daily"]
    log = daily.stdout + daily.stderr
    assert daily.returncode == 0, log[-4000:]
    assert f"billing rows changed on 1 day(s) before this run's window ({MIDDLE} .. {MIDDLE})" in log
    after = kill["after_correction_daily"]
    _assert_ledger(after["ledger"])
    assert after["serving"]["meta_matches"] and after["serving"]["published_at"] > kill["serving"]["published_at"]
    assert after["middle_kinds"] == {"correction": Decimal("-0.40"), "credit": Decimal("-1.00")}
    assert after["middle_cost"] != kill["days"][MIDDLE][1]


def test_calls_at_the_edges_of_utc_days_and_with_offsets_land_on_their_utc_day(chains):
    ws = chains["late"]["ws"]
    rows = ws.query(
        "select call_id, call_day::varchar, started_at::varchar, attributed_billed_cost > 0 "
        "from marts.fct_llm_calls where call_id like 'edge-%' order by 1"
    )
    assert {c: d for c, d, _, _ in rows} == EDGE_DAYS
    assert {c: t for c, _, t, _ in rows} == {
        "edge-first": "2026-11-01 00:00:00",
        "edge-last": "2026-10-30 23:59:59.999999",
        "edge-naive": "2026-10-30 23:00:00",
        "edge-offset": "2026-11-01 00:00:00",
    }
    assert all(billed for *_, billed in rows)  # each got its share of its own day's bill


def test_duplicate_call_ids_across_files_keep_the_first_loaded_copy(base, chains):
    late = chains["late"]
    original = late["original"]
    assert late["ws"].query(
        "select count(*), max(output_tokens) from marts.fct_llm_calls where call_id = ?", [original["call_id"]]
    ) == [(1, original["output_tokens"])]


def test_unknown_model_and_unknown_provider_are_flagged_never_free(chains):
    ws = chains["late"]["ws"]
    rows = ws.query(
        "select call_id, provider, is_priced, list_cost, attributed_billed_cost, attribution_status "
        "from marts.fct_llm_calls where call_id in ('late-unknown-model', 'late-unknown-provider') "
        "order by 1"
    )
    assert [(c, p, priced, cost) for c, p, priced, cost, *_ in rows] == [
        ("late-unknown-model", "openai", False, None),
        ("late-unknown-provider", "acme", False, None),
    ]
    assert all(billed == 0 for *_, billed, _ in rows)
    # no bill for provider acme: its day and its month are 'awaiting_bill'
    acme = {(grain, status) for grain, _, provider, _, status in chains["late"]["statuses"] if provider == "acme"}
    assert acme == {("day", "awaiting_bill"), ("month", "awaiting_bill")}


def test_corrections_and_refunds_stay_visible_and_sum_exactly(base, chains):
    late = chains["late"]
    ws = late["ws"]
    calls, summed, billed, attributed, day_billed = late["totals"]
    assert calls == summed == base.manifest["calls_logged"] + LATE_CALLS + 2 + len(EDGE_DAYS)
    assert billed == attributed == day_billed == _expected_billed(base.manifest, "-0.40", "-1.00")
    kinds = dict(
        ws.query(
            "select cost_kind, sum(attributed_billed_cost) from marts.fct_cost_daily "
            "where cost_day = ? and provider = 'openai' and cost_kind <> 'usage' group by 1",
            [MIDDLE],
        )
    )
    assert kinds == {"correction": Decimal("-0.40"), "credit": Decimal("-1.00")}
    rec = ws.query(
        "select credits_and_adjustments_cost, billed_total_cost - billed_usage_cost "
        "from marts.fct_reconciliation where period_grain = 'day' and period_start = ? "
        "and provider = 'openai' and billing_account = 'proj_prod'",
        [MIDDLE],
    )
    assert rec == [(Decimal("-1.40"), Decimal("-1.40"))]
    _assert_ledger(late["ledger"])
    assert late["serving"]["meta_matches"] and late["serving"]["totals"] == late["totals"]


def test_same_files_twice_under_other_names_change_nothing(chains):
    ws = chains["late"]["ws"]
    dups = ws.query(
        "select split_part(file_path, '/', -1), status, rows_read from raw.files "
        "where file_path like '%copy of %' or file_path like '%resent %' order by 1"
    )
    assert [(status, rows) for _, status, rows in dups] == [("duplicate", 0), ("duplicate", 0)]
    assert (
        ws.query(
            "select count(*) from marts.fct_llm_calls where source_file_id in "
            "(select file_id from raw.files where status = 'duplicate')"
        )[0][0]
        > 0
    )  # served by the originals


# ---------------------------------------------------------------------------------------------
# no new run needed: the lock, a held build file, a full disk while publishing


def test_lock_file_held_by_another_process_refuses_at_once(base, tmp_path):
    ws = base.ws.copy(tmp_path / "ws")
    lock = ws.warehouse.with_name("finops.duckdb.lock")
    with open(lock, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        started = time.monotonic()
        refused = ws.materialize(START, END)
        assert time.monotonic() - started < 30
    assert refused.returncode == 3 and refused.stderr.strip() == f"another finops materialize is running (lock {lock})"


def test_the_run_lock_is_reentrant_in_a_process_and_released_after_its_last_holder(tmp_path):
    """`finops materialize` takes the lock and the run it starts takes it again: the inner release keeps
    it, the outer one frees it for other processes."""
    warehouse = tmp_path / "finops.duckdb"
    probe = [
        sys.executable,
        "-c",
        "import fcntl, sys; fcntl.flock(open(sys.argv[1], 'a+'), fcntl.LOCK_EX | fcntl.LOCK_NB)",
        str(run_lock_path(warehouse)),
    ]
    with run_lock(warehouse) as path:
        assert path.read_text() == f"{os.getpid()}\n"
        with run_lock(warehouse):
            pass
        assert subprocess.run(probe, capture_output=True).returncode != 0  # still held
    assert subprocess.run(probe, capture_output=True).returncode == 0  # free


def test_a_run_dagster_launches_itself_takes_the_same_lock(base, tmp_path):
    """A run launched without the CLI (the Dagster UI, the schedule) takes the run lock too: refused at
    its start while another run holds it, nothing written; it runs once the lock is free."""
    ws = base.ws.copy(tmp_path / "ws")
    lock = ws.warehouse.with_name("finops.duckdb.lock")
    launch = [
        sys.executable,
        "-c",
        (
            "from dagster_project.definitions import defs; "
            f"r = defs.resolve_job_def('daily_finops').execute_in_process(partition_key='{END}', "
            "raise_on_error=False); print('run succeeded' if r.success else 'run failed')"
        ),
    ]
    files = "select count(*), max(loaded_at) from raw.files"
    before = ws.query(files)
    with open(lock, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        refused = subprocess.run(launch, env=ws.env(), capture_output=True, text=True, timeout=300)
    assert refused.stdout.strip().endswith("run failed"), refused.stdout[-2000:] + refused.stderr[-2000:]
    assert f"RunLockHeld: another finops materialize is running (lock {lock})" in refused.stdout + refused.stderr
    assert ws.query(files) == before
    ran = subprocess.run(launch, env=ws.env(), capture_output=True, text=True, timeout=600)
    assert ran.stdout.strip().endswith("run succeeded"), ran.stdout[-3000:] + ran.stderr[-3000:]


def test_a_build_file_held_by_another_process_is_refused_before_the_run(base, tmp_path):
    """What a killed run's orphaned dbt build looks like to the next run: the DuckDB file lock."""
    ws = base.ws.copy(tmp_path / "ws")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); sys.stdin.readline()",
            str(ws.warehouse),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        refused = ws.materialize(START, END)
    finally:
        holder.communicate("\n", timeout=30)
    assert refused.returncode == 3
    assert f"the warehouse {ws.warehouse} is held by another process" in refused.stderr
    assert f"(PID {holder.pid})" in refused.stderr


def _serving_copy(base: Base, root: Path) -> tuple[Path, Path, str]:
    root.mkdir()
    build, serving = root / "finops.duckdb", root / "serving.duckdb"
    shutil.copy2(base.ws.warehouse, build)
    shutil.copy2(base.ws.warehouse.with_name("serving.duckdb"), serving)
    return build, serving, _sha256(serving)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_disk_full_while_publishing_keeps_the_old_serving_file(base, tmp_path, monkeypatch):
    build, serving, digest = _serving_copy(base, tmp_path / "w")
    real_copy = publish_mod._copy_tables

    def copy_half_then_enospc(con, target, tables, window):
        real_copy(con, target, tables[: len(tables) // 2], window)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(publish_mod, "_copy_tables", copy_half_then_enospc)
    with pytest.raises(PublishError, match=r"step 'copy'.*No space left on device"):
        publish(build, serving)
    assert _sha256(serving) == digest
    assert sorted(p.name for p in serving.parent.iterdir()) == ["finops.duckdb", "serving.duckdb"]
    con = duckdb.connect(str(serving), read_only=True)
    try:
        assert _totals(con) == base.ws.query(TOTALS)[0]
    finally:
        con.close()


def test_a_real_write_limit_while_publishing_keeps_the_old_serving_file(base, tmp_path):
    """The same with the kernel refusing the writes (RLIMIT_FSIZE: EFBIG, like a full disk) in a real
    `finops publish` process: no monkeypatching."""
    build, serving, digest = _serving_copy(base, tmp_path / "w")
    limit = serving.stat().st_size // 2

    def limit_writes():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = {
        **os.environ,
        "FINOPS_WAREHOUSE": str(build),
        "FINOPS_SERVING": str(serving),
        "FINOPS_LANDING_DIR": str(base.ws.landing),
    }
    done = subprocess.run(
        [sys.executable, "-m", "dagster_project.cli", "publish"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=limit_writes,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("finops publish: publish failed at step"), done.stderr[-3000:]
    assert "File too large" in done.stderr and "is unchanged" in done.stderr, done.stderr[-3000:]
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr[-3000:]
    assert _sha256(serving) == digest
    assert sorted(p.name for p in serving.parent.iterdir()) == ["finops.duckdb", "serving.duckdb"]
    ok = subprocess.run(
        [sys.executable, "-m", "dagster_project.cli", "publish"], env=env, capture_output=True, text=True, timeout=300
    )  # space is back
    assert ok.returncode == 0, ok.stderr[-3000:]
    con = duckdb.connect(str(serving), read_only=True)
    try:
        assert _totals(con) == base.ws.query(TOTALS)[0]
    finally:
        con.close()
