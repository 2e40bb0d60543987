{{ config(materialized='table') }}
-- Inference margin per tenant x calendar month: revenue less inference COGS only, not a gross
-- margin (other COGS are not here). int_tenant_feature_months has the rules:
--   revenue_usd        = the tenant's monthly_revenue_usd (full month, also for a month the data
--                        covers only partly: see is_complete_month)
--   cogs_usd           = attributed usage cost of production calls (environment = 'prod')
--   rnd_usd            = attributed usage cost of staging, dev (and unknown) calls: R&D, never COGS
--   inference_margin_usd = revenue_usd - cogs_usd; inference_margin_pct = inference_margin_usd / revenue_usd
--   is_below_target    = inference_margin_pct < var target_inference_margin_pct (default 0.70)
-- Bill amounts that no call explains (unattributed usage, credits) belong to no tenant and are not
-- here (fct_quarterly_kpis shows them). cogs_usd + rnd_usd = usage_cost_usd exactly.
with

cells as (
    select * from {{ ref('int_tenant_feature_months') }}
),

tenants as (
    select * from {{ ref('dim_tenants') }}
),

usage_days as (
    select cost_day from {{ ref('fct_cost_daily') }} where cost_kind = 'usage'
),

month_days as (
    select
        cast(date_trunc('month', cost_day) as date) as month_start,
        count(distinct cost_day) as days_with_data
    from usage_days
    group by all
),

per_tenant as (
    select
        month_start,
        tenant_id,
        sum(calls) as calls,
        sum(prod_calls) as prod_calls,
        {{ money('max(tenant_revenue)') }} as revenue_usd,
        {{ money('sum(cogs_cost)') }} as cogs_usd,
        {{ money('sum(rnd_cost)') }} as rnd_usd,
        {{ money('sum(usage_cost)') }} as usage_cost_usd
    from cells
    group by all
),

final as (
    select
        per_tenant.month_start,
        per_tenant.tenant_id,
        coalesce(tenants.tenant_name, 'unknown') as tenant_name,
        coalesce(tenants.plan, 'unknown') as plan,
        coalesce(month_days.days_with_data, 0) as days_with_data,
        coalesce(month_days.days_with_data, 0)
            = {{ dbt.datediff(
                'per_tenant.month_start', 'cast(per_tenant.month_start + interval 1 month as date)', 'day'
            ) }}
            as is_complete_month,
        per_tenant.calls,
        per_tenant.prod_calls,
        per_tenant.revenue_usd,
        per_tenant.cogs_usd,
        per_tenant.rnd_usd,
        per_tenant.usage_cost_usd,
        {{ inference_margin_usd('per_tenant.revenue_usd', 'per_tenant.cogs_usd') }} as inference_margin_usd,
        {{ inference_margin_pct('per_tenant.revenue_usd', 'per_tenant.cogs_usd') }} as inference_margin_pct,
        {{ target_inference_margin_pct() }} as target_inference_margin_pct,
        {{ is_below_margin_target('per_tenant.revenue_usd', 'per_tenant.cogs_usd') }} as is_below_target
    from per_tenant
    left join tenants on tenants.tenant_id = per_tenant.tenant_id
    left join month_days on month_days.month_start = per_tenant.month_start
)

select * from final
