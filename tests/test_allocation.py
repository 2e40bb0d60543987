"""The allocation's fallback grains, the arrival states and the publishing policy, on hand-made landing
files: one UTC day per case, so each bill amount's grain and each period's state is known exactly.

Calls are gpt-4o-mini ($0.15 per million input tokens) and gpt-4o ($2.50): call a costs $0.15 at list,
call b $0.30, so a $0.45 bill splits 0.15 / 0.30 at whatever grain it is allocated."""

from __future__ import annotations

import itertools
from decimal import Decimal

import duckdb
import pytest

from tests.conftest import Workspace
from tests.faults.kit import bill_csv, bill_line, call, write, write_calls

CASES = {  # day -> (how the bill line differs from the calls, the grain it is allocated at)
    "2026-10-01": ({}, "bill_line"),
    "2026-10-02": ({"x_ServiceTier": "batch"}, "without_tier"),
    "2026-10-03": ({"x_TokenBucket": "output"}, "without_token_bucket"),
    "2026-10-04": ({"x_Model": "mystery-sku-1"}, "without_model"),
    "2026-10-05": ({}, "provider_day"),  # the calls carry no billing account
}
NO_CALLS_DAY, NO_BILL_DAY = "2026-10-06", "2026-10-07"


def _calls(day: str, **extra) -> list[dict]:
    return [
        call(
            call_id=f"a-{day}",
            started_at=f"{day}T10:00:00Z",
            input_uncached_tokens=1_000_000,
            output_tokens=0,
            tenant_id="t1",
            feature="search",
            **extra,
        ),
        call(
            call_id=f"b-{day}",
            started_at=f"{day}T11:00:00Z",
            input_uncached_tokens=2_000_000,
            output_tokens=0,
            tenant_id="t2",
            feature="chat",
            **extra,
        ),
    ]


def _day_line(day: str, next_day: str, **values: str) -> dict[str, str]:
    return bill_line(ChargePeriodStart=f"{day}T00:00:00Z", ChargePeriodEnd=f"{next_day}T00:00:00Z", **values)


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("allocation"))
    calls, lines = [], []
    days = [*CASES, NO_CALLS_DAY, NO_BILL_DAY, "2026-10-08"]
    for day, next_day in itertools.pairwise(days):
        if day in CASES:
            differs, _ = CASES[day]
            calls += (
                _calls(day)
                if day != "2026-10-05"
                else [{k: v for k, v in c.items() if k != "billing_account"} for c in _calls(day)]
            )
            lines.append(_day_line(day, next_day, BilledCost="0.45", **differs))
        if day == NO_CALLS_DAY:
            lines.append(_day_line(day, next_day, BilledCost="5.00"))
        if day == NO_BILL_DAY:
            calls += _calls(day)
    # proj_big: $10.00 at list on two days, billed $8.00: beyond tolerance; the second day is acknowledged
    for day, next_day in (("2026-10-01", "2026-10-02"), ("2026-10-02", "2026-10-03")):
        calls.append(
            call(
                call_id=f"big-{day}",
                started_at=f"{day}T12:00:00Z",
                billing_account="proj_big",
                model_requested="gpt-4o",
                input_uncached_tokens=4_000_000,
                output_tokens=0,
                tenant_id="t3",
                feature="search",
            )
        )
        lines.append(_day_line(day, next_day, SubAccountId="proj_big", x_Model="gpt-4o", BilledCost="8.00"))
    # a gateway that logs no Anthropic workspace, only its api_base: the company's account map fills it in
    calls += [
        call(
            call_id=f"gw-{i}",
            started_at="2026-10-01T13:00:00Z",
            provider="anthropic",
            billing_account=None,
            model_requested="claude-haiku-4-5-20251001",
            input_uncached_tokens=500_000,
            output_tokens=0,
            api_base="https://gw.example/anthropic-prod",
            tenant_id="t1",
            feature="search",
        )
        for i in range(2)
    ]
    lines.append(
        _day_line(
            "2026-10-01",
            "2026-10-02",
            ProviderName="anthropic",
            SubAccountId="wrk_prod",
            x_Model="claude-haiku-4-5-20251001",
            BilledCost="1.00",
        )
    )
    write(
        ws.config / "account_map.csv",
        "provider,field,value,billing_account,note\n"
        "anthropic,extra.api_base,https://gw.example/anthropic-prod,wrk_prod,LiteLLM deployment\n",
    )
    write_calls(ws.landing / "calls" / "canonical" / "calls.jsonl", calls)
    write(ws.landing / "billing" / "focus" / "openai" / "bill.csv", bill_csv(lines))
    write(
        ws.config / "acknowledged_variances.csv",
        "provider,billing_account,period_start,period_end,reason\n"
        "openai,proj_big,2026-10-02,2026-10-02,committed-use discount (finance ticket 42)\n",
    )
    first = ws.materialize("2026-10-01", "2026-10-07")
    first_states = _states(ws)
    # five days later, with nothing new: the bill without calls is past its 3-day grace
    later = ws.materialize("2026-10-12", "2026-10-12")
    return ws, first, first_states, later


def _states(ws: Workspace) -> dict[tuple[str, str], str]:
    return {
        (str(d), a): s
        for d, a, s in ws.query(
            "select period_start, billing_account, reconciliation_status from marts.fct_reconciliation "
            "where period_grain = 'day'"
        )
    }


def test_each_fallback_grain_allocates_the_bill_onto_the_calls(cases):
    ws, first, _, _ = cases
    assert first.returncode == 4, first.stdout[-3000:] + first.stderr[-3000:]
    lines = {
        str(d): (at, status)
        for d, at, status in ws.query(
            "select cost_day, allocated_at, line_status from marts.fct_bill_reconciliation where billing_account = "
            "'proj_prod'"
        )
    }
    assert lines == {
        **{day: (at, "reconciled" if at == "bill_line" else "fallback") for day, (_, at) in CASES.items()},
        NO_CALLS_DAY: ("unattributed", "unattributed"),
    }
    shares = {
        (str(d), c[0]): v
        for d, c, v in ws.query(
            "select call_day, call_id, attributed_billed_cost from marts.fct_llm_calls where call_id not like 'big-%'"
        )
    }
    for day in CASES:
        assert (shares[(day, "a")], shares[(day, "b")]) == (Decimal("0.15"), Decimal("0.30")), day
    # logs without the account: that provider-day is reconciled as a whole
    assert ws.query(
        "select billing_account, reconciled_at, allocated_at, reconciliation_status from "
        "marts.fct_reconciliation where period_grain = 'day' and period_start = '2026-10-05'"
    ) == [("all_accounts", "provider", "provider_day", "reconciled")]


def test_the_account_map_fills_the_account_the_logs_leave_out(cases):
    ws, *_ = cases
    assert ws.query(
        "select call_id, billing_account, attributed_billed_cost from marts.fct_llm_calls "
        "where provider = 'anthropic' order by 1"
    ) == [("gw-0", "wrk_prod", Decimal("0.50")), ("gw-1", "wrk_prod", Decimal("0.50"))]
    assert ws.query(
        "select allocated_at, line_status from marts.fct_bill_reconciliation where provider = 'anthropic'"
    ) == [("bill_line", "reconciled")]


def test_the_money_identity_holds_on_every_day(cases):
    ws, *_ = cases
    billed = dict(
        ws.query('select "ChargePeriodStart"::date::varchar, sum("BilledCost") from raw.bill_lines group by 1')
    )
    got = {
        d: (b, e)
        for d, b, e in ws.query(
            "select cost_day::varchar, sum(attributed_billed_cost), sum(attributed_estimated_cost) "
            "from marts.fct_cost_daily group by 1"
        )
    }
    for day, (attributed, estimated) in got.items():
        if day in billed:
            assert (attributed, estimated) == (billed[day], 0), day
        else:
            assert (attributed, estimated) == (0, Decimal("0.45")), day  # estimates, marked as such


def test_each_arrival_state(cases):
    _, _, states, _ = cases
    assert states[("2026-10-01", "proj_prod")] == "reconciled"
    assert states[("2026-10-01", "proj_big")] == "out_of_tolerance"
    assert states[("2026-10-02", "proj_big")] == "acknowledged"
    assert states[(NO_CALLS_DAY, "proj_prod")] == "awaiting_calls"
    assert states[(NO_BILL_DAY, "proj_prod")] == "awaiting_bill"


def test_out_of_tolerance_is_published_with_its_status_and_exit_4(cases):
    ws, first, _, _ = cases
    assert "OUT OF TOLERANCE" in first.stderr and "day 2026-10-01 openai/proj_big: variance -25.00%" in first.stderr
    con = duckdb.connect(str(ws.warehouse.with_name("serving.duckdb")), read_only=True)
    try:
        assert con.execute(
            "select distinct reconciliation_status from marts.fct_cost_daily where cost_day = "
            "'2026-10-01' and billing_account = 'proj_big'"
        ).fetchall() == [("out_of_tolerance",)]
        assert con.execute(
            "select acknowledgment_reason from marts.fct_reconciliation where period_grain = 'day' "
            "and period_start = '2026-10-02' and billing_account = 'proj_big'"
        ).fetchall() == [("committed-use discount (finance ticket 42)",)]
    finally:
        con.close()


def test_a_bill_without_calls_past_its_grace_is_rebuilt_and_out_of_tolerance(cases):
    ws, _, _, later = cases
    assert later.returncode == 4, later.stdout[-3000:] + later.stderr[-3000:]
    assert "plus 1 earlier day(s)" in later.stdout + later.stderr
    assert _states(ws)[(NO_CALLS_DAY, "proj_prod")] == "out_of_tolerance"
    assert ws.query(
        "select distinct reconciliation_status from marts.fct_cost_daily where cost_day = ?", [NO_CALLS_DAY]
    ) == [("out_of_tolerance",)]
