-- The questions finance asks, answered from the published marts.
--
-- Run them against the serving file (any DuckDB >= 1.0 client, DBeaver, SQLAlchemy `duckdb:///...`),
-- or the build file when no writer is running. Each block starts with `-- name: <name>` and ends
-- with `;`. Money columns are full-precision DECIMAL (round only for display); every amount is in USD.
--
-- Conventions of the marts (see dbt docs):
--   attributed_cost  the vendor bill allocated onto calls (plus list-price estimates for calls whose
--                    bill has not arrived); summed over fct_cost_daily it equals the bill, credits included.
--   list_cost        tokens x list price; null for unpriced calls in fct_llm_calls.
--   cost_kind        usage rows come from calls; unattributed_usage, credit, correction, ... rows are
--                    bill amounts no call explains (their dimensions are 'unattributed').
--   "latest month"   the calendar month of the latest day in the data, not of the wall clock.


-- name: top_features_this_month
-- Features ranked by attributed cost (usage rows) in the latest month, with their share of that month's
-- usage spend. Bill amounts no call explains are in credits_and_unattributed.
with latest as (
    select date_trunc('month', max(cost_day)) as month_start
    from marts.fct_cost_daily
),

month_usage as (
    select d.*
    from marts.fct_cost_daily as d
    cross join latest
    where d.cost_day >= latest.month_start
      and d.cost_day < latest.month_start + interval 1 month
      and d.cost_kind = 'usage'
),

by_feature as (
    select
        feature,
        sum(calls) as calls,
        count(distinct tenant_id) as tenants,
        sum(list_cost) as list_cost,
        sum(attributed_cost) as attributed_cost
    from month_usage
    group by feature
)

select
    strftime((select month_start from latest), '%Y-%m') as month,
    row_number() over (order by attributed_cost desc, feature) as rank,
    feature,
    calls,
    tenants,
    list_cost,
    attributed_cost,
    attributed_cost / nullif(sum(attributed_cost) over (), 0) as share_of_month
from by_feature
order by attributed_cost desc, feature
limit 25;


-- name: top_tenants_this_month
-- Tenants (customers) ranked by attributed cost in the latest month, against their plan revenue.
-- cost_to_revenue is a ratio (0.10 = AI spend is 10% of the tenant's monthly revenue).
with latest as (
    select date_trunc('month', max(cost_day)) as month_start
    from marts.fct_cost_daily
),

by_tenant as (
    select
        d.tenant_id,
        sum(d.calls) as calls,
        count(distinct d.feature) as features,
        sum(d.attributed_cost) as attributed_cost
    from marts.fct_cost_daily as d
    cross join latest
    where d.cost_day >= latest.month_start
      and d.cost_day < latest.month_start + interval 1 month
      and d.cost_kind = 'usage'
    group by d.tenant_id
)

select
    strftime((select month_start from latest), '%Y-%m') as month,
    row_number() over (order by b.attributed_cost desc, b.tenant_id) as rank,
    b.tenant_id,
    coalesce(t.tenant_name, 'unknown') as tenant_name,
    coalesce(t.plan, 'unknown') as plan,
    t.monthly_revenue_usd,
    b.calls,
    b.features,
    b.attributed_cost,
    b.attributed_cost / nullif(t.monthly_revenue_usd, 0) as cost_to_revenue
from by_tenant as b
left join marts.dim_tenants as t on t.tenant_id = b.tenant_id
order by b.attributed_cost desc, b.tenant_id
limit 25;


-- name: spend_by_provider_per_day
-- Every dollar of every day per provider: usage attributed to calls, usage no call explains, credits
-- and corrections. total_cost summed over all rows is the bill (usage + credits), exactly, plus list-price
-- estimates for days whose bill has not arrived (estimated_cost).
select
    cost_day,
    provider,
    sum(calls) as calls,
    sum(list_cost) as list_cost,
    sum(case when cost_kind = 'usage' then attributed_cost else 0 end) as usage_attributed_cost,
    sum(case when cost_kind = 'unattributed_usage' then attributed_cost else 0 end) as unattributed_usage_cost,
    sum(case when cost_kind not in ('usage', 'unattributed_usage') then attributed_cost else 0 end)
        as credits_and_adjustments_cost,
    sum(attributed_billed_cost) as billed_cost,
    sum(attributed_estimated_cost) as estimated_cost,
    sum(attributed_cost) as total_cost
from marts.fct_cost_daily
group by cost_day, provider
order by cost_day, provider;


-- name: reconciliation_gaps
-- Periods that do not reconcile yet: out of tolerance (computed vs billed usage beyond tolerance_pct and
-- materiality_usd, the rule's numbers as each row was judged), or calls without a bill. The explained
-- parts of the gap are shown next to the variance.
select
    period_grain,
    period_start,
    provider,
    billing_account,
    reconciliation_status,
    tolerance_pct,
    materiality_usd,
    calls,
    unpriced_calls,
    computed_cost,
    billed_usage_cost,
    variance_cost,
    variance_pct,
    unattributed_usage_cost,
    unbilled_computed_cost,
    days_awaiting_bill
from marts.fct_reconciliation
where reconciliation_status in ('out_of_tolerance', 'awaiting_bill')
order by
    case period_grain when 'month' then 0 else 1 end,
    abs(coalesce(variance_cost, computed_cost)) desc,
    period_start,
    provider,
    billing_account;


-- name: credits_and_unattributed
-- Bill amounts that are not usage of a logged call: credits, refunds, corrections, and billed usage no
-- logged (priced) call explains. Negative amounts are credits.
select
    cost_day,
    provider,
    billing_account,
    cost_kind,
    sum(attributed_billed_cost) as billed_cost,
    sum(attributed_cost) as amount
from marts.fct_cost_daily
where cost_kind <> 'usage'
group by cost_day, provider, billing_account, cost_kind
order by cost_day, provider, billing_account, cost_kind;


-- name: unpriced_calls_by_model
-- Calls whose served model (or one of its token buckets) has no list price: their list cost is null,
-- never $0. Add a price override (data/reference/price_overrides.csv) for the models listed here.
select
    provider,
    model_served,
    model_key,
    service_tier,
    count(*) as calls,
    sum(total_tokens) as total_tokens,
    min(call_day) as first_day,
    max(call_day) as last_day,
    sum(attributed_cost) as attributed_cost
from marts.fct_llm_calls
where not is_priced
group by provider, model_served, model_key, service_tier
order by calls desc, provider, model_served, service_tier;


-- name: cost_per_call_by_feature
-- Unit cost per feature over all days: attributed and list cost per call and per 1,000 calls, and
-- tokens per call. Calls answered from the application's cache count as calls (they cost nothing).
select
    feature,
    sum(calls) as calls,
    sum(app_cache_hits) as app_cache_hits,
    sum(attributed_cost) as attributed_cost,
    sum(attributed_cost) / nullif(sum(calls), 0) as cost_per_call,
    1000 * sum(attributed_cost) / nullif(sum(calls), 0) as cost_per_1k_calls,
    sum(list_cost) / nullif(sum(calls) - sum(unpriced_calls), 0) as list_cost_per_priced_call,
    (sum(input_uncached_tokens) + sum(cache_read_tokens) + sum(cache_write_tokens) + sum(output_tokens))
        / nullif(sum(calls), 0) as tokens_per_call
from marts.fct_cost_daily
where cost_kind = 'usage'
group by feature
order by cost_per_call desc nulls last, feature;


-- name: routed_vs_direct_cost
-- What the router saves: calls the router sent to a cheaper model (rerouted), calls it kept on the
-- requested model (kept), and calls that do not go through the router (none, "direct").
select
    case routing_decision when 'none' then 'direct' else 'routed: ' || routing_decision end as route,
    routing_decision,
    count(*) as calls,
    count(distinct feature) as features,
    sum(list_cost) as list_cost,
    sum(attributed_cost) as attributed_cost,
    sum(attributed_cost) / nullif(count(*), 0) as cost_per_call,
    avg(total_tokens) as tokens_per_call
from marts.fct_llm_calls
group by routing_decision
order by calls desc, routing_decision;
