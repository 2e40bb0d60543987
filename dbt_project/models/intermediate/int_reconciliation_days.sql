{{ config(**incremental_by_day('period_start')) }}
-- Reconciliation of the partition window's UTC days: computed (list) cost of the logged calls vs the
-- bill, per provider x billing account x day, or per provider x day (billing_account 'all_accounts',
-- reconciled_at 'provider') when part of the provider-day's bill was allocated across accounts (logs
-- without the vendor account, or accounts the logs and the bill do not share). Beside the variance: the
-- explained parts of the gap, the coarsest grain any of its bill was allocated at, and the arrival state
-- (macro reconciliation_status). Incremental by day: a day is rebuilt whenever its calls, bill or
-- config change (ingest.rebuild), and fct_cost_daily carries its status.
with

calls as (
    select * from {{ ref('fct_llm_calls') }}
    where {{ in_window('call_day') }}
),

buckets as (
    select * from {{ ref('int_call_buckets_allocated') }}
),

bill_lines as (
    select * from {{ ref('stg_raw__bill_lines') }}
    where not is_usage_report and {{ in_window('charge_day') }}
),

allocation as (
    select * from {{ ref('int_bill_allocation_grains') }}
),

acknowledgments as (
    select * from {{ ref('stg_config__acknowledged_variances') }}
),

call_side as (
    select
        provider, billing_account, call_day as cost_day,
        count(*) as calls,
        count(*) filter (where not is_priced) as unpriced_calls,
        {{ money('coalesce(sum(list_cost), 0)') }} as computed_cost,
        {{ money('sum(attributed_billed_cost)') }} as attributed_to_calls_cost,
        {{ money('sum(attributed_estimated_cost)') }} as unbilled_computed_cost
    from calls
    group by all
),

not_billed as (
    select provider, billing_account, call_day as cost_day, {{ money('sum(list_cost)') }} as logged_not_billed_cost
    from buckets
    where allocation_status = 'not_billed'
    group by all
),

bill_side as (
    select
        provider, billing_account, charge_day as cost_day,
        {{ money('sum(billed_cost) filter (where is_usage)') }} as billed_usage_cost,
        {{ money('sum(billed_cost) filter (where not is_usage)') }} as credits_and_adjustments_cost,
        {{ money('sum(billed_cost)') }} as billed_total_cost
    from bill_lines
    group by all
),

allocation_side as (
    select
        provider, billing_account, cost_day,
        {{ money("sum(billed_cost) filter (where allocated_at = 'unattributed')") }} as unattributed_usage_cost,
        {{ money('sum(billed_cost) filter (where allocation_level between 1 and 4)') }} as fallback_allocated_cost,
        max(allocation_level) filter (where allocation_level < 5) as coarsest_level
    from allocation
    group by all
),

provider_days as (
    select provider, cost_day, bool_or(allocation_level = 4) as across_accounts
    from allocation
    group by all
),

accounts as (
    select
        coalesce(call_side.provider, bill_side.provider) as provider,
        coalesce(call_side.billing_account, bill_side.billing_account) as billing_account,
        coalesce(call_side.cost_day, bill_side.cost_day) as cost_day,
        coalesce(call_side.calls, 0) as calls,
        coalesce(call_side.unpriced_calls, 0) as unpriced_calls,
        coalesce(call_side.computed_cost, {{ money(0) }}) as computed_cost,
        bill_side.billed_usage_cost,
        bill_side.credits_and_adjustments_cost,
        bill_side.billed_total_cost,
        call_side.attributed_to_calls_cost,
        call_side.unbilled_computed_cost
    from call_side
    full outer join bill_side
        on bill_side.provider = call_side.provider
        and bill_side.billing_account = call_side.billing_account
        and bill_side.cost_day = call_side.cost_day
),

labelled as (
    select
        accounts.provider,
        case when provider_days.across_accounts then 'all_accounts' else accounts.billing_account end
            as billing_account,
        case when provider_days.across_accounts then 'provider' else 'account' end as reconciled_at,
        accounts.cost_day,
        accounts.calls,
        accounts.unpriced_calls,
        accounts.computed_cost,
        accounts.billed_usage_cost,
        accounts.credits_and_adjustments_cost,
        accounts.billed_total_cost,
        accounts.attributed_to_calls_cost,
        accounts.unbilled_computed_cost,
        not_billed.logged_not_billed_cost,
        allocation_side.unattributed_usage_cost,
        allocation_side.fallback_allocated_cost,
        allocation_side.coarsest_level
    from accounts
    left join provider_days
        on provider_days.provider = accounts.provider
        and provider_days.cost_day = accounts.cost_day
    left join not_billed
        on not_billed.provider = accounts.provider
        and not_billed.billing_account = accounts.billing_account
        and not_billed.cost_day = accounts.cost_day
    left join allocation_side
        on allocation_side.provider = accounts.provider
        and allocation_side.billing_account = accounts.billing_account
        and allocation_side.cost_day = accounts.cost_day
),

periods as (
    select
        provider,
        billing_account,
        reconciled_at,
        cost_day,
        sum(calls) as calls,
        sum(unpriced_calls) as unpriced_calls,
        {{ money('sum(computed_cost)') }} as computed_cost,
        {{ money('sum(billed_usage_cost)') }} as billed_usage_cost,
        {{ money('coalesce(sum(credits_and_adjustments_cost), 0)') }} as credits_and_adjustments_cost,
        {{ money('sum(billed_total_cost)') }} as billed_total_cost,
        {{ money('coalesce(sum(attributed_to_calls_cost), 0)') }} as attributed_to_calls_cost,
        {{ money('coalesce(sum(unattributed_usage_cost), 0)') }} as unattributed_usage_cost,
        {{ money('coalesce(sum(unbilled_computed_cost), 0)') }} as unbilled_computed_cost,
        {{ money('coalesce(sum(logged_not_billed_cost), 0)') }} as logged_not_billed_cost,
        {{ money('coalesce(sum(fallback_allocated_cost), 0)') }} as fallback_allocated_cost,
        max(coarsest_level) as coarsest_level
    from labelled
    group by all
),

acknowledged as (
    select
        periods.provider, periods.billing_account, periods.cost_day,
        {{ arg_min('acknowledgments.reason', 'acknowledgments.period_start') }} as acknowledgment_reason
    from periods
    inner join acknowledgments
        on {{ acknowledgment_covers('acknowledgments', 'periods.provider', 'periods.billing_account',
                                    'periods.cost_day', 'periods.cost_day') }}
    group by all
),

final as (
    select
        'day' as period_grain,
        periods.cost_day as period_start,
        periods.provider,
        periods.billing_account,
        periods.reconciled_at,
        periods.calls,
        periods.unpriced_calls,
        periods.computed_cost,
        periods.billed_usage_cost,
        periods.credits_and_adjustments_cost,
        periods.billed_total_cost,
        {{ money('periods.billed_usage_cost - periods.computed_cost') }} as variance_cost,
        {{ ratio('periods.billed_usage_cost - periods.computed_cost', 'periods.billed_usage_cost') }} as variance_pct,
        periods.attributed_to_calls_cost,
        periods.unattributed_usage_cost,
        periods.unbilled_computed_cost,
        periods.logged_not_billed_cost,
        periods.fallback_allocated_cost,
        case when periods.billed_usage_cost is not null then coalesce(periods.coarsest_level, 5) end
            as allocation_level,
        case when periods.billed_usage_cost is not null then {{ allocated_at('coalesce(periods.coarsest_level, 5)') }}
        end as allocated_at,
        case when periods.billed_usage_cost is null then 1 else 0 end as days_awaiting_bill,
        {{ reconciliation_status('periods.billed_usage_cost', 'periods.computed_cost', 'periods.calls',
                                 'periods.cost_day', 'acknowledged.acknowledgment_reason is not null') }}
            as reconciliation_status,
        case when periods.billed_usage_cost is not null
            then {{ is_within_tolerance('periods.billed_usage_cost', 'periods.computed_cost') }}
        end as within_tolerance,
        acknowledged.acknowledgment_reason
    from periods
    left join acknowledged
        on acknowledged.provider = periods.provider
        and acknowledged.billing_account = periods.billing_account
        and acknowledged.cost_day = periods.cost_day
)

select * from final
