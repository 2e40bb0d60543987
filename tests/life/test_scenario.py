"""Self-check of the two-weeks-of-life scenario: every delivery loads through the real loaders with nothing
quarantined, and raw matches the scenario's ground truth after every run."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from ingest.loaders import load_landing
from ingest.warehouse import connect
from tests.life.scenario import make_life

# usage lines, as stg_raw__bill_lines.is_usage defines them
USAGE = (
    """"ChargeCategory" = 'Usage' and coalesce("ChargeClass", '') <> 'Correction' """
    """and "x_ChargeSource" <> 'usage_report'"""
)


@pytest.fixture(scope="module")
def life(tmp_path_factory):
    return make_life(tmp_path_factory.mktemp("life"))


def test_every_delivery_loads_clean_and_matches_the_ground_truth(life, tmp_path):
    con = connect(tmp_path / "wh.duckdb")
    logged = Counter((c.provider, c.day) for c in life.calls if c.logged)
    try:
        for k in range(life.days):
            assert life.deliver(k)
            for kind in ("calls", "billing"):
                load_landing(con, life.landing, kind=kind)
            bad = con.execute("select file_path, line, field, reason from raw.quarantine limit 5").fetchall()
            assert not bad, f"run {k}: quarantined {bad}"
            calls = {
                (p, d): n
                for p, d, n in con.execute(
                    "select provider, started_at::date, count(*) from raw.calls group by all"
                ).fetchall()
            }
            assert calls == {key: n for key, n in logged.items() if (key[1] - life.start).days <= k}, f"run {k}"
            bills = {
                (p, d): s
                for p, d, s in con.execute(
                    f'select "ProviderName", "ChargePeriodStart"::date, sum("BilledCost") from raw.bill_lines '
                    f"where {USAGE} group by all"
                ).fetchall()
            }
            assert bills == {key: life.billed_usage(*key, after_run=k) for key in life.bill_days(k)}, f"run {k}"
            corrections = con.execute(
                'select "ChargePeriodStart"::date, "BilledCost", "ChargeCategory" '
                "from raw.bill_lines where \"ChargeClass\" = 'Correction'"
            ).fetchall()
            fix = life.facts["correction"]
            assert corrections == ([(fix["day"], fix["amount"], fix["charge_category"])] if k >= fix["run"] else [])
        reissued = life.facts["reissued"]
        assert con.execute(
            "select list(status order by loaded_at) from raw.files where file_path = ?", [str(reissued["path"])]
        ).fetchone()[0] == ["superseded", "loaded"]
        dims = con.execute(
            "select provider, count(distinct billing_account), count(*) filter (where tenant_id = "
            "'unknown' or feature = 'unknown') from raw.calls group by all order by 1"
        ).fetchall()
        assert dims == [("anthropic", 2, 0), ("aws_bedrock", 2, 0), ("openai", 1, 0)]
        assert con.execute("select distinct billing_account from raw.calls where provider = 'openai'").fetchall() == [
            ("unknown",)
        ]
    finally:
        con.close()


def test_ideal_allocation_spreads_every_final_bill(life):
    ideal = life.ideal_tenant_feature()
    billed = sum(
        (life.billed_usage(p, d) for p, d in life.bill_days(life.days - 1) if life.list_cost(p, d)), Decimal(0)
    )
    assert billed > 0 and abs(sum(ideal.values()) - billed) < Decimal("1e-20")
    assert len({t for t, _ in ideal}) == 5 and len({f for _, f in ideal}) == 4


def test_the_scenario_is_what_it_says(life):
    for p in life.providers:
        days = [d for p2, d in life.bill_days(life.days - 1) if p2 == p]
        billed = sum((life.billed_usage(p, d) for d in days), Decimal(0))
        listed = sum((c.list_cost for c in life.calls if c.provider == p and c.day in days), Decimal(0))
        factor = life.facts["discounted"]["factor"] if p == life.facts["discounted"]["provider"] else 1
        assert abs(billed / listed - factor) < Decimal("0.001"), p
        for d in days:  # billed but never logged: under 2% of every provider-day's and account-day's list cost
            share = 1 - life.list_cost(p, d) * factor / life.billed_usage(p, d)
            assert 0 < share < Decimal("0.02"), (p, d, share)
            for account in life.facts["accounts"][p]:
                bill = sum((x["BilledCost"] for x in life.lines[(p, d)] if x["SubAccountId"] == account), Decimal(0))
                seen = sum(
                    (c.list_cost for c in life.calls if (c.provider, c.account, c.day) == (p, account, d) and c.logged),
                    Decimal(0),
                )
                assert Decimal("-0.005") < 1 - seen * factor / bill < Decimal("0.02"), (p, account, d)  # rounding
        assert 0.005 < life.facts["unlogged"][p]["calls"] / life.facts["unlogged"][p]["of"] < 0.02
    assert (life.config / "acknowledged_variances.csv").read_text().splitlines()[
        0
    ] == "provider,billing_account,period_start,period_end,reason"


def test_same_seed_same_bytes(tmp_path):
    one, two = (make_life(tmp_path / name, days=10, calls_per_day=60) for name in ("one", "two"))
    for k in range(10):
        paths, twins = one.deliver(k), two.deliver(k)
        assert [p.relative_to(one.root) for p in paths] == [p.relative_to(two.root) for p in twins]
        assert all(p.read_bytes() == t.read_bytes() for p, t in zip(paths, twins))
