"""FinOps analytics marts (unit cost, cache, routing, batch savings) against the generator's ground
truth, recomputed here in Python Decimal from the generator's own call simulation (not from the
warehouse): the true calls are rebuilt with demo.simulator.simulate_calls, priced with PriceBook.price, and
the lost ones marked with the manifest's phases; the vendor bill is demo.writers.bill_lines (rounded to
cents) and its allocation onto the logged calls is redone here in integer pico-dollars.

Plus a synthetic workspace where two caches lose money (an app cache with 1 hit in 200 lookups, a
prompt cache written four times and read once): their net savings must be negative, exactly.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path

import pytest

from demo.prices import load_prices, price_calls
from demo.product import DEFAULT_REFERENCE_DIR, SPIKE_FEATURE, SPIKE_TENANT, build_streams, load_tenants
from demo.simulator import Call, mark_missing, simulate_calls
from demo.writers import bill_lines
from ingest.pricing import PriceBook
from ingest.schemas import TOKEN_BUCKETS
from tests.conftest import Workspace

MTOK = Decimal(1_000_000)
PICO = 10**12
CACHE_COSTS = DEFAULT_REFERENCE_DIR / "cache_costs.csv"


def per_unit(money: Decimal, units: int, per: int = 1) -> Decimal | None:
    """The warehouse's money_per_unit rule: money x per / units, half away from zero, 12 decimals."""
    if not units:
        return None
    with localcontext() as ctx:
        ctx.prec = 80
        return (money * per / units).quantize(Decimal("1e-12"), rounding=ROUND_HALF_UP)


def input_tokens(call: Call) -> int:
    return call.input_uncached_tokens + call.cache_read_tokens + call.cache_write_tokens


def cost_at(prices: PriceBook, call: Call, model: str, tier: str) -> Decimal:
    """The call's tokens priced at another model and / or tier, same day and long-context tier."""
    return sum(
        (
            call.tokens(b) * prices.price(call.provider, model, b, tier, call.day, input_tokens(call)) / MTOK
            for b in TOKEN_BUCKETS
            if call.tokens(b)
        ),
        Decimal(0),
    )


# --------------------------------------------------------------------------------------------
# ground truth


@dataclass
class Truth:
    prices: PriceBook
    logged: list[Call]
    attributed: dict[str, Decimal]  # call_id -> share of the bill (pico-dollar allocation)


def allocate(true_calls: list[Call], logged: list[Call]) -> dict[str, Decimal]:
    """The bill (one line per provider x account x day x served model x bucket x tier, cents) split
    over the logged calls' buckets by list-cost share in integer pico-dollars (floor), remainder to
    the grain's largest bucket (ties: lowest call_id)."""
    grains: dict[tuple, list[tuple[int, str]]] = defaultdict(list)
    for call in logged:
        for bucket, cost in call.costs.items():
            key = (call.provider, call.billing_account, call.day, call.model_served, bucket, call.service_tier)
            grains[key].append((int(cost * PICO), call.call_id))
    shares: dict[str, int] = defaultdict(int)
    for line in bill_lines(true_calls):
        members = grains.get((line.provider, line.account, line.day, line.model, line.bucket, line.tier), [])
        base = sum(c for c, _ in members)
        if not base:
            continue
        bill = int(line.billed * PICO)
        parts = {call_id: bill * c // base for c, call_id in members}
        largest = min(members, key=lambda m: (-m[0], m[1]))[1]
        parts[largest] += bill - sum(parts.values())
        for call_id, part in parts.items():
            shares[call_id] += part
    return {call_id: Decimal(p) / PICO for call_id, p in shares.items()}


@pytest.fixture(scope="module")
def truth(built: Workspace) -> Truth:
    manifest = json.loads((built.landing / "_demo" / "manifest.json").read_text())
    params = manifest["parameters"]
    prices = load_prices()
    streams = build_streams(load_tenants(DEFAULT_REFERENCE_DIR), params["seed"])
    calls = simulate_calls(
        date.fromisoformat(params["start"]), params["days"], params["calls_per_day"], params["seed"], streams
    )
    price_calls(calls, prices)
    mark_missing(calls, {tuple(k.split("/")): v for k, v in manifest["missing_phases"].items()})
    logged = [c for c in calls if c.logged]
    assert len(logged) == manifest["calls_logged"]
    attributed = allocate(calls, logged)
    assert sum(attributed.values()) == Decimal(manifest["billed_usage_total"])
    return Truth(prices, logged, attributed)


# --------------------------------------------------------------------------------------------
# routing


def test_routing_savings_match_the_generator_per_feature(built, truth):
    expected: dict[str, Decimal] = defaultdict(Decimal)
    rerouted: dict[str, int] = defaultdict(int)
    for call in truth.logged:
        if call.routing_decision in ("kept", "rerouted"):
            requested = cost_at(truth.prices, call, call.model_requested, call.service_tier)
            if call.routing_decision == "kept":
                assert requested == call.cost
            expected[call.feature] += requested - call.cost
            rerouted[call.feature] += call.routing_decision == "rerouted"
    rows = built.query(
        "select feature, sum(routing_savings), sum(rerouted_calls), sum(unpriced_calls), "
        "sum(requested_model_cost) - sum(served_cost) from marts.fct_routing_savings group by 1"
    )
    assert {f: s for f, s, *_ in rows} == dict(expected)
    assert {f: n for f, _, n, *_ in rows} == dict(rerouted)
    assert all(unpriced == 0 and diff == s for _, s, _, unpriced, diff in rows)
    (total,) = built.query("select sum(routing_savings) from marts.fct_routing_savings")[0]
    assert total == sum(expected.values()) > 0


# --------------------------------------------------------------------------------------------
# batch


def test_batch_savings_match_the_generator(built, truth):
    realised = Decimal(0)
    potential = Decimal(0)
    candidates = 0
    for call in truth.logged:
        if not call.costs:
            continue
        if call.service_tier == "batch":
            realised += cost_at(truth.prices, call, call.model_served, "standard") - call.cost
        elif call.environment in ("staging", "dev"):
            candidates += 1
            potential += call.cost - cost_at(truth.prices, call, call.model_served, "batch")
    got = built.query(
        "select sum(batch_savings), sum(potential_batch_savings), sum(batch_candidate_calls), "
        "sum(batch_calls), sum(unpriced_calls) from marts.fct_batch_savings"
    )[0]
    assert got == (realised, potential, candidates, sum(c.service_tier == "batch" for c in truth.logged), 0)
    assert realised > 0 and potential > 0
    # the nightly report is the only batch feature: everything realised is its
    by_feature = dict(
        built.query(
            "select feature, sum(batch_savings) from marts.fct_batch_savings group by 1 having sum(batch_savings) <> 0"
        )
    )
    assert by_feature == {"nightly_report": realised}


# --------------------------------------------------------------------------------------------
# caches


def test_provider_prompt_cache_savings_match_the_generator(built, truth):
    avoided = overhead = Decimal(0)
    for call in truth.logged:
        if not (call.cache_read_tokens or call.cache_write_tokens):
            continue
        price = {
            b: truth.prices.price(call.provider, call.model_served, b, call.service_tier, call.day, input_tokens(call))
            for b in ("input_uncached", "cache_read", "cache_write")
        }
        avoided += call.cache_read_tokens * (price["input_uncached"] - price["cache_read"]) / MTOK
        overhead += call.cache_write_tokens * (price["cache_write"] - price["input_uncached"]) / MTOK
    got = built.query(
        "select sum(avoided_cost), sum(overhead_cost), sum(net_savings), sum(unpriced_calls) "
        "from marts.fct_cache_savings where cache_type = 'provider_prompt'"
    )[0]
    assert got == (avoided, overhead, avoided - overhead, 0)
    assert overhead > 0  # anthropic's expired prefixes are written again at the write premium


def _lookup_cost(feature: str, day: date) -> Decimal:
    rows = list(csv.DictReader(CACHE_COSTS.open()))

    def valid(row: dict) -> bool:
        return date.fromisoformat(row["valid_from"]) <= day and (
            not row["valid_to"] or day < date.fromisoformat(row["valid_to"])
        )

    own = [r for r in rows if r["feature"] == feature and valid(r)]
    default = [r for r in rows if r["feature"] == "default" and valid(r)]
    return Decimal((own or default)[0]["cost_per_lookup_usd"])


def test_app_cache_hits_rates_and_savings_match_the_generator(built, truth):
    groups: dict[tuple[date, str, str], list[Call]] = defaultdict(list)
    for call in truth.logged:
        if call.cache_outcome in ("app_hit", "app_miss"):
            groups[(call.day, call.feature, call.prompt_template)].append(call)
    feature_days: dict[tuple[date, str], list[Call]] = defaultdict(list)
    for (day, feature, _), members in groups.items():
        feature_days[(day, feature)].extend(members)

    def misses(members: list[Call]) -> tuple[Decimal, int]:
        missed = [c for c in members if c.cache_outcome == "app_miss"]
        return sum((c.cost for c in missed), Decimal(0)), len(missed)

    hits: dict[str, int] = defaultdict(int)
    lookups: dict[str, int] = defaultdict(int)
    net: dict[str, Decimal] = defaultdict(Decimal)
    for (day, feature, _template), members in groups.items():
        n_hits = sum(c.cache_outcome == "app_hit" for c in members)
        miss_cost, n_miss = misses(members)
        if not n_miss:
            miss_cost, n_miss = misses(feature_days[(day, feature)])
        avoided = per_unit(miss_cost, n_miss, n_hits) if n_hits else Decimal(0)
        hits[feature] += n_hits
        lookups[feature] += len(members)
        net[feature] += avoided - len(members) * _lookup_cost(feature, day)

    rows = built.query(
        "select feature, sum(cache_hits), sum(calls), sum(net_savings), "
        "sum(cache_hits) * 1.0 / sum(calls) from marts.fct_cache_savings "
        "where cache_type = 'app_exact_match' group by 1"
    )
    assert {f: h for f, h, *_ in rows} == dict(hits)
    assert {f: n for f, _, n, *_ in rows} == dict(lookups)
    assert {f: s for f, _, _, s, _ in rows} == dict(net)
    for feature, _, _, _, rate in rows:  # hit rate per feature: ~APP_HIT_RATE of the lookups
        assert abs(float(rate) - hits[feature] / lookups[feature]) < 1e-12
        assert 0.06 < rate < 0.10
    # translation's lookup cost (seed) exceeds what its 8% hit rate saves: a net loss on the demo
    assert net["translation"] < 0 < net["search_rerank"]
    # the row-level hit rate is hits / lookups of the row
    worst = built.query("select max(abs(hit_rate - cache_hits * 1.0 / calls)) from marts.fct_cache_savings")[0][0]
    assert worst < Decimal("1e-8")


# --------------------------------------------------------------------------------------------
# unit cost


def test_unit_cost_per_call_user_and_tokens_for_a_feature_day(built, truth):
    day, feature = date(2026, 10, 20), SPIKE_FEATURE
    calls = [c for c in truth.logged if c.day == day and c.feature == feature]
    cost = sum((truth.attributed.get(c.call_id, Decimal(0)) for c in calls), Decimal(0))
    users = {(c.tenant_id, c.user_id) for c in calls if c.user_id}
    output = sum(c.output_tokens for c in calls)
    row = built.query(
        "select calls, active_users, output_tokens, attributed_cost, cost_per_call, "
        "cost_per_active_user, cost_per_1k_output_tokens from marts.fct_unit_cost_daily "
        "where cost_day = ? and environment = 'all' and axis = 'feature' and axis_value = ?",
        [day, feature],
    )
    assert row == [
        (
            len(calls),
            len(users),
            output,
            cost,
            per_unit(cost, len(calls)),
            per_unit(cost, len(users)),
            per_unit(cost, output, 1000),
        )
    ]
    # prod only: the environment filter dimension
    prod = [c for c in calls if c.environment == "prod"]
    prod_cost = sum((truth.attributed.get(c.call_id, Decimal(0)) for c in prod), Decimal(0))
    assert built.query(
        "select calls, cost_per_call from marts.fct_unit_cost_daily where cost_day = ? "
        "and environment = 'prod' and axis = 'feature' and axis_value = ?",
        [day, feature],
    ) == [(len(prod), per_unit(prod_cost, len(prod)))]


def test_trailing_7_day_values_are_ratios_of_window_sums(built, truth):
    day, tenant = date(2026, 10, 20), SPIKE_TENANT
    window = [day - timedelta(days=i) for i in range(7)]
    calls = [c for c in truth.logged if c.tenant_id == tenant and c.day in window]
    cost = sum((truth.attributed.get(c.call_id, Decimal(0)) for c in calls), Decimal(0))
    users = {(c.tenant_id, c.user_id) for c in calls if c.user_id}
    row = built.query(
        "select trailing_7d_calls, trailing_7d_active_users, trailing_7d_attributed_cost, "
        "trailing_7d_cost_per_call, trailing_7d_cost_per_active_user from marts.fct_unit_cost_daily "
        "where cost_day = ? and environment = 'all' and axis = 'tenant' and axis_value = ?",
        [day, tenant],
    )
    assert row == [(len(calls), len(users), cost, per_unit(cost, len(calls)), per_unit(cost, len(users)))]
    # not the average of the daily ratios (the spike day weighs more than a quiet day)
    daily = [
        r[0]
        for r in built.query(
            "select cost_per_call from marts.fct_unit_cost_daily where cost_day "
            "between ? and ? and environment = 'all' and axis = 'tenant' and axis_value = ?",
            [window[-1], day, tenant],
        )
    ]
    assert len(daily) == 7 and sum(daily) / 7 != row[0][3]


def test_unit_cost_axes_add_up_to_the_cost_cube(built):
    """Every axis partitions the same calls and cost: per day x environment, feature rows, tenant
    rows and provider rows each sum to the total row, and the total ties to fct_cost_daily."""
    bad = built.query("""
        with totals as (
            select cost_day, environment, calls, attributed_cost
            from marts.fct_unit_cost_daily where axis = 'total'
        ),
        axes as (
            select cost_day, environment, axis, sum(calls) as calls, sum(attributed_cost) as attributed_cost
            from marts.fct_unit_cost_daily group by all
        )
        select axes.*
        from axes inner join totals using (cost_day, environment)
        where axes.calls <> totals.calls or axes.attributed_cost <> totals.attributed_cost
    """)
    assert bad == []
    cube = built.query("select sum(calls), sum(attributed_cost) from marts.fct_cost_daily where cost_kind = 'usage'")[0]
    assert (
        built.query(
            "select sum(calls), sum(attributed_cost) from marts.fct_unit_cost_daily "
            "where environment = 'all' and axis = 'total'"
        )[0]
        == cube
    )
    assert built.query("select count(distinct axis_value) from marts.fct_unit_cost_daily where axis = 'provider'") == [
        (3,)
    ]


# --------------------------------------------------------------------------------------------
# hand-written calls (canonical JSONL records)

SYNTHETIC_DAY = "2026-10-02"


def _call(n: int, day: str = SYNTHETIC_DAY, **fields) -> dict:
    base = {
        "call_id": f"call_syn_{n:04d}",
        "started_at": f"{day}T10:{n // 60 % 60:02d}:{n % 60:02d}Z",
        "environment": "prod",
        "region": "us",
        "tenant_id": "t001",
        "user_id": f"t001-u{n % 7:04d}",
        "prompt_version": "v1",
        "input_uncached_tokens": 0,
        "cache_read_tokens": 0,
        "cache_write_tokens": 0,
        "output_tokens": 0,
        "reasoning_tokens": 0,
    }
    return base | fields


# --------------------------------------------------------------------------------------------
# incremental by day: a late file for an old day


def _snapshot(ws: Workspace, table: str, where: str = "true") -> list[tuple]:
    return ws.query(f"select * from marts.{table} where {where} order by all")


def test_late_calls_for_an_old_day_refresh_that_day_and_the_trailing_windows_after_it(built, tmp_path):
    ws = built.copy(tmp_path / "ws")
    total = (
        "select cost_day, calls, attributed_cost, trailing_7d_calls, trailing_7d_attributed_cost, "
        "trailing_30d_calls from marts.fct_unit_cost_daily where environment = 'all' and axis = 'total' "
        "and cost_day in ('2026-10-05', '2026-10-11', '2026-10-12') order by 1"
    )
    before = ws.query(total)
    others = {
        t: _snapshot(ws, t, "cost_day <> '2026-10-05'")
        for t in ("fct_cache_savings", "fct_routing_savings", "fct_batch_savings")
    }
    late = [
        _call(
            n,
            day="2026-10-05",
            provider="openai",
            billing_account="proj_prod",
            model_requested="gpt-4o-mini",
            feature="search_rerank",
            prompt_template="rerank_topk",
            cache_outcome="app_miss",
            input_uncached_tokens=1000,
            output_tokens=100,
        )
        for n in range(10)
    ]
    path = ws.landing / "calls" / "canonical" / "2026" / "10" / "05" / "late-calls.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in late))
    result = ws.materialize("2026-10-05", "2026-10-05")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]

    after = ws.query(total)
    # the bill is unchanged, so the day's attributed cost is too; the calls and every window holding
    # 2026-10-05 move (10-11 is its last 7-day window, 10-12 only has it in its 30-day window)
    assert [(d, c - 10 if d.isoformat() == "2026-10-05" else c, cost) for d, c, cost, *_ in after] == [
        (d, c, cost) for d, c, cost, *_ in before
    ]
    assert [(r[3], r[4], r[5]) for r in after] == [
        (before[0][3] + 10, before[0][4], before[0][5] + 10),
        (before[1][3] + 10, before[1][4], before[1][5] + 10),
        (before[2][3], before[2][4], before[2][5] + 10),
    ]
    # other days of the call-level savings marts are not rebuilt differently; no duplicated day
    for table, rows in others.items():
        assert _snapshot(ws, table, "cost_day <> '2026-10-05'") == rows, table
    lookups = ws.query(
        "select sum(calls) from marts.fct_cache_savings where cost_day = '2026-10-05' "
        "and feature = 'search_rerank' and cache_type = 'app_exact_match'"
    )[0][0]
    assert (
        lookups
        == 10
        + built.query(
            "select sum(calls) from marts.fct_cache_savings where cost_day = "
            "'2026-10-05' and feature = 'search_rerank' and cache_type = 'app_exact_match'"
        )[0][0]
    )


# --------------------------------------------------------------------------------------------
# a cache that does not pay (synthetic)


def test_caches_with_too_few_hits_show_a_net_loss(tmp_path: Path):
    app = {
        "provider": "openai",
        "billing_account": "proj_prod",
        "model_requested": "gpt-4o-mini",
        "feature": "faq_bot",
        "prompt_template": "faq_answer",
    }
    records = [_call(0, cache_outcome="app_hit", **app)]  # 1 hit ...
    records += [
        _call(n, cache_outcome="app_miss", input_uncached_tokens=10, output_tokens=5, **app) for n in range(1, 200)
    ]  # ... in 200 lookups of a very cheap call
    prompt = {
        "provider": "anthropic",
        "billing_account": "wrk_prod",
        "model_requested": "claude-sonnet-4-20250514",
        "feature": "contract_review",
        "prompt_template": "review_contract",
    }
    records += [
        _call(200 + n, cache_write_tokens=10_000, input_uncached_tokens=500, output_tokens=100, **prompt)
        for n in range(4)
    ]  # the prefix is written 4 times ...
    records += [
        _call(204, cache_read_tokens=10_000, input_uncached_tokens=500, output_tokens=100, **prompt)
    ]  # read once
    ws = Workspace(tmp_path)
    path = ws.landing / "calls" / "canonical" / "2026" / "10" / "02" / "synthetic.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    result = ws.materialize(SYNTHETIC_DAY, SYNTHETIC_DAY)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]

    prices = load_prices()
    day = date.fromisoformat(SYNTHETIC_DAY)

    def price(provider: str, model: str, bucket: str, tokens: int) -> Decimal:
        return prices.price(provider, model, bucket, "standard", day, tokens)

    miss_cost = (
        10 * price("openai", "gpt-4o-mini", "input_uncached", 10) / MTOK
        + 5 * price("openai", "gpt-4o-mini", "output", 10) / MTOK
    )
    app_net = miss_cost - 200 * _lookup_cost("faq_bot", day)  # 1 hit valued at the average miss
    p_in, p_read, p_write = (
        price("anthropic", "claude-sonnet-4-20250514", b, 10_500)
        for b in ("input_uncached", "cache_read", "cache_write")
    )
    prompt_net = 10_000 * (p_in - p_read) / MTOK - 4 * 10_000 * (p_write - p_in) / MTOK

    rows = {
        r[0]: r[1:]
        for r in ws.query(
            "select cache_type, feature, calls, cache_hits, estimate_basis, avoided_cost, overhead_cost, net_savings "
            "from marts.fct_cache_savings"
        )
    }
    assert rows["app_exact_match"] == (
        "faq_bot",
        200,
        1,
        "prompt_template_day",
        miss_cost,
        200 * _lookup_cost("faq_bot", day),
        app_net,
    )
    assert rows["provider_prompt"][:3] == ("contract_review", 5, 1)
    assert rows["provider_prompt"][-1] == prompt_net
    assert app_net < 0 and prompt_net < 0
