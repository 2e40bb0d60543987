{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_window('cost_day') }}",
        on_schema_change='fail'
    )
}}
-- Tokens, list cost and attributed cost per UTC day x provider x served model x service tier x
-- token bucket: the price/volume/mix decomposition (fct_cost_change_mom) needs cost per bucket,
-- which fct_cost_daily does not carry. Built from the allocation of the partition window
-- (int_call_buckets_allocated holds only the window's calls), incremental by UTC day.
with

buckets as (
    select * from {{ ref('int_call_buckets_allocated') }}
),

calls as (
    select * from {{ ref('fct_llm_calls') }}
    where {{ in_window('call_day') }}
),

joined as (
    select
        buckets.call_day as cost_day,
        calls.provider,
        calls.model_key as model,
        calls.service_tier,
        buckets.token_bucket,
        buckets.call_id,
        buckets.tokens,
        buckets.list_cost,
        coalesce(buckets.attributed_billed_cost, 0) + coalesce(buckets.attributed_estimated_cost, 0) as attributed_cost
    from buckets
    inner join calls on calls.call_id = buckets.call_id
    where {{ in_window('buckets.call_day') }}
),

final as (
    select
        cost_day,
        provider,
        model,
        service_tier,
        token_bucket,
        count(distinct call_id) as calls,
        sum(tokens) as tokens,
        count(*) filter (where list_cost is null) as unpriced_calls,
        {{ money('coalesce(sum(list_cost), 0)') }} as list_cost,
        {{ money('sum(attributed_cost)') }} as attributed_cost
    from joined
    group by all
)

select * from final
