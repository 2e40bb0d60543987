{{ config(**incremental_by_day('cost_day')) }}
-- What the model router saves, per UTC day x feature, in list prices. Routed calls are the calls
-- that went through the router (routing_decision kept or rerouted). For each, the same tokens
-- (same buckets, same tier, same UTC day, same long-context tier) are priced twice with the one
-- pricing rule of int_call_bucket_scenarios_priced: at the model that served the call (scenario
-- as_served: its list cost) and at the model the application requested (scenario requested_model).
-- routing_savings = requested_model_cost - served_cost: 0 for a kept call (same model, same
-- price), positive when the router picked a cheaper model, negative when it picked a dearer one.
-- A call with an unpriced bucket in either scenario is counted in unpriced_calls and left out of
-- the money columns. Incremental by UTC day: a run replaces the days of its partition window.
with

calls as (
    select * from {{ ref('fct_llm_calls') }}
    where {{ in_window('call_day') }}
        and routing_decision in ('kept', 'rerouted')
),

per_call_scenarios as (
    -- the requested_model scenario exists for routed calls only, one row per call; the as_served
    -- scenario per call is fct_llm_calls' list_cost and is_priced (same pricing rule)
    select
        call_id,
        list_cost as requested_model_cost,
        unpriced_buckets as requested_unpriced_buckets
    from {{ ref('int_call_bucket_scenarios_priced') }}
    where price_scenario = 'requested_model'
),

per_call as (
    select
        calls.call_day as cost_day,
        calls.feature,
        calls.routing_decision,
        -- a routed call without provider tokens (e.g. answered from an app cache) costs 0 either way;
        -- one with tokens but no priced scenario rows is unpriced, never $0
        case
            when calls.total_tokens = 0 then true
            when per_call_scenarios.call_id is null then false
            else calls.is_priced and per_call_scenarios.requested_unpriced_buckets = 0
        end as is_priced,
        coalesce(calls.list_cost, {{ money(0) }}) as served_cost,
        coalesce(per_call_scenarios.requested_model_cost, {{ money(0) }}) as requested_model_cost
    from calls
    left join per_call_scenarios on per_call_scenarios.call_id = calls.call_id
),

final as (
    select
        cost_day,
        feature,
        count(*) as routed_calls,
        count(*) filter (where routing_decision = 'kept') as kept_calls,
        count(*) filter (where routing_decision = 'rerouted') as rerouted_calls,
        {{ ratio("count(*) filter (where routing_decision = 'rerouted')", 'count(*)') }} as rerouted_share,
        count(*) filter (where not is_priced) as unpriced_calls,
        {{ money('coalesce(sum(requested_model_cost) filter (where is_priced), 0)') }} as requested_model_cost,
        {{ money('coalesce(sum(served_cost) filter (where is_priced), 0)') }} as served_cost,
        {{ money('coalesce(sum(requested_model_cost - served_cost) filter (where is_priced), 0)') }} as routing_savings,
        {{ money("coalesce(sum(requested_model_cost) filter (where is_priced and routing_decision = 'rerouted'), 0)") }}
            as rerouted_requested_model_cost,
        {{ money("coalesce(sum(served_cost) filter (where is_priced and routing_decision = 'rerouted'), 0)") }}
            as rerouted_served_cost,
        {{ ratio(
            "sum(requested_model_cost - served_cost) filter (where is_priced)",
            "sum(requested_model_cost) filter (where is_priced)"
        ) }} as savings_rate
    from per_call
    group by cost_day, feature
)

select * from final
