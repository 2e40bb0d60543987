{{ config(**incremental_by_day('cost_day')) }}
-- Daily cost by UTC day x provider x billing account x served model x environment x tenant x
-- feature x prompt template x service tier x cost kind. cost_kind 'usage' rows come from calls;
-- bill amounts that are not allocated onto calls are rows of their own with the dimension value
-- 'unattributed' (cost_kind unattributed_usage, credit, correction, adjustment, ...), so
-- attributed_billed_cost sums to the bill exactly per provider x UTC day (tests/
-- assert_attributed_cost_sums_to_bill). Every row carries the reconciliation status of the period it
-- belongs to (int_reconciliation_days: its account-day, or its provider-day when the bill was
-- allocated across accounts).
with

calls as (
    select * from {{ ref('fct_llm_calls') }}
    where {{ in_window('call_day') }}
),

unattributed as (
    select * from {{ ref('int_bill_unattributed') }}
),

reconciliation as (
    select * from {{ ref('int_reconciliation_days') }}
    where {{ in_window('period_start') }}
),

call_rows as (
    select
        call_day as cost_day,
        provider,
        billing_account,
        model_key as model,
        environment,
        tenant_id,
        feature,
        prompt_template,
        service_tier,
        'usage' as cost_kind,
        count(*) as calls,
        count(*) filter (where cache_outcome = 'app_hit') as app_cache_hits,
        count(*) filter (where not is_priced) as unpriced_calls,
        count(distinct user_id) as active_users,
        sum(input_uncached_tokens) as input_uncached_tokens,
        sum(cache_read_tokens) as cache_read_tokens,
        sum(cache_write_tokens) as cache_write_tokens,
        sum(output_tokens) as output_tokens,
        sum(reasoning_tokens) as reasoning_tokens,
        {{ money('coalesce(sum(list_cost), 0)') }} as list_cost,
        {{ money('sum(attributed_billed_cost)') }} as attributed_billed_cost,
        {{ money('sum(attributed_estimated_cost)') }} as attributed_estimated_cost,
        {{ money('sum(attributed_cost)') }} as attributed_cost
    from calls
    group by all
),

bill_rows as (
    select
        cost_day,
        provider,
        billing_account,
        model,
        'unattributed' as environment,
        'unattributed' as tenant_id,
        'unattributed' as feature,
        'unattributed' as prompt_template,
        service_tier,
        cost_kind,
        0 as calls,
        0 as app_cache_hits,
        0 as unpriced_calls,
        0 as active_users,
        0 as input_uncached_tokens,
        0 as cache_read_tokens,
        0 as cache_write_tokens,
        0 as output_tokens,
        0 as reasoning_tokens,
        {{ money(0) }} as list_cost,
        {{ money('sum(billed_cost)') }} as attributed_billed_cost,
        {{ money(0) }} as attributed_estimated_cost,
        {{ money('sum(billed_cost)') }} as attributed_cost
    from unattributed
    group by all
),

cost_rows as (
    select * from call_rows
    union all
    select * from bill_rows
),

final as (
    select
        cost_rows.*,
        coalesce(reconciliation.reconciliation_status, 'awaiting_bill') as reconciliation_status
    from cost_rows
    left join reconciliation
        on reconciliation.provider = cost_rows.provider
        and reconciliation.period_start = cost_rows.cost_day
        and reconciliation.billing_account in (cost_rows.billing_account, 'all_accounts')
)

select * from final
