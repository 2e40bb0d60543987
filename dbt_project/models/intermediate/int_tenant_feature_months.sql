{{ config(materialized='table') }}
-- Revenue, COGS and R&D per calendar month x tenant x feature.
-- Rules, in plain words:
-- - revenue: a tenant's monthly_revenue_usd (dim_tenants) for every calendar month the data covers
--   (a month the data covers only partly still carries the full monthly revenue);
-- - COGS: attributed usage cost of production calls (environment = 'prod'); R&D: attributed usage
--   cost of every other environment (staging, dev, unknown); so cogs_cost + rnd_cost = usage_cost;
-- - features earn no revenue of their own: the tenant's monthly revenue is allocated to its
--   features by their share of the tenant's production calls in the month, on integer
--   pico-dollars with floor division, the remainder on the feature with the most production calls;
--   a tenant-month with revenue and no production call keeps its revenue on feature 'unallocated'.
--   So allocated_revenue sums to the tenants' revenue exactly.
with

usage as (
    select * from {{ ref('fct_cost_daily') }}
    where cost_kind = 'usage'
),

tenants as (
    select * from {{ ref('dim_tenants') }}
),

bounds as (
    select min(cost_day) as first_day, max(cost_day) as last_day from usage
),

months as (
    select cast(series.month_ts as date) as month_start
    from bounds, {{ time_series(
        "cast(date_trunc('month', bounds.first_day) as timestamp)",
        "cast(date_trunc('month', bounds.last_day) as timestamp)",
        'interval 1 month', 'series', 'month_ts') }}
),

usage_months as (
    select
        cast(date_trunc('month', cost_day) as date) as month_start,
        tenant_id,
        feature,
        sum(calls) as calls,
        sum(calls) filter (where environment = 'prod') as prod_calls,
        {{ money("coalesce(sum(attributed_cost) filter (where environment = 'prod'), 0)") }} as cogs_cost,
        {{ money("coalesce(sum(attributed_cost) filter (where environment <> 'prod'), 0)") }} as rnd_cost,
        {{ money('sum(attributed_cost)') }} as usage_cost
    from usage
    group by all
),

tenant_months as (
    select months.month_start, tenants.tenant_id, tenants.monthly_revenue_usd
    from months
    cross join tenants
),

cells as (
    select
        month_start,
        tenant_id,
        feature,
        calls,
        coalesce(prod_calls, 0) as prod_calls,
        cogs_cost,
        rnd_cost,
        usage_cost
    from usage_months
    union all
    -- the revenue of a tenant-month without production calls has no feature to go to
    select
        tenant_months.month_start,
        tenant_months.tenant_id,
        'unallocated' as feature,
        0 as calls,
        0 as prod_calls,
        {{ money(0) }} as cogs_cost,
        {{ money(0) }} as rnd_cost,
        {{ money(0) }} as usage_cost
    from tenant_months
    where tenant_months.monthly_revenue_usd <> 0
        and not exists (
            select 1 from usage_months
            where usage_months.month_start = tenant_months.month_start
                and usage_months.tenant_id = tenant_months.tenant_id
                and usage_months.prod_calls > 0
        )
),

with_revenue as (
    select
        cells.*,
        {{ money('coalesce(tenant_months.monthly_revenue_usd, 0)') }} as tenant_revenue,
        sum(cells.prod_calls) over (partition by cells.month_start, cells.tenant_id) as tenant_prod_calls
    from cells
    left join tenant_months
        on tenant_months.month_start = cells.month_start and tenant_months.tenant_id = cells.tenant_id
),

split as (
    select
        *,
        case
            when tenant_prod_calls > 0
                then {{ int_div(to_pico('tenant_revenue') ~ ' * prod_calls', 'tenant_prod_calls') }}
            when feature = 'unallocated' then {{ to_pico('tenant_revenue') }}
            else 0
        end as share_pico
    from with_revenue
),

with_remainder as (
    select
        *,
        share_pico + case
            when tenant_prod_calls > 0
                and row_number() over (
                    partition by month_start, tenant_id order by prod_calls desc, feature asc
                ) = 1
                then {{ to_pico('tenant_revenue') }} - sum(share_pico) over (partition by month_start, tenant_id)
            else 0
        end as allocated_pico
    from split
),

final as (
    select
        month_start,
        tenant_id,
        feature,
        calls,
        prod_calls,
        tenant_prod_calls,
        cogs_cost,
        rnd_cost,
        usage_cost,
        tenant_revenue,
        {{ from_pico('allocated_pico') }} as allocated_revenue
    from with_remainder
)

select * from final
