"""End to end: demo -> finops materialize (Dagster + dbt on DuckDB) -> marts, against the
generator's ground truth."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from ingest.config import REPO_ROOT
from ingest.schemas import BILL_FIELDS
from tests.conftest import Workspace


def _truth(ws_landing) -> dict[tuple[str, str], Decimal]:
    truth: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    with (ws_landing / "_demo" / "ground_truth.csv").open() as handle:
        for row in csv.DictReader(handle):
            truth[(row["tenant_id"], row["feature"])] += Decimal(row["true_cost_usd"])
    return truth


def _manifest(ws: Workspace) -> dict:
    return json.loads((ws.landing / "_demo" / "manifest.json").read_text())


def test_attributed_cost_matches_ground_truth_per_tenant_and_feature(built_any):
    truth = _truth(built_any.landing)
    attributed = {
        (t, f): c
        for t, f, c in built_any.query(
            "select tenant_id, feature, sum(attributed_cost) from marts.fct_cost_daily "
            "where cost_kind = 'usage' group by all"
        )
    }
    assert set(attributed) == set(truth), "tenant x feature cells differ from the ground truth"
    errors = {key: abs(attributed[key] - truth[key]) / truth[key] for key in truth if truth[key] > 0}
    worst = max(errors, key=errors.get)
    assert errors[worst] < Decimal("0.005"), f"{worst}: attributed {attributed[worst]} vs true {truth[worst]}"


def test_attributed_cost_sums_to_the_bill_exactly(built_any):
    manifest = _manifest(built_any)
    billed = Decimal(manifest["billed_usage_total"]) + Decimal(manifest["credit_total"])
    (attributed_billed,) = built_any.query("select sum(attributed_billed_cost) from marts.fct_cost_daily")[0]
    assert attributed_billed == billed
    kinds = dict(built_any.query("select cost_kind, sum(attributed_cost) from marts.fct_cost_daily group by 1"))
    assert kinds["credit"] == Decimal(manifest["credit_total"]) == Decimal("-25.00")
    calls = built_any.query(
        "select count(*), count(*) filter (where cache_outcome = 'app_hit') from marts.fct_llm_calls"
    )[0]
    assert calls == (manifest["calls_logged"], manifest["app_cache_hits"])


def test_list_cost_equals_true_cost_of_logged_calls(built_any):
    """Pricing in SQL agrees with the generator's Decimal pricing: the bill's true usage cost minus
    the missing calls' cost is what the logged calls must price to."""
    manifest = _manifest(built_any)
    (list_total,) = built_any.query("select sum(list_cost) from marts.fct_llm_calls")[0]
    (unpriced,) = built_any.query("select count(*) from marts.fct_llm_calls where not is_priced")[0]
    assert unpriced == 0
    expected = Decimal(manifest["true_cost_total"]) - Decimal(manifest["missing_true_cost"])
    assert list_total == expected


def test_honest_bills_reconcile(built_any):
    statuses = dict(built_any.query("select reconciliation_status, count(*) from marts.fct_reconciliation group by 1"))
    assert statuses == {"reconciled": 186}  # 6 accounts x 30 days + 6 month rows
    result = built_any.finops("reconcile")
    assert result.returncode == 0, result.stdout
    assert "180 day rows: 180 reconciled\n" in result.stdout


def test_an_inflated_bill_is_published_with_its_status_and_exit_4(built, tmp_path):
    """A late usage file bills the last day 50% over list: a business variance, not an integrity failure.
    The next daily run rebuilds that day only, publishes, every such period carries out_of_tolerance (on
    fct_cost_daily's rows too), the asset check fails (a warning), `finops materialize` exits 4 and
    `finops reconcile` exits 1."""
    ws = built.copy(tmp_path / "ws")
    serving = ws.warehouse.with_name("serving.duckdb")
    published = serving.stat().st_mtime_ns
    for path in list((ws.landing / "billing" / "focus").rglob("*.csv")):
        with path.open(newline="") as handle:
            rows = [
                r
                for r in csv.DictReader(handle)
                if r["ChargeCategory"] == "Usage" and r["ChargePeriodStart"].startswith("2026-10-30")
            ]
        if not rows:
            continue
        with path.with_name(path.stem + "-rerated-2026-10-30.csv").open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            for row in rows:
                row["BilledCost"] = str((Decimal(row["BilledCost"]) / 2).quantize(Decimal("0.01")))
                writer.writerow(row)
    result = ws.materialize("2026-10-30", "2026-10-30")
    assert result.returncode == 4, result.stdout[-3000:] + result.stderr[-3000:]
    assert "dbt build for UTC days [2026-10-30, 2026-10-31)\n" in result.stdout + result.stderr  # one day rebuilt
    assert "reconciliation period(s) are OUT OF TOLERANCE" in result.stderr
    assert "no_period_out_of_tolerance_fct_reconciliation" in result.stdout + result.stderr
    assert serving.stat().st_mtime_ns != published
    big = {
        a
        for (a,) in built.query(
            "select billing_account from marts.fct_reconciliation where period_grain = 'day' "
            "and period_start = '2026-10-30' and billed_usage_cost >= 5"
        )
    }
    con = duckdb.connect(str(serving), read_only=True)
    try:
        out = {
            a
            for (a,) in con.execute(
                "select billing_account from marts.fct_reconciliation where period_grain = "
                "'day' and period_start = '2026-10-30' and reconciliation_status = "
                "'out_of_tolerance'"
            ).fetchall()
        }
        assert big and big <= out
        assert {
            a
            for (a,) in con.execute(
                "select distinct billing_account from marts.fct_cost_daily where cost_day = "
                "'2026-10-30' and reconciliation_status = 'out_of_tolerance'"
            ).fetchall()
        } == out
        assert (
            con.execute(
                "select count(*) from marts.fct_reconciliation where period_grain = 'day' and "
                "period_start < '2026-10-30' and reconciliation_status <> 'reconciled'"
            ).fetchone()[0]
            == 0
        )
    finally:
        con.close()
    reconcile = ws.finops("reconcile")
    assert reconcile.returncode == 1
    assert f"{len(out)} out of tolerance" in reconcile.stdout


def test_rerun_and_duplicate_file_change_nothing(built, tmp_path):
    ws = built.copy(tmp_path / "ws")
    totals_sql = (
        "select (select count(*) from marts.fct_llm_calls), (select sum(attributed_cost) from marts.fct_llm_calls), "
        "(select sum(list_cost) from marts.fct_cost_daily), (select sum(attributed_cost) from marts.fct_cost_daily), "
        "(select count(*) from marts.fct_cost_daily), (select sum(billed_total_cost) from marts.fct_reconciliation), "
        "(select count(*) from raw.calls), (select count(*) from raw.bill_lines)"
    )
    before = ws.query(totals_sql)
    day_file = next((ws.landing / "calls" / "canonical").rglob("calls-2026-10-05.*"))
    shutil.copy(day_file, day_file.parent / ("copy of " + day_file.name))
    bill = next((ws.landing / "billing" / "focus").rglob("*.csv"))
    shutil.copy(bill, bill.with_name("resent-" + bill.name))
    result = ws.materialize("2026-10-05", "2026-10-05")
    assert result.returncode == 0, result.stdout[-3000:]
    assert ws.query(totals_sql) == before
    logged = result.stdout + result.stderr
    for kind in ("calls", "billing"):  # each ingest step says what it found
        assert re.search(
            rf"{kind}: 0 new file\(s\) loaded \(0 rows, 0 quarantined\); \d+ already loaded, "
            r"[1-9]\d* duplicate\(s\)",
            logged,
        ), logged[-3000:]
    duplicates = ws.query(
        "select count(*) from raw.files where status = 'duplicate' "
        "and (file_path like '%copy of calls-%' or file_path like '%resent-%')"
    )[0][0]
    assert duplicates == 2
    started = time.time()
    result = ws.materialize("2026-10-05", "2026-10-06")
    assert result.returncode == 0
    assert ws.query(totals_sql) == before
    # a new window keeps dbt's partial parsing (the window is read when dbt executes), and the tests
    # filtered on the window check the run's days
    assert "Unable to do partial parsing" not in result.stdout
    compiled = next(
        (ws.root / "warehouse" / "finops.duckdb.dbt" / "compiled").rglob("unique_fct_llm_calls_call_id.sql")
    ).read_text()
    assert "call_day >= cast('2026-10-05' as date) and call_day < cast('2026-10-07' as date)" in compiled
    # dbt's target dir is the warehouse's own and is reused: the last run's results are there, and no
    # per-run dir was added under the dbt project
    run_results = json.loads((ws.root / "warehouse" / "finops.duckdb.dbt" / "run_results.json").read_text())
    assert run_results["metadata"]["generated_at"] >= datetime.fromtimestamp(started, UTC).isoformat()[:19]
    assert {r["status"] for r in run_results["results"]} <= {"success", "pass", "warn", "no-op"}
    assert not list((REPO_ROOT / "dbt_project" / "target").glob("finops_dbt_assets-*"))


def _dbt_project_copy(repo: Path) -> dict[str, str]:
    """A copy of the dbt project and its seeds under `repo`, for tests that change a seed; returns the
    environment that makes `finops materialize` build it (its first run parses it)."""
    shutil.copytree(REPO_ROOT / "dbt_project", repo / "dbt_project", ignore=shutil.ignore_patterns("target", "logs"))
    shutil.copytree(REPO_ROOT / "data" / "reference", repo / "data" / "reference")
    return {"FINOPS_DBT_PROJECT_DIR": str(repo / "dbt_project")}


def test_a_failing_column_test_fails_the_run_and_is_logged(built, tmp_path):
    """dbt's column tests are not Dagster asset checks (dagster_project.dbt_assets), but one that fails
    still fails the run, is named in the run's log, and nothing is published."""
    ws = built.copy(tmp_path / "ws")
    env = _dbt_project_copy(tmp_path / "repo")
    seed = tmp_path / "repo" / "data" / "reference" / "tenants.csv"
    # a tenant listed twice (unique) and one without an id (the seed's not-null columns, one test)
    seed.write_text(seed.read_text() + "t001,Northwind Health (typo),enterprise,1.00\n,Nameless Co,startup,1.00\n")
    serving = ws.root / "warehouse" / "serving.duckdb"
    published = serving.stat().st_mtime_ns
    result = subprocess.run(
        [sys.executable, "-m", "dagster_project.cli", "materialize", "--start", "2026-10-05", "--end", "2026-10-05"],
        env={**ws.env(), **env},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "dbt test unique_tenants_tenant_id: fail" in result.stdout + result.stderr
    assert "dbt test not_null_columns_tenants_tenant_id: fail" in result.stdout + result.stderr
    assert serving.stat().st_mtime_ns == published


def test_unknown_model_is_flagged_billed_by_tokens_and_an_override_reprices_history(built, tmp_path):
    """A model the catalog lacks: flagged and counted, never $0. Its bill line names it, so the bill is
    split over its calls by tokens, but list cost stays unknown: the account-day is out of tolerance (exit
    4, published) and `finops reconcile` names the model. An override in the company config dir prices it
    on the next daily run with no other command (the config change marks the days it applies to), and a
    corrected contract price re-prices the history it covers; the bill still decides attribution."""
    ws = built.copy(tmp_path / "ws")
    overrides = ws.config / "price_overrides.csv"
    calls = [
        {
            "call_id": f"acme-{i}",
            "started_at": f"2026-10-28T12:00:0{i}Z",
            "provider": "openai",
            "billing_account": "proj_prod",
            "model_requested": "acme-llm-9",
            "input_uncached_tokens": 1_000_000,
            "output_tokens": 0,
            "tenant_id": "t001",
            "feature": "chat_assistant",
            "environment": "prod",
        }
        for i in range(3)
    ]
    (ws.landing / "calls" / "canonical" / "late").mkdir()
    (ws.landing / "calls" / "canonical" / "late" / "acme.jsonl").write_text("\n".join(json.dumps(c) for c in calls))
    header = ",".join(f.name for f in BILL_FIELDS)
    (ws.landing / "billing" / "focus" / "acme.csv").write_text(
        header + "\n2026-10-28T00:00:00Z,2026-10-29T00:00:00Z,openai,org,proj_prod,Usage,,acme,acme:in,3000000,"
        "Tokens,30.00,30.00,30.00,USD,acme-llm-9,input_uncached,standard,bill\n"
    )
    acme = (
        "select is_priced, list_cost, attributed_cost, attribution_status from marts.fct_llm_calls "
        "where model_served = 'acme-llm-9'"
    )
    day = (
        "select unpriced_calls, unattributed_usage_cost, computed_cost - billed_usage_cost, reconciliation_status "
        "from marts.fct_reconciliation where period_grain = 'day' and period_start = '2026-10-28' "
        "and billing_account = 'proj_prod'"
    )
    before = built.query(day)[0]

    # the next daily run (2026-10-30) rebuilds 2026-10-28, whose calls and bill changed (and the day after it)
    flagged = ws.materialize("2026-10-30", "2026-10-30")
    assert flagged.returncode == 4, flagged.stdout[-3000:] + flagged.stderr[-3000:]
    assert "day 2026-10-28 openai/proj_prod" in flagged.stderr
    assert ws.query(acme) == [(False, None, Decimal(10), "unpriced")] * 3
    assert ws.query(day) == [(3, Decimal(0), before[2] - Decimal(30), "out_of_tolerance")]
    report = ws.finops("reconcile")
    assert report.returncode == 1
    assert "3 calls (3,000,000 tokens) of openai/acme-llm-9 have no price" in report.stdout
    assert f"add it to {overrides}" in report.stdout

    overrides.write_text(
        overrides.read_text() + "openai,acme-llm-9,input_uncached,standard,10.000000,2026-10-28,,contract\n"
    )
    priced = ws.materialize("2026-10-30", "2026-10-30")
    assert priced.returncode == 0, priced.stdout[-3000:] + priced.stderr[-3000:]
    assert "plus 2 earlier day(s)" in priced.stdout + priced.stderr  # the days the override applies to
    assert ws.query(acme) == [(True, Decimal(10), Decimal(10), "billed")] * 3
    assert ws.query(day) == [(0, Decimal(0), before[2], before[3])]

    overrides.write_text(
        overrides.read_text().replace(
            "acme-llm-9,input_uncached,standard,10.000000", "acme-llm-9,input_uncached,standard,10.100000"
        )
    )
    repriced = ws.materialize("2026-10-30", "2026-10-30")
    assert repriced.returncode == 0, repriced.stdout[-3000:] + repriced.stderr[-3000:]
    assert (
        ws.query("select list_cost, attributed_cost from marts.fct_llm_calls where model_served = 'acme-llm-9'")
        == [(Decimal("10.1"), Decimal(10))] * 3
    )
    assert ws.query(day)[0][2] == before[2] + Decimal("0.3")


def test_bill_lines_reconcile_at_the_vendor_grain(built_any):
    manifest = _manifest(built_any)
    lines, billed, computed, statuses = built_any.query(
        "select count(*), sum(billed_cost), sum(computed_cost), list(distinct line_status order by line_status) "
        "from marts.fct_bill_reconciliation"
    )[0]
    assert lines == manifest["billed_usage_lines"]
    assert billed == Decimal(manifest["billed_usage_total"])
    assert computed == Decimal(manifest["true_cost_total"]) - Decimal(manifest["missing_true_cost"])
    assert "unattributed" not in statuses


def test_a_reader_on_the_serving_file_does_not_block_a_materialization(built, tmp_path):
    ws = built.copy(tmp_path / "ws")
    serving = ws.warehouse.with_name("serving.duckdb")
    reader = duckdb.connect(str(serving), read_only=True)
    try:
        before = reader.execute("select sum(attributed_cost) from marts.fct_cost_daily").fetchone()[0]
        result = ws.materialize("2026-10-07", "2026-10-07")
        assert result.returncode == 0, result.stdout[-3000:]
        assert reader.execute("select sum(attributed_cost) from marts.fct_cost_daily").fetchone()[0] == before
    finally:
        reader.close()
    fresh = duckdb.connect(str(serving), read_only=True)
    try:
        assert fresh.execute("select sum(attributed_cost) from marts.fct_cost_daily").fetchone()[0] == before
    finally:
        fresh.close()
