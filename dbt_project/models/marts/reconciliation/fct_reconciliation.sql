-- Reconciliation of computed (list) cost with the vendor bill per provider x billing account x UTC day
-- (or provider x day, billing_account 'all_accounts', where the bill was allocated across accounts),
-- plus a month rollup (period_grain = 'month'). variance_cost = billed usage - computed cost;
-- variance_pct = variance_cost / billed usage. Beside it, the explained parts of the gap: bill amounts
-- with no priced logged call of their provider-day (unattributed_usage_cost), list cost of calls whose
-- provider-day has no bill yet (unbilled_computed_cost) or that no bill amount reached
-- (logged_not_billed_cost), calls without a price (unpriced_calls), credits and corrections (kept out of
-- the usage comparison), and how much of the bill was allocated at a coarser grain than its own line
-- (fallback_allocated_cost, allocated_at). Day rows come from int_reconciliation_days, built with each
-- day; a bill day whose marts were never built is 'not_built'. The month rollup compares the built days
-- that have a bill; its status follows the same rule (macro reconciliation_status).
with

days as (
    select * from {{ ref('int_reconciliation_days') }}
),

acknowledgments as (
    select * from {{ ref('stg_config__acknowledged_variances') }}
),

bill_lines as (
    select * from {{ ref('stg_raw__bill_lines') }}
    where not is_usage_report
),

unbuilt_bill_days as (
    select
        'day' as period_grain,
        charge_day as period_start,
        provider,
        billing_account,
        'account' as reconciled_at,
        0 as calls,
        0 as unpriced_calls,
        cast(null as decimal(38, 12)) as computed_cost,
        {{ money('sum(billed_cost) filter (where is_usage)') }} as billed_usage_cost,
        {{ money('coalesce(sum(billed_cost) filter (where not is_usage), 0)') }} as credits_and_adjustments_cost,
        {{ money('sum(billed_cost)') }} as billed_total_cost,
        cast(null as decimal(38, 12)) as variance_cost,
        cast(null as decimal(18, 8)) as variance_pct,
        {{ money(0) }} as attributed_to_calls_cost,
        {{ money(0) }} as unattributed_usage_cost,
        {{ money(0) }} as unbilled_computed_cost,
        {{ money(0) }} as logged_not_billed_cost,
        {{ money(0) }} as fallback_allocated_cost,
        cast(null as string) as allocated_at,
        0 as days_awaiting_bill,
        'not_built' as reconciliation_status,
        cast(null as boolean) as within_tolerance,
        cast(null as string) as acknowledgment_reason
    from bill_lines
    where not exists (
        select 1 from days where days.provider = bill_lines.provider and days.period_start = bill_lines.charge_day
    )
    group by all
),

month_sums as (
    select
        cast(date_trunc('month', period_start) as date) as period_start,
        provider,
        billing_account,
        any_value(reconciled_at) as reconciled_at,
        min(period_start) filter (where billed_usage_cost is not null) as first_billed_day,
        max(period_start) filter (where billed_usage_cost is not null) as last_billed_day,
        sum(calls) filter (where billed_usage_cost is not null) as calls,
        sum(unpriced_calls) filter (where billed_usage_cost is not null) as unpriced_calls,
        {{ money('coalesce(sum(computed_cost) filter (where billed_usage_cost is not null), 0)') }} as computed_cost,
        {{ money('sum(billed_usage_cost)') }} as billed_usage_cost,
        {{ money('sum(credits_and_adjustments_cost)') }} as credits_and_adjustments_cost,
        {{ money('sum(billed_total_cost)') }} as billed_total_cost,
        {{ money('sum(attributed_to_calls_cost)') }} as attributed_to_calls_cost,
        {{ money('sum(unattributed_usage_cost)') }} as unattributed_usage_cost,
        {{ money('sum(unbilled_computed_cost)') }} as unbilled_computed_cost,
        {{ money('sum(logged_not_billed_cost)') }} as logged_not_billed_cost,
        {{ money('sum(fallback_allocated_cost)') }} as fallback_allocated_cost,
        case when max(allocation_level) is not null then {{ allocated_at('max(allocation_level)') }} end
            as allocated_at,
        sum(days_awaiting_bill) as days_awaiting_bill
    from days
    group by all
),

month_acknowledged as (
    select
        month_sums.period_start, month_sums.provider, month_sums.billing_account,
        {{ arg_min('acknowledgments.reason', 'acknowledgments.period_start') }} as acknowledgment_reason
    from month_sums
    inner join acknowledgments
        on {{ acknowledgment_covers('acknowledgments', 'month_sums.provider', 'month_sums.billing_account',
                                    'month_sums.first_billed_day', 'month_sums.last_billed_day') }}
    group by all
),

months as (
    select
        'month' as period_grain,
        month_sums.period_start,
        month_sums.provider,
        month_sums.billing_account,
        month_sums.reconciled_at,
        month_sums.calls,
        month_sums.unpriced_calls,
        month_sums.computed_cost,
        month_sums.billed_usage_cost,
        month_sums.credits_and_adjustments_cost,
        month_sums.billed_total_cost,
        {{ money('month_sums.billed_usage_cost - month_sums.computed_cost') }} as variance_cost,
        {{ ratio('month_sums.billed_usage_cost - month_sums.computed_cost', 'month_sums.billed_usage_cost') }}
            as variance_pct,
        month_sums.attributed_to_calls_cost,
        month_sums.unattributed_usage_cost,
        month_sums.unbilled_computed_cost,
        month_sums.logged_not_billed_cost,
        month_sums.fallback_allocated_cost,
        month_sums.allocated_at,
        month_sums.days_awaiting_bill,
        {{ reconciliation_status('month_sums.billed_usage_cost', 'month_sums.computed_cost', 'month_sums.calls',
                                 'month_sums.last_billed_day', 'month_acknowledged.acknowledgment_reason is not null') }}
            as reconciliation_status,
        case when month_sums.billed_usage_cost is not null
            then {{ is_within_tolerance('month_sums.billed_usage_cost', 'month_sums.computed_cost') }}
        end as within_tolerance,
        month_acknowledged.acknowledgment_reason
    from month_sums
    left join month_acknowledged
        on month_acknowledged.period_start = month_sums.period_start
        and month_acknowledged.provider = month_sums.provider
        and month_acknowledged.billing_account = month_sums.billing_account
),

{%- set columns = [
    'period_grain', 'period_start', 'provider', 'billing_account', 'reconciled_at', 'calls', 'unpriced_calls',
    'computed_cost', 'billed_usage_cost', 'credits_and_adjustments_cost', 'billed_total_cost', 'variance_cost',
    'variance_pct', 'attributed_to_calls_cost', 'unattributed_usage_cost', 'unbilled_computed_cost',
    'logged_not_billed_cost', 'fallback_allocated_cost', 'allocated_at', 'days_awaiting_bill',
    'reconciliation_status', 'within_tolerance', 'acknowledgment_reason'] %}

-- the three parts matched by column name
final as (
    select {{ columns | join(', ') }} from days
    union all
    select {{ columns | join(', ') }} from unbuilt_bill_days
    union all
    select {{ columns | join(', ') }} from months
)

select
    period_grain,
    period_start,
    provider,
    billing_account,
    reconciled_at,
    calls,
    unpriced_calls,
    computed_cost,
    billed_usage_cost,
    credits_and_adjustments_cost,
    billed_total_cost,
    variance_cost,
    variance_pct,
    attributed_to_calls_cost,
    unattributed_usage_cost,
    unbilled_computed_cost,
    logged_not_billed_cost,
    fallback_allocated_cost,
    allocated_at,
    days_awaiting_bill,
    reconciliation_status,
    within_tolerance,
    {{ reconciliation_tolerance() }} as tolerance_pct,
    {{ reconciliation_materiality_usd() }} as materiality_usd,
    acknowledgment_reason
from final
