"""Bulk landing data for the scale benchmark: millions of calls a day, written by DuckDB.

`demo.generate` simulates every call in Python (about 30k calls/s) and keeps a ground truth; that is
too slow for a month at 1M calls a day. This generator draws the same product (the demo's features,
templates, tenants, routers, app caches, prompt caching and batch tier) with hash-based random
numbers inside DuckDB, so a day of 1M calls takes seconds and the same (seed, day, i) always gives
the same call. Per day it writes:

    calls/canonical/YYYY/MM/DD/bulk-YYYY-MM-DD.parquet | .jsonl    (ingest.schemas.CALL_FIELDS)
    billing/focus/<provider>/bulk-<provider>-YYYY-MM-DD.csv        (FOCUS lines, ingest.schemas.BILL_FIELDS)

The bill is the vendor's truth for exactly the calls written: one usage line per provider x
sub-account x served model x token bucket x tier, tokens x the demo's price book (catalog + the
negotiated overrides), rounded to cents. So every day reconciles, and the list cost of a day is
known without the warehouse: `expected_totals` sums the bill files, and the benchmark's bare DuckDB
script recomputes the daily cost aggregates from the same call files.
"""

from __future__ import annotations

import bisect
import itertools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa

from demo.prices import load_prices
from demo.product import (
    BILL_MODEL_IDS,
    BILLING_ACCOUNT_IDS,
    DEFAULT_REFERENCE_DIR,
    FEATURE_BY_NAME,
    SUB_ACCOUNTS,
    build_streams,
    load_tenants,
)
from demo.writers import write_demo_config
from ingest.config import default_config_dir
from ingest.pricing import PriceBook
from ingest.schemas import BILL_FIELDS, CALL_FIELDS, TOKEN_BUCKETS

SLOTS = 1 << 16  # resolution of the weighted draw of a call's profile
FORMATS = ("parquet", "jsonl")
SEED = 7  # default seed of generate (the benchmark prices the same profiles)


@dataclass(frozen=True)
class Profile:
    """One kind of call: tenant x feature x template version x served model."""

    tenant_id: str
    feature: str
    provider: str
    model_requested: str
    model_served: str
    routing: str
    tier: str
    template: str
    version: str
    prefix: int
    input_mean: int
    output_mean: int
    reasoning_mean: int
    app_cache: bool
    nightly: bool
    users: int
    weight: float


def profiles(day_index: int, seed: int, reference_dir: Path = DEFAULT_REFERENCE_DIR) -> list[Profile]:
    """The day's call profiles with their share of traffic (the demo's streams, templates and router)."""
    out = []
    for stream in build_streams(load_tenants(reference_dir), seed):
        feature = FEATURE_BY_NAME[stream.feature]
        total = sum(t.weight for t in feature.templates)
        for template in feature.templates:
            v = template.version_on(day_index)
            share = stream.weight * template.weight / total
            routes = [("none" if not feature.reroute_to else "kept", feature.model, 1.0 - feature.reroute_rate)]
            if feature.reroute_to:
                routes.append(("rerouted", feature.reroute_to, feature.reroute_rate))
            for routing, served, route_share in routes:
                out.append(
                    Profile(
                        stream.tenant_id,
                        feature.name,
                        feature.provider,
                        feature.model,
                        served,
                        routing,
                        feature.tier,
                        template.name,
                        v.version,
                        v.prefix_tokens,
                        v.input_mean,
                        v.output_mean,
                        v.reasoning_mean if served == feature.model else 0,
                        feature.app_cache,
                        feature.nightly,
                        stream.users,
                        share * route_share,
                    )
                )
    return out


def _slot_rows(items: Sequence[Profile]) -> list[tuple]:
    """SLOTS rows (slot, profile columns...): profile i fills a share of slots equal to its weight."""
    cum = list(itertools.accumulate(p.weight for p in items))
    total = cum[-1]
    rows = []
    for slot in range(SLOTS):
        p = items[min(bisect.bisect_right(cum, (slot + 0.5) / SLOTS * total), len(items) - 1)]
        prod, other = SUB_ACCOUNTS[p.provider]
        rows.append(
            (
                slot,
                p.tenant_id,
                p.feature,
                p.provider,
                prod,
                other,
                p.model_requested,
                p.model_served,
                p.routing,
                p.tier,
                p.template,
                p.version,
                p.prefix,
                p.input_mean,
                p.output_mean,
                p.reasoning_mean,
                p.app_cache,
                p.nightly,
                p.users,
            )
        )
    return rows


_SLOT_COLUMNS = (
    "slot INTEGER, tenant_id VARCHAR, feature VARCHAR, provider VARCHAR, prod_account VARCHAR, "
    "other_account VARCHAR, model_requested VARCHAR, model_served VARCHAR, routing VARCHAR, "
    "tier VARCHAR, template VARCHAR, version VARCHAR, prefix INTEGER, input_mean INTEGER, "
    "output_mean INTEGER, reasoning_mean INTEGER, app_cache BOOLEAN, nightly BOOLEAN, users INTEGER"
)

_SLOT_NAMES = tuple(c.split()[0] for c in _SLOT_COLUMNS.split(", "))

# u(k): the k-th uniform number in [0, 1) of call i on the day (hash of seed, day, i, k).
_U = "((hash($seed, $day, i, {k}) % 1000000007)::DOUBLE / 1000000007)"


def _u(k: int) -> str:
    return _U.format(k=k)


def calls_sql() -> str:
    """SELECT of one day's calls, CALL_FIELDS order (parameters $seed, $day, $n)."""
    return f"""
    with draws as (
        select i, (hash($seed, $day, i, 0) % {SLOTS})::INTEGER as slot,
               {_u(1)} as u1, {_u(2)} as u2, {_u(3)} as u3, {_u(4)} as u4, {_u(5)} as u5, {_u(6)} as u6,
               {_u(7)} as u7, {_u(8)} as u8
        from range($n) t(i)
    ), drawn as (
        select d.*, s.*,
               s.app_cache and u2 < 0.08 as app_hit,
               case when s.nightly then 'prod' when u3 < 0.80 then 'prod' when u3 < 0.95 then 'staging'
                    else 'dev' end as environment,
               (s.input_mean * (0.5 + u4))::BIGINT as variable_in,
               greatest(1, (s.output_mean * (0.5 + u5))::BIGINT) as out_visible,
               (s.reasoning_mean * (0.5 + u6))::BIGINT as reasoning
        from draws d join slots s using (slot)
    ), tokens as (
        select *,
            case when app_hit then 0
                 when provider = 'anthropic' and prefix >= 1024 then variable_in
                 when provider = 'openai' and prefix >= 1024 and u7 < 0.65
                     then prefix + variable_in - prefix // 128 * 128
                 else prefix + variable_in end as t_uncached,
            case when app_hit then 0
                 when provider = 'anthropic' and prefix >= 1024 and u7 >= 0.05 then prefix
                 when provider = 'openai' and prefix >= 1024 and u7 < 0.65 then prefix // 128 * 128
                 else 0 end as t_read,
            case when not app_hit and provider = 'anthropic' and prefix >= 1024 and u7 < 0.05 then prefix
                 else 0 end as t_write,
            case when app_hit then 0 else out_visible + reasoning end as t_output,
            case when app_hit then 0 else reasoning end as t_reasoning
        from drawn
    )
    select
        'bulk-' || strftime($day, '%Y%m%d') || '-' || i::VARCHAR as call_id,
        $day::TIMESTAMP + to_microseconds(
            (case when nightly then 3600 + u1 * 10800 else u1 * 86400 end * 1e6)::BIGINT) as started_at,
        case when app_hit then 2 + (u8 * 13)::BIGINT
             when tier = 'batch' then 600000 + (u8 * 6600000)::BIGINT
             else 250 + (u8 * 4000)::BIGINT end as latency_ms,
        provider,
        case when environment = 'prod' then prod_account else other_account end as billing_account,
        model_requested,
        case when app_hit then model_requested else model_served end as model_served,
        environment,
        'us' as region,
        tenant_id,
        case when nightly then 'unknown'
             else tenant_id || '-u' || lpad((1 + (u6 * u6 * users)::BIGINT)::VARCHAR, 4, '0') end as user_id,
        feature,
        template as prompt_template,
        version as prompt_version,
        tier as service_tier,
        case when not app_cache then 'none' when app_hit then 'app_hit' else 'app_miss' end as cache_outcome,
        case when app_hit and routing = 'rerouted' then 'kept' else routing end as routing_decision,
        t_uncached as input_uncached_tokens,
        t_read as cache_read_tokens,
        t_write as cache_write_tokens,
        t_output as output_tokens,
        t_reasoning as reasoning_tokens,
        case when u8 < 0.006 then 'error' else 'ok' end as status,
        '{{}}' as extra
    from tokens
    """


def _price_rows(prices: PriceBook, items: Sequence[Profile], day: date) -> list[tuple]:
    keys = {(p.provider, p.model_served if p.routing == "rerouted" else p.model_requested, p.tier) for p in items} | {
        (p.provider, p.model_requested, p.tier) for p in items
    }
    return [
        (provider, model, bucket, tier, prices.price(provider, model, bucket, tier, day))
        for provider, model, tier in sorted(keys)
        for bucket in TOKEN_BUCKETS
    ]


def bill_sql() -> str:
    """SELECT of the day's FOCUS usage lines from the `day_calls` table (parameter $day)."""
    names = ", ".join(f'"{f.name}"' for f in BILL_FIELDS)
    return f"""
    with usage as (
        select provider, billing_account, model_served, service_tier, b.bucket,
               sum(case b.bucket when 'input_uncached' then input_uncached_tokens
                                 when 'cache_read' then cache_read_tokens
                                 when 'cache_write' then cache_write_tokens
                                 else output_tokens end) as tokens
        from day_calls cross join (select unnest({list(TOKEN_BUCKETS)}) as bucket) b
        where cache_outcome <> 'app_hit'
        group by all
    ), priced as (
        select u.*, round(u.tokens * p.price_per_mtok / 1000000, 2)::DECIMAL(38,2) as amount,
               coalesce(m.billed_model, u.model_served) as billed_model
        from usage u
        join prices p on p.provider = u.provider and p.model = u.model_served and p.bucket = u.bucket
                     and p.tier = u.service_tier
        left join bill_models m on m.model = u.model_served
        where u.tokens > 0
    ), lines as (
        select
            strftime($day::TIMESTAMP, '%Y-%m-%dT%H:%M:%SZ') as "ChargePeriodStart",
            strftime($day::TIMESTAMP + interval 1 day, '%Y-%m-%dT%H:%M:%SZ') as "ChargePeriodEnd",
            provider as "ProviderName", a.account_id as "BillingAccountId", billing_account as "SubAccountId",
            'Usage' as "ChargeCategory", '' as "ChargeClass",
            billed_model || ' ' || replace(bucket, '_', ' ') || ' tokens, ' || service_tier || ' tier'
                as "ChargeDescription",
            billed_model || ':' || bucket || ':' || service_tier as "SkuId",
            tokens::VARCHAR as "ConsumedQuantity", 'Tokens' as "ConsumedUnit",
            amount::VARCHAR as "BilledCost", amount::VARCHAR as "EffectiveCost", amount::VARCHAR as "ListCost",
            'USD' as "BillingCurrency", billed_model as "x_Model", bucket as "x_TokenBucket",
            service_tier as "x_ServiceTier", 'bill' as "x_ChargeSource"
        from priced join accounts a using (provider)
    )
    select {names} from lines order by "ProviderName", "SubAccountId", "x_Model", "x_TokenBucket"
    """


def calls_path(landing_dir: Path, day: date, fmt: str) -> Path:
    return landing_dir / "calls" / "canonical" / f"{day:%Y/%m/%d}" / f"bulk-{day.isoformat()}.{fmt}"


def bill_path(landing_dir: Path, provider: str, day: date) -> Path:
    return landing_dir / "billing" / "focus" / provider / f"bulk-{provider}-{day.isoformat()}.csv"


def _copy(con: duckdb.DuckDBPyConnection, select: str, path: Path, options: str, params: dict) -> None:
    """COPY a query to path through a temp name, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    con.execute(f"copy ({select}) to '{_quote(tmp)}' ({options})", params)
    os.replace(tmp, path)


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


def write_day(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    day: date,
    *,
    n: int,
    fmt: str,
    seed: int,
    day_index: int,
    prices: PriceBook,
    reference_dir: Path = DEFAULT_REFERENCE_DIR,
) -> list[Path]:
    """Write one day's calls (fmt: parquet or jsonl) and its FOCUS bill files; returns the paths written."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
    items = profiles(day_index, seed, reference_dir)
    con.execute(f"create or replace temp table slots ({_SLOT_COLUMNS})")
    slot_rows = pa.Table.from_pylist([dict(zip(_SLOT_NAMES, r)) for r in _slot_rows(items)])
    con.register("slot_rows", slot_rows)
    con.execute("insert into slots select * from slot_rows")
    con.unregister("slot_rows")
    con.execute(
        "create or replace temp table prices (provider VARCHAR, model VARCHAR, bucket VARCHAR, "
        "tier VARCHAR, price_per_mtok DECIMAL(38,12))"
    )
    con.executemany("insert into prices values (?, ?, ?, ?, ?)", _price_rows(prices, items, day))
    params = {"seed": seed, "day": day, "n": n}
    con.execute(f"create or replace temp table day_calls as {calls_sql()}", params)
    written = []
    target = calls_path(landing_dir, day, fmt)
    if fmt == "parquet":
        _copy(con, "select * from day_calls", target, "format parquet, compression zstd", {})
    else:
        cols = ", ".join(
            "strftime(started_at, '%Y-%m-%dT%H:%M:%S.%gZ') as started_at" if f.name == "started_at" else f.name
            for f in CALL_FIELDS
        )
        _copy(con, f"select {cols} from day_calls", target, "format json", {})
    written.append(target)
    con.execute(f"create or replace temp table bill_lines_all as {bill_sql()}", {"day": day})
    lines = con.execute('select distinct "ProviderName" from bill_lines_all').fetchall()
    for (provider,) in sorted(lines):
        path = bill_path(landing_dir, provider, day)
        _copy(
            con,
            'select * from bill_lines_all where "ProviderName" = $p',
            path,
            "format csv, header true",
            {"p": provider},
        )
        written.append(path)
    return written


def _setup(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create or replace temp table bill_models (model VARCHAR, billed_model VARCHAR)")
    con.executemany("insert into bill_models values (?, ?)", sorted(BILL_MODEL_IDS.items()))
    con.execute("create or replace temp table accounts (provider VARCHAR, account_id VARCHAR)")
    con.executemany("insert into accounts values (?, ?)", sorted(BILLING_ACCOUNT_IDS.items()))


def generate(
    landing_dir: Path,
    *,
    start: date,
    days: int,
    calls_per_day: int,
    fmt: str = "parquet",
    seed: int = SEED,
    first_day_index: int = 0,
    progress=print,
) -> list[Path]:
    """Write `days` days of `calls_per_day` calls from `start`; fmt parquet, jsonl or mixed (alternating)."""
    if fmt not in (*FORMATS, "mixed"):
        raise ValueError(f"format must be parquet, jsonl or mixed, not {fmt!r}")
    landing_dir = Path(landing_dir)
    prices = load_prices()
    write_demo_config(default_config_dir(landing_dir))  # the overrides its bills were priced with
    written: list[Path] = []
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        _setup(con)
        for k in range(days):
            day = start + timedelta(days=k)
            day_fmt = fmt if fmt != "mixed" else FORMATS[(first_day_index + k) % 2]
            written += write_day(
                con,
                landing_dir,
                day,
                n=calls_per_day,
                fmt=day_fmt,
                seed=seed,
                day_index=first_day_index + k,
                prices=prices,
            )
            progress(f"  generated {day} ({calls_per_day:,} calls, {day_fmt})")
    return written


def expected_totals(landing_dir: Path) -> dict[str, Decimal]:
    """Billed usage per provider, summed from the bulk bill files (the benchmark's check)."""
    with duckdb.connect() as con:
        rows = con.execute(
            'select "ProviderName", sum("BilledCost"::DECIMAL(38,2)) from read_csv(?, all_varchar=true) '
            "group by 1 order by 1",
            [str(Path(landing_dir) / "billing" / "focus" / "*" / "bulk-*.csv")],
        ).fetchall()
    return {p: Decimal(v) for p, v in rows}
