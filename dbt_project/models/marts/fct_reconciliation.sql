-- Reconciliation of computed (list) cost with the vendor bill per provider x billing account x
-- UTC day, plus a month rollup (period_grain = 'month'). variance_cost = billed usage - computed
-- cost; variance_pct = variance_cost / billed usage. The explained parts of the gap are shown
-- beside it: bill amounts with no logged priced call (unattributed_usage_cost), computed cost of
-- calls whose bill line is missing (unbilled_computed_cost), calls without a price
-- (unpriced_calls), and credits / corrections (kept out of the usage comparison).
-- A day with calls but no bill yet is 'awaiting_bill', not a failure; a bill day whose marts were
-- never built is 'not_built' (computed_cost null); the month rollup compares built days that have a bill.
with

daily_costs as (
    select * from {{ ref('fct_cost_daily') }}
),

bill_lines as (
    select * from {{ ref('stg_raw__bill_lines') }}
),

computed as (
    select
        provider, billing_account, cost_day,
        sum(calls) as calls,
        sum(unpriced_calls) as unpriced_calls,
        {{ money('sum(list_cost)') }} as computed_cost,
        {{ money("sum(attributed_billed_cost) filter (where cost_kind = 'usage')") }} as attributed_to_calls_cost,
        {{ money("sum(attributed_billed_cost) filter (where cost_kind = 'unattributed_usage')") }} as unattributed_usage_cost,
        {{ money('sum(attributed_estimated_cost)') }} as unbilled_computed_cost
    from daily_costs
    group by all
),

billed as (
    select
        provider, billing_account, charge_day as cost_day,
        {{ money('sum(billed_cost) filter (where is_usage)') }} as billed_usage_cost,
        {{ money('sum(billed_cost) filter (where not is_usage)') }} as credits_and_adjustments_cost,
        {{ money('sum(billed_cost)') }} as billed_total_cost
    from bill_lines
    where not is_usage_report
    group by all
),

built_days as (
    select distinct cost_day from daily_costs
),

days as (
    select
        'day' as period_grain,
        coalesce(computed.cost_day, billed.cost_day) as period_start,
        coalesce(computed.provider, billed.provider) as provider,
        coalesce(computed.billing_account, billed.billing_account) as billing_account,
        coalesce(computed.calls, 0) as calls,
        coalesce(computed.unpriced_calls, 0) as unpriced_calls,
        -- a bill day whose marts were never built has no computed cost yet (null, not 0)
        case when built_days.cost_day is not null then coalesce(computed.computed_cost, 0) end as computed_cost,
        billed.billed_usage_cost,
        coalesce(billed.credits_and_adjustments_cost, 0) as credits_and_adjustments_cost,
        billed.billed_total_cost,
        coalesce(computed.attributed_to_calls_cost, 0) as attributed_to_calls_cost,
        coalesce(computed.unattributed_usage_cost, 0) as unattributed_usage_cost,
        coalesce(computed.unbilled_computed_cost, 0) as unbilled_computed_cost,
        case when billed.cost_day is null then 1 else 0 end as days_awaiting_bill
    from computed
    full outer join billed
        on computed.provider = billed.provider
        and computed.billing_account = billed.billing_account
        and computed.cost_day = billed.cost_day
    left join built_days
        on built_days.cost_day = coalesce(computed.cost_day, billed.cost_day)
),

months as (
    select
        'month' as period_grain,
        cast(date_trunc('month', period_start) as date) as period_start,
        provider,
        billing_account,
        sum(calls) filter (where billed_usage_cost is not null and computed_cost is not null) as calls,
        sum(unpriced_calls) filter (where billed_usage_cost is not null and computed_cost is not null) as unpriced_calls,
        {{ money('sum(computed_cost) filter (where billed_usage_cost is not null and computed_cost is not null)') }} as computed_cost,
        {{ money('sum(billed_usage_cost) filter (where computed_cost is not null)') }} as billed_usage_cost,
        {{ money('sum(credits_and_adjustments_cost)') }} as credits_and_adjustments_cost,
        {{ money('sum(billed_total_cost)') }} as billed_total_cost,
        {{ money('sum(attributed_to_calls_cost)') }} as attributed_to_calls_cost,
        {{ money('sum(unattributed_usage_cost)') }} as unattributed_usage_cost,
        {{ money('sum(unbilled_computed_cost)') }} as unbilled_computed_cost,
        sum(days_awaiting_bill) as days_awaiting_bill
    from days
    group by all
),

periods as (
    select * from days
    union all
    select * from months
),

final as (
    select
        period_grain,
        period_start,
        provider,
        billing_account,
        calls,
        unpriced_calls,
        computed_cost,
        billed_usage_cost,
        credits_and_adjustments_cost,
        billed_total_cost,
        {{ money('billed_usage_cost - computed_cost') }} as variance_cost,
        {{ ratio('billed_usage_cost - computed_cost', 'billed_usage_cost') }} as variance_pct,
        attributed_to_calls_cost,
        unattributed_usage_cost,
        unbilled_computed_cost,
        days_awaiting_bill,
        case
            when computed_cost is null then 'not_built'
            when billed_usage_cost is null then 'awaiting_bill'
            when {{ is_within_tolerance('billed_usage_cost', 'computed_cost') }} then 'reconciled'
            else 'out_of_tolerance'
        end as reconciliation_status,
        case when billed_usage_cost is not null and computed_cost is not null
            then {{ is_within_tolerance('billed_usage_cost', 'computed_cost') }}
        end as within_tolerance
    from periods
)

select * from final
