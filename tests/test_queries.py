"""docs/queries.sql: every named block runs against the published serving file and answers with the
demo's ground truth (`<landing>/_demo/manifest.json`) where the manifest knows the answer."""

from __future__ import annotations

import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ingest.config import REPO_ROOT
from serving.publish import publish

QUERIES = REPO_ROOT / "docs" / "queries.sql"
EXPECTED = {
    "top_features_this_month": [
        "month",
        "rank",
        "feature",
        "calls",
        "tenants",
        "list_cost",
        "attributed_cost",
        "share_of_month",
    ],
    "top_tenants_this_month": [
        "month",
        "rank",
        "tenant_id",
        "tenant_name",
        "plan",
        "monthly_revenue_usd",
        "calls",
        "features",
        "attributed_cost",
        "cost_to_revenue",
    ],
    "spend_by_provider_per_day": [
        "cost_day",
        "provider",
        "calls",
        "list_cost",
        "usage_attributed_cost",
        "unattributed_usage_cost",
        "credits_and_adjustments_cost",
        "billed_cost",
        "estimated_cost",
        "total_cost",
    ],
    "reconciliation_gaps": [
        "period_grain",
        "period_start",
        "provider",
        "billing_account",
        "reconciliation_status",
        "tolerance_pct",
        "materiality_usd",
        "calls",
        "unpriced_calls",
        "computed_cost",
        "billed_usage_cost",
        "variance_cost",
        "variance_pct",
        "unattributed_usage_cost",
        "unbilled_computed_cost",
        "days_awaiting_bill",
    ],
    "credits_and_unattributed": ["cost_day", "provider", "billing_account", "cost_kind", "billed_cost", "amount"],
    "unpriced_calls_by_model": [
        "provider",
        "model_served",
        "model_key",
        "service_tier",
        "calls",
        "total_tokens",
        "first_day",
        "last_day",
        "attributed_cost",
    ],
    "cost_per_call_by_feature": [
        "feature",
        "calls",
        "app_cache_hits",
        "attributed_cost",
        "cost_per_call",
        "cost_per_1k_calls",
        "list_cost_per_priced_call",
        "tokens_per_call",
    ],
    "routed_vs_direct_cost": [
        "route",
        "routing_decision",
        "calls",
        "features",
        "list_cost",
        "attributed_cost",
        "cost_per_call",
        "tokens_per_call",
    ],
}


def load_queries(path: Path = QUERIES) -> dict[str, str]:
    """Named blocks: `-- name: <name>` then SQL up to the terminating `;`."""
    blocks: dict[str, str] = {}
    parts = re.split(r"^--\s*name:\s*(\S+)\s*$", path.read_text(), flags=re.MULTILINE)
    for name, body in zip(parts[1::2], parts[2::2]):
        sql = body.strip()
        assert sql.endswith(";"), f"query {name} is not terminated by ';'"
        assert name not in blocks, f"query {name} defined twice"
        blocks[name] = sql
    return blocks


class Result:
    def __init__(self, columns: list[str], rows: list[tuple]) -> None:
        self.columns, self.rows = columns, rows

    def col(self, name: str) -> list:
        i = self.columns.index(name)
        return [r[i] for r in self.rows]

    def total(self, name: str) -> Decimal:
        return sum((v for v in self.col(name) if v is not None), Decimal(0))


def run(path: Path, sql: str) -> Result:
    con = duckdb.connect(str(path), read_only=True)
    try:
        cur = con.execute(sql)
        return Result([d[0] for d in cur.description], cur.fetchall())
    finally:
        con.close()


@pytest.fixture(scope="module")
def serving(built, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("queries")
    shutil.copy2(built.warehouse, root / "build.duckdb")
    return publish(root / "build.duckdb", root / "finops_serving.duckdb").serving_path


@pytest.fixture(scope="module")
def manifest(built) -> dict:
    return json.loads((built.landing / "_demo" / "manifest.json").read_text())


@pytest.fixture(scope="module")
def results(serving) -> dict[str, Result]:
    return {name: run(serving, sql) for name, sql in load_queries().items()}


def test_every_block_is_named_and_known():
    assert list(load_queries()) == list(EXPECTED)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_block_columns(results, name):
    assert results[name].columns == EXPECTED[name]


def test_spend_by_provider_sums_to_the_bill(results, manifest):
    r = results["spend_by_provider_per_day"]
    billed, credit = Decimal(manifest["billed_usage_total"]), Decimal(manifest["credit_total"])
    assert r.total("total_cost") == billed + credit  # exactly: attributed cost is the bill, credits included
    assert r.total("billed_cost") == billed + credit
    assert r.total("estimated_cost") == 0  # every demo day has its bill
    assert r.total("calls") == manifest["calls_logged"]
    for provider, expected in manifest["by_provider"].items():
        rows = [row for row in r.rows if row[1] == provider]
        i = r.columns.index("total_cost")
        assert sum(row[i] for row in rows) == Decimal(expected["billed_usage"]) + Decimal(expected["credit"]), provider
    params = manifest["parameters"]
    assert len(set(r.col("cost_day"))) == params["days"]
    assert str(min(r.col("cost_day"))) == params["start"]
    assert r.total("credits_and_adjustments_cost") == credit


def test_features_plus_unattributed_is_the_month_bill(results, manifest):
    """The demo is one calendar month: features (usage) + credits and unattributed = the bill."""
    features = results["top_features_this_month"]
    other = results["credits_and_unattributed"]
    billed, credit = Decimal(manifest["billed_usage_total"]), Decimal(manifest["credit_total"])
    assert set(features.col("month")) == {manifest["parameters"]["start"][:7]}
    assert len(features.rows) == manifest["features"]
    assert features.col("rank") == list(range(1, manifest["features"] + 1))
    costs = features.col("attributed_cost")
    assert costs == sorted(costs, reverse=True) and costs[0] > 0
    assert features.total("attributed_cost") + other.total("amount") == billed + credit
    assert abs(sum(features.col("share_of_month")) - 1) < 1e-9
    assert sum(features.col("calls")) == manifest["calls_logged"]


def test_top_tenants(results, manifest):
    r = results["top_tenants_this_month"]
    assert len(r.rows) == manifest["tenants"]
    assert "unknown" not in r.col("tenant_name")  # every demo tenant is in dim_tenants
    assert all(v is not None and v > 0 for v in r.col("monthly_revenue_usd"))
    assert r.total("attributed_cost") == results["top_features_this_month"].total("attributed_cost")
    i, j = r.columns.index("attributed_cost"), r.columns.index("monthly_revenue_usd")
    for row in r.rows:
        assert row[r.columns.index("cost_to_revenue")] == pytest.approx(float(row[i] / row[j]))


def test_credits_and_unattributed(results, manifest):
    r = results["credits_and_unattributed"]
    credits = [row for row in r.rows if row[3] == "credit"]
    assert sum(row[5] for row in credits) == Decimal(manifest["credit_total"])
    credit = manifest["credit"]
    assert [(str(row[0]), row[1], row[2], row[5]) for row in credits] == [
        (credit["day"], credit["provider"], credit["billing_account"], Decimal(credit["amount"]))
    ]
    assert "usage" not in r.col("cost_kind")
    assert r.col("amount") == r.col("billed_cost")  # bill-only amounts are billed, never estimated


def test_reconciliation_gaps_match_the_mart(results, serving):
    r = results["reconciliation_gaps"]
    expected = run(
        serving,
        "select count(*) from marts.fct_reconciliation "
        "where reconciliation_status in ('out_of_tolerance', 'awaiting_bill')",
    ).rows[0][0]
    assert len(r.rows) == expected
    assert set(r.col("reconciliation_status")) <= {"out_of_tolerance", "awaiting_bill"}


def test_reconciliation_gaps_lists_an_out_of_tolerance_day(serving, tmp_path):
    """The demo reconciles, so make one day's bill wrong in a copy and see the query find it."""
    copy = tmp_path / "gap.duckdb"
    shutil.copy2(serving, copy)
    con = duckdb.connect(str(copy))
    day, provider, account = con.execute(
        "select period_start, provider, billing_account from marts.fct_reconciliation where period_grain = 'day' "
        "order by period_start, provider, billing_account limit 1"
    ).fetchone()
    con.execute(
        "update marts.fct_reconciliation set billed_usage_cost = computed_cost + 50, variance_cost = 50, "
        "variance_pct = 50 / (computed_cost + 50), reconciliation_status = 'out_of_tolerance', "
        "within_tolerance = false where period_grain = 'day' and period_start = ? and provider = ? "
        "and billing_account = ?",
        [day, provider, account],
    )
    con.close()
    r = run(copy, load_queries()["reconciliation_gaps"])
    i = r.columns.index
    hits = [
        row
        for row in r.rows
        if row[i("period_grain")] == "day"
        and row[i("period_start")] == day
        and row[i("provider")] == provider
        and row[i("billing_account")] == account
    ]
    assert len(hits) == 1
    assert hits[0][i("variance_cost")] == 50 and hits[0][i("reconciliation_status")] == "out_of_tolerance"


def test_unpriced_calls_by_model(results, serving):
    r = results["unpriced_calls_by_model"]
    unpriced = run(serving, "select count(*) from marts.fct_llm_calls where not is_priced").rows[0][0]
    daily = run(serving, "select sum(unpriced_calls) from marts.fct_cost_daily").rows[0][0]
    assert sum(r.col("calls")) == unpriced == daily
    assert all(first <= last for first, last in zip(r.col("first_day"), r.col("last_day")))


def test_cost_per_call_by_feature(results, manifest):
    r = results["cost_per_call_by_feature"]
    assert len(r.rows) == manifest["features"]
    assert sum(r.col("calls")) == manifest["calls_logged"]
    assert sum(r.col("app_cache_hits")) == manifest["app_cache_hits"]
    for calls, cost, per_call in zip(r.col("calls"), r.col("attributed_cost"), r.col("cost_per_call")):
        assert calls > 0 and per_call == pytest.approx(float(cost / calls))
    assert all(v > 0 for v in r.col("tokens_per_call"))


def test_routed_vs_direct_cost(results, manifest):
    r = results["routed_vs_direct_cost"]
    assert set(r.col("routing_decision")) == {"none", "kept", "rerouted"}
    assert "direct" in r.col("route")
    assert sum(r.col("calls")) == manifest["calls_logged"]
    assert r.total("attributed_cost") == results["top_features_this_month"].total("attributed_cost")
    rerouted = r.col("calls")[r.col("routing_decision").index("rerouted")]
    # the manifest counts every rerouted call; a few of them are the log lines the demo drops
    assert 0 < manifest["rerouted_calls"] - rerouted <= manifest["calls_missing"]


_OLD_RUN_ALL = r"""
import duckdb, json, sys
con = duckdb.connect(sys.argv[1], read_only=True)
print(json.dumps({name: len(con.execute(sql).fetchall()) for name, sql in json.loads(sys.argv[2]).items()}))
"""


def test_blocks_run_on_an_old_duckdb_client(results, serving):
    """BI drivers bundle old DuckDB versions: the queries use no SQL newer than DuckDB 1.1."""
    from test_serving import run_old  # the cached DuckDB 1.x venv of test_serving

    done = run_old(_OLD_RUN_ALL, str(serving), json.dumps(load_queries()))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {name: len(r.rows) for name, r in results.items()}
