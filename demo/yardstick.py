"""The yardstick of `make bench`: one DuckDB script that does the pipeline's money work and nothing else.

    python -m demo.yardstick <landing dir> <result .duckdb> [--json out.json]

On the bench's landing files (`demo.bulk`) it does what the warehouse does for money, as fast as
plain DuckDB allows, with no validation, no tests, no orchestration and no serving copy:
1. load every call file (Parquet and JSONL) into a persisted table, the columns the money needs;
2. dedupe by UTC day x call id, keeping the first loaded copy;
3. price the four exclusive token buckets at the prices in effect on the call's UTC day (the demo's
   price book: negotiated override, else catalog), as integer pico-dollars;
4. allocate each bill grain (provider x sub-account x UTC day x model x token bucket x tier) onto the
   calls it covers by list-cost share, floor division in pico-dollars, the remainder to the grain's
   largest call bucket (ties: smallest call id): the warehouse's rule (int_call_buckets_allocated). A
   call of a billed provider-day that no bill grain reaches gets 0; a call of an unbilled provider-day
   keeps its list cost as an estimate;
5. persist the attributed cost of every call (`call_costs`) and the `fct_cost_daily` aggregates
   (`cost_daily`).
It builds one UTC day at a time: one row per call, the four buckets as columns all the way through the
allocation, the division once per call bucket, totals per bill grain matched to the small grain table.

What it leaves out, because the bench's data never needs it (it stops with an error if the data does):
bill grains that meet no call at their own grain (the warehouse then pools them at a coarser grain),
long-context price bands (bench calls stay under 128k input tokens) and non-usage bill lines.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa

from demo import bulk
from demo.prices import load_prices
from demo.product import BILL_MODEL_IDS
from ingest.schemas import CALL_FIELDS, TOKEN_BUCKETS, TOKEN_COLUMN

PICO_PER_MTOK = Decimal(1_000_000)  # $/Mtok x 1e6 = pico-dollars per token
SHORT = {"input_uncached": "in", "cache_read": "rd", "cache_write": "wr", "output": "out"}
CALL_COLUMNS = (
    "call_id, started_at, provider, billing_account, model_served, environment, tenant_id, user_id, feature, "
    "prompt_template, service_tier, cache_outcome, input_uncached_tokens, cache_read_tokens, cache_write_tokens, "
    "output_tokens, reasoning_tokens"
)


def dollars(pico: str) -> str:
    """Exact dollars from integer pico-dollars (DuckDB divides decimals as DOUBLE, so multiply)."""
    return f"cast(cast({pico} as DECIMAL(38,0)) * cast(0.000000000001 as DECIMAL(13,12)) as DECIMAL(38,12))"


def _call_files(landing: Path) -> tuple[list[str], list[str]]:
    root = landing / "calls" / "canonical"
    return sorted(map(str, root.rglob("*.parquet"))), sorted(map(str, root.rglob("*.jsonl")))


def _price_table(days: list[date]) -> pa.Table:
    """(day, provider, model, tier, pico-dollars per token of each bucket) for the bench's models."""
    prices = load_prices()
    keys = sorted(
        {(p.provider, m, p.tier) for p in bulk.profiles(0, bulk.SEED) for m in (p.model_requested, p.model_served)}
    )
    rows = []
    for day in days:
        for provider, model, tier in keys:
            row = {"day": day, "provider": provider, "model": model, "tier": tier}
            for bucket in TOKEN_BUCKETS:
                pico = prices.price(provider, model, bucket, tier, day) * PICO_PER_MTOK
                if pico != pico.to_integral_value():
                    raise SystemExit(f"{provider}/{model} {bucket}: price {pico} pico-dollars a token is not whole")
                row[f"p_{SHORT[bucket]}"] = int(pico)
            rows.append(row)
    return pa.Table.from_pylist(rows)


def load(con: duckdb.DuckDBPyConnection, landing: Path) -> int:
    """Steps 1 and 2: the deduped calls of every file in table `calls`, sorted by UTC day."""
    parquet, jsonl = _call_files(landing)
    types = {f.name: ("TIMESTAMPTZ" if f.duck_type == "TIMESTAMP" else f.duck_type) for f in CALL_FIELDS}
    sources = []
    if parquet:
        sources.append(f"select {CALL_COLUMNS} from read_parquet($parquet)")
    if jsonl:
        sources.append(
            f"select {CALL_COLUMNS} from read_json($jsonl, format = 'newline_delimited', columns = {json.dumps(types)})"
        )
    params = {k: v for k, v in (("parquet", parquet), ("jsonl", jsonl)) if v}
    # one file is one UTC day in the bench, so rows stay grouped by day without a sort (zone maps prune)
    con.execute(
        f"create table calls as select *, cast(started_at as date) as call_day from ({' union all '.join(sources)})",
        params,
    )
    # the few keys logged twice: keep the first loaded copy (the smallest rowid)
    con.execute(
        """
        delete from calls
        where rowid in (
            select calls.rowid from calls
            inner join (
                select call_day, call_id, min(rowid) as first_row
                from calls group by call_day, call_id having count(*) > 1
            ) as twice using (call_day, call_id)
            where calls.rowid <> twice.first_row
        )
        """
    )
    return con.execute("select count(*) from calls").fetchone()[0]


def load_bills(con: duckdb.DuckDBPyConnection, landing: Path) -> None:
    """The usage bill lines as one row per grain x the four buckets' amounts in pico-dollars."""
    files = sorted(map(str, (landing / "billing" / "focus").glob("*/bulk-*.csv")))
    con.execute(
        """
        create table bill_lines as
        select cast("ChargePeriodStart"[:10] as date) as cost_day, "ProviderName" as provider,
               "SubAccountId" as billing_account, "x_Model" as billed_model, "x_TokenBucket" as bucket,
               "x_ServiceTier" as tier, "ChargeCategory" as category,
               cast(cast("BilledCost" as DECIMAL(38,12)) * 1000000000000 as HUGEINT) as bill_pico
        from read_csv($files, all_varchar = true)
        """,
        {"files": files},
    )
    other = con.execute("select count(*) from bill_lines where category <> 'Usage'").fetchone()[0]
    if other:
        raise SystemExit(f"{other} bill lines are not usage: the yardstick allocates usage only")
    pivot = ", ".join(f"sum(bill_pico) filter (where bucket = '{b}') as bill_{SHORT[b]}" for b in TOKEN_BUCKETS)
    con.execute(
        f"create table bills as select cost_day, provider, billing_account, billed_model, tier, {pivot} "
        "from bill_lines group by all"
    )


def build_day(con: duckdb.DuckDBPyConnection, day: date) -> None:
    """Steps 3 to 5 for one UTC day: append its calls' costs to call_costs and its aggregates to cost_daily."""
    b = [SHORT[x] for x in TOKEN_BUCKETS]
    tok = {SHORT[x]: TOKEN_COLUMN[x] for x in TOKEN_BUCKETS}
    priced = ", ".join(f"calls.{tok[k]} * prices.p_{k} as c_{k}" for k in b)
    con.execute(
        f"""
        create or replace temp table day_calls as
        select calls.*, coalesce(models.billed_model, calls.model_served) as billed_model,
               prices.provider is not null as is_priced, {priced}
        from calls
        left join bill_models as models on models.model = calls.model_served
        left join prices
            on prices.day = calls.call_day and prices.provider = calls.provider
            and prices.model = calls.model_served and prices.tier = calls.service_tier
        where calls.call_day = $day
        """,
        {"day": day},
    )
    key = "provider, billing_account, billed_model, service_tier"
    # per grain x bucket: the base (list cost of its priced buckets, or its tokens when none is priced)
    # and the bucket that takes the remainder (largest weight, then smallest call id)
    aggregates = ", ".join(
        f"sum(c_{k}) filter (where c_{k} > 0) as base_{k}, sum({tok[k]}) as tokens_{k}, "
        f"min({{'w': -c_{k}, 'id': call_id}}) filter (where c_{k} > 0) as top_{k}, "
        f"min({{'w': -{tok[k]}, 'id': call_id}}) filter (where {tok[k]} > 0) as top_tokens_{k}"
        for k in b
    )
    con.execute(
        f"""
        create or replace temp table grains as
        select grains.*, {", ".join(f"bills.bill_{k}" for k in b)}, bills.provider is not null as is_billed
        from (select {key}, {aggregates} from day_calls group by all) as grains
        left join bills
            on bills.cost_day = $day and bills.provider = grains.provider
            and bills.billing_account = grains.billing_account and bills.billed_model = grains.billed_model
            and bills.tier = grains.service_tier
        """,
        {"day": day},
    )
    unmatched = con.execute(
        """
        select count(*) from bills
        anti join grains on grains.provider = bills.provider and grains.billing_account = bills.billing_account
            and grains.billed_model = bills.billed_model and grains.service_tier = bills.tier
        where bills.cost_day = $day
        """,
        {"day": day},
    ).fetchone()[0]
    lost = " or ".join(f"(bill_{k} is not null and coalesce(base_{k}, tokens_{k}, 0) = 0)" for k in b)
    unmatched += con.execute(f"select count(*) from grains where {lost}").fetchone()[0]
    if unmatched:
        raise SystemExit(f"{day}: {unmatched} bill grains meet no call at their own grain (not in the yardstick)")
    billed_days = (
        con.execute("select list(distinct provider) from bills where cost_day = $day", {"day": day}).fetchone()[0] or []
    )

    def weight(k: str) -> str:
        return f"case when grains.base_{k} is not null then day_calls.c_{k} else day_calls.{tok[k]} end"

    def base(k: str) -> str:
        return f"coalesce(grains.base_{k}, grains.tokens_{k})"

    shares = ", ".join(
        f"case when grains.bill_{k} is not null and {weight(k)} > 0 and {base(k)} > 0 "
        f"then grains.bill_{k} * {weight(k)} // {base(k)} else 0 end as s_{k}"
        for k in b
    )
    con.execute(
        f"""
        create or replace temp table day_shares as
        select day_calls.*, {shares}, grains.is_billed
        from day_calls
        inner join grains using ({key})
        """
    )
    # what the floor division left over, per grain x bucket, to the bucket's largest call
    leftover = " union all ".join(
        f"""
        select coalesce(grains.top_{k}, grains.top_tokens_{k}).id as call_id,
               grains.bill_{k} - sums.shared as remainder
        from grains
        inner join (select {key}, sum(s_{k}) as shared from day_shares group by all) as sums using ({key})
        where grains.bill_{k} is not null
        """
        for k in b
    )
    con.execute(
        f"create or replace temp table remainders as select call_id, sum(remainder) as remainder "
        f"from ({leftover}) group by call_id"
    )
    list_pico = " + ".join(f"coalesce(c_{k}, 0)" for k in b)
    con.execute(
        f"""
        insert into call_costs
        select day_shares.call_id, day_shares.call_day, day_shares.provider, day_shares.billing_account,
               day_shares.model_served, day_shares.environment, day_shares.tenant_id, day_shares.feature,
               day_shares.prompt_template, day_shares.service_tier, day_shares.cache_outcome,
               day_shares.user_id, day_shares.is_priced,
               {", ".join(f"day_shares.{tok[k]}" for k in b)}, day_shares.reasoning_tokens,
               case when day_shares.is_priced then {list_pico} end as list_pico,
               case
                   when list_contains($billed::VARCHAR[], day_shares.provider) then
                       {" + ".join(f"s_{k}" for k in b)} + coalesce(remainders.remainder, 0)
               end as billed_pico,
               case
                   when not list_contains($billed::VARCHAR[], day_shares.provider) and day_shares.is_priced
                       then {list_pico}
               end as estimated_pico
        from day_shares
        left join remainders using (call_id)
        """,
        {"billed": billed_days},
    )
    con.execute(
        f"""
        insert into cost_daily
        select call_day as cost_day, provider, billing_account, model_served as model, environment, tenant_id,
               feature, prompt_template, service_tier, count(*) as calls,
               count(*) filter (where cache_outcome = 'app_hit') as app_cache_hits,
               count(*) filter (where not is_priced) as unpriced_calls, count(distinct user_id) as active_users,
               sum(input_uncached_tokens) as input_uncached_tokens, sum(cache_read_tokens) as cache_read_tokens,
               sum(cache_write_tokens) as cache_write_tokens, sum(output_tokens) as output_tokens,
               sum(reasoning_tokens) as reasoning_tokens,
               {dollars("coalesce(sum(list_pico), 0)")} as list_cost,
               {dollars("sum(billed_pico)")} as attributed_billed_cost,
               {dollars("sum(estimated_pico)")} as attributed_estimated_cost,
               cast(coalesce(sum(billed_pico), 0) + coalesce(sum(estimated_pico), 0) as HUGEINT) as attributed_pico
        from call_costs
        where call_day = $day
        group by all
        """,
        {"day": day},
    )


def run(landing: Path, out: Path, memory_limit: str = "2GB") -> dict:
    """The whole script on a fresh result file; returns its seconds per step and the per-day totals."""
    for stale in (out, out.with_name(out.name + ".wal")):
        stale.unlink(missing_ok=True)
    started = time.perf_counter()
    con = duckdb.connect(str(out))
    con.execute(f"set TimeZone = 'UTC'; set memory_limit = '{memory_limit}'")
    calls = load(con, landing)
    loaded = time.perf_counter()
    load_bills(con, landing)
    days = [d for (d,) in con.execute("select distinct call_day from calls order by 1").fetchall()]
    con.register("price_rows", _price_table(days))
    con.execute("create table prices as select * from price_rows")
    con.execute("create table bill_models (model VARCHAR, billed_model VARCHAR)")
    con.executemany("insert into bill_models values (?, ?)", sorted(BILL_MODEL_IDS.items()))
    tokens = ", ".join(f"{TOKEN_COLUMN[x]} BIGINT" for x in TOKEN_BUCKETS)
    con.execute(
        f"""
        create table call_costs (call_id VARCHAR, call_day DATE, provider VARCHAR, billing_account VARCHAR,
            model_served VARCHAR, environment VARCHAR, tenant_id VARCHAR, feature VARCHAR, prompt_template VARCHAR,
            service_tier VARCHAR, cache_outcome VARCHAR, user_id VARCHAR, is_priced BOOLEAN, {tokens},
            reasoning_tokens BIGINT, list_pico BIGINT, billed_pico HUGEINT, estimated_pico BIGINT)
        """
    )
    con.execute(
        f"""
        create table cost_daily (cost_day DATE, provider VARCHAR, billing_account VARCHAR, model VARCHAR,
            environment VARCHAR, tenant_id VARCHAR, feature VARCHAR, prompt_template VARCHAR,
            service_tier VARCHAR, calls BIGINT, app_cache_hits BIGINT, unpriced_calls BIGINT,
            active_users BIGINT, {tokens}, reasoning_tokens HUGEINT, list_cost DECIMAL(38,12),
            attributed_billed_cost DECIMAL(38,12), attributed_estimated_cost DECIMAL(38,12),
            attributed_pico HUGEINT)
        """
    )
    for day in days:
        build_day(con, day)
    con.execute("checkpoint")
    seconds = time.perf_counter() - started
    per_day = con.execute(
        "select cost_day::VARCHAR, sum(calls), sum(list_cost)::VARCHAR, "
        f"{dollars('sum(attributed_pico)')}::VARCHAR from cost_daily group by 1 order by 1"
    ).fetchall()
    max_input = con.execute(
        "select max(input_uncached_tokens + cache_read_tokens + cache_write_tokens) from calls"
    ).fetchone()[0]
    con.close()
    if max_input > 128_000:
        raise SystemExit("bench data reached a long-context price band, which the yardstick does not price")
    return {
        "seconds": seconds,
        "load_seconds": loaded - started,
        "calls": calls,
        "per_day": [[d, int(c), lc, ac] for d, c, lc, ac in per_day],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.yardstick", description=__doc__.split("\n\n")[0])
    parser.add_argument("landing", type=Path)
    parser.add_argument("out", type=Path, help="the result DuckDB file (replaced)")
    parser.add_argument("--json", type=Path, help="write the timings and per-day totals here")
    parser.add_argument("--memory-limit", default="2GB")
    args = parser.parse_args(argv)
    result = run(args.landing, args.out, args.memory_limit)
    text = json.dumps(result)
    if args.json:
        args.json.write_text(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
