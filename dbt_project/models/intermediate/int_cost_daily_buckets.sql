{{ config(**incremental_by_day('cost_day')) }}
-- Tokens, list cost and attributed cost per UTC day x provider x served model x service tier x
-- token bucket: the price/volume/mix decomposition (fct_cost_change_mom) needs cost per bucket,
-- which fct_cost_daily does not carry. Built from the allocation of the partition window
-- (int_call_buckets_allocated holds only the window's calls, one row per call x bucket with
-- tokens, so a group's rows are its calls), incremental by UTC day.
with

buckets as (
    select * from {{ ref('int_call_buckets_allocated') }}
    where {{ in_window('call_day') }}
),

final as (
    select
        call_day as cost_day,
        provider,
        model_key as model,
        service_tier,
        token_bucket,
        count(*) as calls,
        sum(tokens) as tokens,
        count(*) filter (where list_cost is null) as unpriced_calls,
        {{ money('coalesce(sum(list_cost), 0)') }} as list_cost,
        {{ money('sum(coalesce(attributed_billed_cost, 0) + coalesce(attributed_estimated_cost, 0))') }}
            as attributed_cost
    from buckets
    group by all
)

select * from final
