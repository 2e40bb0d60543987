"""End to end: demo -> finops materialize (Dagster + dbt on DuckDB) -> marts, against the
generator's ground truth."""

from __future__ import annotations

import csv
import json
import shutil
from collections import defaultdict
from decimal import Decimal

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
        (t, f): c for t, f, c in built_any.query(
            "select tenant_id, feature, sum(attributed_cost) from marts.fct_cost_daily "
            "where cost_kind = 'usage' group by all")
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
    calls = built_any.query("select count(*), count(*) filter (where cache_outcome = 'app_hit') from marts.fct_llm_calls")[0]
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
    statuses = dict(built_any.query(
        "select reconciliation_status, count(*) from marts.fct_reconciliation group by 1"))
    assert statuses == {"reconciled": 186}  # 6 accounts x 30 days + 6 month rows
    result = built_any.finops("reconcile")
    assert result.returncode == 0, result.stdout
    assert "0 out of tolerance" in result.stdout


def test_inflated_bill_fails_the_dbt_test_and_finops_reconcile(built, tmp_path):
    ws = Workspace(tmp_path)
    shutil.copytree(built.landing, ws.landing)
    for path in (ws.landing / "billing" / "focus").rglob("*.csv"):
        with path.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            for row in rows:
                if row["ChargeCategory"] == "Usage":
                    row["BilledCost"] = str((Decimal(row["BilledCost"]) * Decimal("1.03")).quantize(Decimal("0.01")))
                writer.writerow(row)
    result = ws.materialize()
    assert result.returncode != 0
    assert "reconciles_within_tolerance_fct_reconciliation" in result.stdout + result.stderr
    reconcile = ws.finops("reconcile", "--grain", "month")
    assert reconcile.returncode == 1
    assert "6 out of tolerance" in reconcile.stdout


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
    duplicates = ws.query(
        "select count(*) from raw.files where status = 'duplicate' "
        "and (file_path like '%copy of calls-%' or file_path like '%resent-%')")[0][0]
    assert duplicates == 2
    result = ws.materialize("2026-10-05", "2026-10-06")
    assert result.returncode == 0
    assert ws.query(totals_sql) == before
