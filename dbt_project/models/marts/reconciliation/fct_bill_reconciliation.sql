{{ config(**incremental_by_day('cost_day')) }}
-- Reconciliation at each vendor's own grain: one row per billed usage grain (provider x billing
-- account x UTC day x model x token bucket x service tier; OpenAI project x day x line item,
-- Anthropic workspace x day x model x token type x tier, FOCUS sub-account x day x SKU), with the
-- computed list cost of the logged calls it covers and the variance, and where its amount was
-- allocated (allocated_at, int_bill_allocation_grains): at its own grain ('bill_line'), or, when no
-- logged call shares that grain, at a coarser one ('without_tier' ... 'provider_day': line_status
-- 'fallback'). A grain with no priced logged call of its provider-day is 'unattributed' (its amount is
-- an explicit unattributed row in fct_cost_daily).
with

bill_grains as (
    select * from {{ ref('int_bill_usage_grains') }}
),

allocation as (
    select * from {{ ref('int_bill_allocation_grains') }}
),

matches as (
    -- at its own grain a bill grain is its own allocation pool
    select * from {{ ref('int_bill_grain_matches') }}
    where allocation_level = 0
),

covered as (
    select
        allocation_id as bill_grain_id,
        {{ from_pico('sum(cost_pico)') }} as computed_cost,
        count(distinct call_id) as calls
    from matches
    group by allocation_id
),

final as (
    select
        bill_grains.cost_day,
        bill_grains.provider,
        bill_grains.billing_account,
        bill_grains.model,
        bill_grains.token_bucket,
        bill_grains.service_tier,
        bill_grains.bill_lines,
        bill_grains.billed_quantity,
        bill_grains.billed_cost,
        coalesce(covered.calls, 0) as calls,
        coalesce(covered.computed_cost, {{ money(0) }}) as computed_cost,
        {{ money('bill_grains.billed_cost - coalesce(covered.computed_cost, 0)') }} as variance_cost,
        {{ ratio('bill_grains.billed_cost - coalesce(covered.computed_cost, 0)', 'bill_grains.billed_cost') }}
            as variance_pct,
        allocation.allocated_at,
        case
            when allocation.allocated_at = 'unattributed' then 'unattributed'
            when allocation.allocated_at <> 'bill_line' then 'fallback'
            when {{ is_within_tolerance('bill_grains.billed_cost', 'covered.computed_cost') }} then 'reconciled'
            else 'out_of_tolerance'
        end as line_status
    from bill_grains
    left join covered on covered.bill_grain_id = bill_grains.bill_grain_id
    inner join allocation on allocation.bill_grain_id = bill_grains.bill_grain_id
)

select * from final
