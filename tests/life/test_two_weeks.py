"""Two weeks of life (issue 15): files land the way vendors deliver them (calls of day D before the run of D,
bills of D-1 a day late, the AWS month-to-date export rewritten in place daily, a correction for a closed day,
a page re-issued with identical lines, Anthropic billed 20% under list, OpenAI logs without the vendor
account, a Bedrock usage type that resolves to no model), and the daily run is called once a day with no
other command. After every run the serving file is published and the money identity holds; at the end the
marts equal a from-scratch build of the same files and the allocation is compared with the ideal one."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from decimal import Decimal

import duckdb
import pytest

from tests.conftest import Workspace
from tests.life.scenario import make_life

MARTS = (
    "fct_llm_calls",
    "fct_cost_daily",
    "fct_reconciliation",
    "fct_bill_reconciliation",
    "fct_unit_cost_daily",
    "fct_cache_savings",
    "fct_routing_savings",
    "fct_batch_savings",
    "fct_cost_change_mom",
    "fct_tenant_margin",
    "fct_feature_margin",
    "fct_model_usage",
    "dim_models",
)


def _serving(ws: Workspace) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(ws.root / "warehouse" / "serving.duckdb"), read_only=True)


@pytest.fixture(scope="module")
def life_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("life")
    life = make_life(root)
    ws = Workspace(root)
    runs = []
    for k in range(life.days):
        life.deliver(k)
        day = (life.start + timedelta(days=k)).isoformat()
        serving = ws.root / "warehouse" / "serving.duckdb"
        before = serving.stat().st_mtime_ns if serving.exists() else None
        result = ws.materialize(day, day)
        con = _serving(ws)
        try:
            runs.append(
                {
                    "k": k,
                    "returncode": result.returncode,
                    "log": result.stdout[-3000:] + result.stderr[-3000:],
                    "published": serving.stat().st_mtime_ns != before,
                    "by_provider_day": {
                        (p, d): (billed, estimated, listed)
                        for p, d, billed, estimated, listed in con.execute(
                            "select provider, cost_day, sum(attributed_billed_cost) filter (where cost_kind in "
                            "('usage', 'unattributed_usage')), sum(attributed_estimated_cost), sum(list_cost) "
                            "from marts.fct_cost_daily group by all"
                        ).fetchall()
                    },
                }
            )
        finally:
            con.close()
    scratch = Workspace(tmp_path_factory.mktemp("life_scratch"))
    shutil.copytree(root / "landing", scratch.landing)
    shutil.copytree(root / "config", scratch.root / "config")
    last = (life.start + timedelta(days=life.days - 1)).isoformat()
    scratch_result = scratch.materialize(life.start.isoformat(), last)
    return life, ws, runs, scratch, scratch_result


def test_every_daily_run_publishes_and_keeps_the_money_identity(life_runs):
    life, _, runs, _, _ = life_runs
    assert [r["returncode"] for r in runs] == [0] * life.days, [r["log"] for r in runs if r["returncode"]][:1]
    assert all(r["published"] for r in runs)
    for run in runs:
        k = run["k"]
        billed_days = life.bill_days(k)
        built = {(p, d) for p, d in run["by_provider_day"] if (d - life.start).days <= k}
        assert built == {(p, life.start + timedelta(days=i)) for p in life.providers for i in range(k + 1)}
        for (provider, day), (billed, estimated, listed) in run["by_provider_day"].items():
            if (provider, day) in billed_days:  # the bill, exactly, and no estimate beside it
                assert (billed, estimated) == (life.billed_usage(provider, day, after_run=k), 0), (k, provider, day)
            else:  # before its bill: the calls' list cost, marked as an estimate
                assert (billed, estimated) == (0, listed) and listed == life.list_cost(provider, day), (
                    k,
                    provider,
                    day,
                )


def test_the_marts_equal_a_from_scratch_build(life_runs):
    _, ws, _, scratch, scratch_result = life_runs
    assert scratch_result.returncode == 0, scratch_result.stdout[-3000:] + scratch_result.stderr[-3000:]
    daily, fresh = _serving(ws), _serving(scratch)
    try:
        for mart in MARTS:
            rows = daily.execute(f"select * from marts.{mart}").fetchall()
            again = fresh.execute(f"select * from marts.{mart}").fetchall()
            assert sorted(map(repr, rows)) == sorted(map(repr, again)), mart
            # no routing, no batch, one month here: those marts are empty on both sides
            assert rows or mart in ("fct_routing_savings", "fct_batch_savings", "fct_cost_change_mom"), mart
    finally:
        daily.close()
        fresh.close()


def test_every_day_has_the_state_its_inputs_give_it(life_runs):
    life, ws, _, _, _ = life_runs
    last = life.start + timedelta(days=life.days - 1)
    rows = ws.query(
        "select period_start, provider, billing_account, reconciled_at, allocated_at, "
        "reconciliation_status, acknowledgment_reason from marts.fct_reconciliation "
        "where period_grain = 'day'"
    )
    states = {(p, a, s) for d, p, a, _, _, s, _ in rows if d < last}
    # OpenAI logs carry no project: reconciled per provider x day, allocated across accounts
    assert {(a, s) for p, a, s in states if p == "openai"} == {("all_accounts", "reconciled")}
    assert {(at, grain) for d, p, _, grain, at, _, _ in rows if p == "openai" and d < last} == {
        ("provider_day", "provider")
    }
    # Anthropic 20% under list: the prod workspace is beyond tolerance and acknowledged with its reason; the
    # small dev workspace's gap stays under the $1 materiality floor
    anthropic = {(a, s) for p, a, s in states if p == "anthropic"}
    assert ("wrkspc_01Prod", "acknowledged") in anthropic and "out_of_tolerance" not in {s for _, s in anthropic}
    assert {reason for *_, status, reason in rows if status == "acknowledged"} == {
        "negotiated 20% discount (contract 2026-11)"
    }
    # Bedrock: the unresolvable usage type is allocated within its account-day, without the model
    assert {(a, s) for p, a, s in states if p == "aws_bedrock"} == {
        ("444455556666", "reconciled"),
        ("777788889999", "reconciled"),
    }
    assert {at for d, p, _, _, at, _, _ in rows if p == "aws_bedrock" and d < last} == {"without_model"}
    # the last day's bills have not arrived yet
    assert {s for d, *_, s, _ in rows if d == last} == {"awaiting_bill"}
    assert ws.query(
        "select count(*) from marts.fct_reconciliation where reconciliation_status = 'out_of_tolerance'"
    ) == [(0,)]


def test_the_allocation_is_close_to_the_ideal_one(life_runs):
    """Per tenant x feature, attributed cost vs each provider-day's bill spread over its logged calls by list
    cost. The allocation works at finer grains (bill line, account), so the two differ by how the unlogged
    calls (1-1.9% of each account-day) and the vendors' rounding fall across lines: within the 2%
    reconciliation tolerance (measured: 1.03%); the total is the same to the pico-dollar."""
    life, ws, _, _, _ = life_runs
    last = life.start + timedelta(days=life.days - 1)
    ideal = life.ideal_tenant_feature()
    got = {
        (t, f): c
        for t, f, c in ws.query(
            "select tenant_id, feature, sum(attributed_billed_cost) from marts.fct_cost_daily "
            "where cost_kind = 'usage' and cost_day < ? group by all",
            [last],
        )
    }
    assert set(got) == set(ideal)
    assert sum(got.values()) == sum((life.billed_usage(p, d) for p, d in life.bill_days(life.days - 1)), Decimal(0))
    errors = {key: abs(got[key] - ideal[key]) / ideal[key] for key in ideal}
    worst = max(errors, key=errors.get)
    print(f"\nworst tenant x feature error vs the ideal allocation: {errors[worst]:.4%} {worst}")
    assert errors[worst] < Decimal("0.02")


def test_finops_reconcile_names_the_steady_gap_as_a_likely_negotiated_rate(life_runs):
    _, ws, _, _, _ = life_runs
    out = ws.finops("reconcile")
    assert out.returncode == 0, out.stdout[-3000:]  # nothing is out of tolerance: the gap is acknowledged
    assert re.search(r"likely a negotiated rate: anthropic billed 1\d\.\d% under list on \d+ days", out.stdout), (
        out.stdout[-3000:]
    )
    overrides = [line for line in out.stdout.splitlines() if line.startswith("  anthropic,claude-")]
    assert overrides and all(
        re.fullmatch(
            r"  anthropic,claude-[\w.-]+,(input_uncached|cache_read|cache_write|output),"
            r"standard,\d+\.\d{6},2026-11-\d\d,,negotiated rate inferred from the bill",
            o,
        )
        for o in overrides
    ), overrides
    assert "openai" not in " ".join(line for line in out.stdout.splitlines() if "likely a negotiated" in line)
