{{ config(materialized='table') }}
-- Margin contribution per feature x calendar month. Features earn no revenue of their own: each
-- tenant's monthly revenue is allocated to the features it used by their share of the tenant's
-- production calls that month (int_tenant_feature_months: integer pico-dollars, remainder on the
-- feature with the most calls; revenue of tenants without production calls stays on feature
-- 'unallocated'), so allocated_revenue_usd over all features = the tenants' revenue exactly.
--   cogs_usd = production attributed cost; rnd_usd = staging/dev attributed cost (never COGS)
--   margin_contribution_usd = allocated_revenue_usd - cogs_usd
--   inference_margin_pct = margin_contribution_usd / allocated_revenue_usd; is_below_target when it is
--   under var target_inference_margin_pct (default 0.70).
-- Allocating by calls (not by cost) is what makes the margins differ between features: a feature
-- with expensive calls earns the same revenue per call as a cheap one.
with

cells as (
    select * from {{ ref('int_tenant_feature_months') }}
),

per_feature as (
    select
        month_start,
        feature,
        count(distinct tenant_id) filter (where calls > 0) as tenants,
        sum(calls) as calls,
        sum(prod_calls) as prod_calls,
        {{ money('sum(allocated_revenue)') }} as allocated_revenue_usd,
        {{ money('sum(cogs_cost)') }} as cogs_usd,
        {{ money('sum(rnd_cost)') }} as rnd_usd,
        {{ money('sum(usage_cost)') }} as usage_cost_usd
    from cells
    group by all
),

final as (
    select
        month_start,
        feature,
        tenants,
        calls,
        prod_calls,
        allocated_revenue_usd,
        cogs_usd,
        rnd_usd,
        usage_cost_usd,
        {{ inference_margin_usd('allocated_revenue_usd', 'cogs_usd') }} as margin_contribution_usd,
        {{ inference_margin_pct('allocated_revenue_usd', 'cogs_usd') }} as inference_margin_pct,
        {{ ratio('cogs_usd', 'sum(cogs_usd) over (partition by month_start)') }} as share_of_cogs,
        {{ target_inference_margin_pct() }} as target_inference_margin_pct,
        {{ is_below_margin_target('allocated_revenue_usd', 'cogs_usd') }} as is_below_target
    from per_feature
)

select * from final
