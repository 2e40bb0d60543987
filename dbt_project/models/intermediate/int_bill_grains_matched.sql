{{ config(materialized='table') }}
-- The allocation grain: provider x billing account x UTC day x served model x token bucket x
-- service tier, for the partition window. Each grain row carries the computed (list) cost of the
-- logged calls in it and the usage billed for it, so later models can split the bill by share.
-- match_status: matched (bill and priced calls), bill_without_calls (the bill amount cannot be
-- attributed: it becomes an explicit unattributed row), calls_without_bill (no bill line yet:
-- calls keep their list cost as an estimate).
with

buckets as (
    select * from {{ ref('int_call_buckets_priced') }}
),

bill_lines as (
    select * from {{ ref('stg_raw__bill_lines') }}
    where is_usage and {{ in_window('charge_day') }}
),

computed as (
    select
        provider, billing_account, call_day as cost_day, model_served as model, token_bucket, service_tier,
        sum({{ to_pico('list_cost') }}) as computed_pico,
        {{ money('sum(list_cost)') }} as computed_cost,
        sum(tokens) as tokens,
        sum(case when list_cost is null then tokens else 0 end) as unpriced_tokens
    from buckets
    group by all
),

billed as (
    select
        provider, billing_account, charge_day as cost_day, model, token_bucket, service_tier,
        {{ money('sum(billed_cost)') }} as billed_cost,
        sum(consumed_quantity) as billed_quantity
    from bill_lines
    group by all
),

final as (
    select
        coalesce(computed.provider, billed.provider) as provider,
        coalesce(computed.billing_account, billed.billing_account) as billing_account,
        coalesce(computed.cost_day, billed.cost_day) as cost_day,
        coalesce(computed.model, billed.model) as model,
        coalesce(computed.token_bucket, billed.token_bucket) as token_bucket,
        coalesce(computed.service_tier, billed.service_tier) as service_tier,
        coalesce(computed.computed_pico, 0) as computed_pico,
        coalesce(computed.computed_cost, 0) as computed_cost,
        coalesce(computed.tokens, 0) as tokens,
        coalesce(computed.unpriced_tokens, 0) as unpriced_tokens,
        billed.billed_cost,
        billed.billed_quantity,
        case
            when billed.billed_cost is null then 'calls_without_bill'
            when coalesce(computed.computed_pico, 0) = 0 then 'bill_without_calls'
            else 'matched'
        end as match_status
    from computed
    full outer join billed
        on computed.provider = billed.provider
        and computed.billing_account = billed.billing_account
        and computed.cost_day = billed.cost_day
        and computed.model = billed.model
        and computed.token_bucket = billed.token_bucket
        and computed.service_tier = billed.service_tier
)

select * from final
