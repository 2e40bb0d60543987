{{ config(**incremental_by_day('call_day')) }}
-- Calls and cost per UTC day x provider x environment x feature x requested model x served model x
-- routing decision x app cache outcome: the router and app-cache counts of the quarterly KPIs
-- (fct_cost_daily has neither dimension). Incremental by UTC day.
with

calls as (
    select * from {{ ref('fct_llm_calls') }}
    where {{ in_window('call_day') }}
),

final as (
    select
        call_day,
        provider,
        environment,
        feature,
        model_requested,
        model_key as model_served_key,
        routing_decision,
        cache_outcome,
        count(*) as calls,
        {{ money('coalesce(sum(list_cost), 0)') }} as list_cost,
        {{ money('sum(attributed_cost)') }} as attributed_cost
    from calls
    group by all
)

select * from final
