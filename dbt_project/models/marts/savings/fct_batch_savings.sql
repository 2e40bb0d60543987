{{ config(**incremental_by_day('cost_day')) }}
-- Batch tier: the discount realised and the traffic that could still move, per UTC day x provider
-- x feature x served model (catalog model id), in list prices. Calls that reached the provider only.
--
-- Realised: for batch-tier calls, batch_savings = the same tokens at the standard-tier price of
-- the served model (scenario standard_tier of int_call_bucket_scenarios_priced, same pricing rule)
-- - their list cost in the batch tier (scenario as_served).
--
-- Candidates (rule, stated once): a standard-tier call is a batch candidate when nobody waits for
-- its answer, i.e. its environment is not production (var batch_candidate_environments, default
-- staging and dev: tests, evaluations, backfills) or its feature is flagged as background work
-- (var batch_candidate_features, default none); and its model has a batch price (otherwise it
-- cannot move). Latency the calls happened to have is not used: it says how fast the answer came,
-- not whether someone needed it fast. potential_batch_savings = the candidates' list cost -
-- the same tokens at the batch-tier price (scenario batch_tier, priced for candidates only;
-- macro is_batch_candidate_call). Priority-tier calls are never
-- candidates. Calls with an unpriced bucket in a scenario they need are counted in unpriced_calls
-- and left out of the money columns. Incremental by UTC day: a run replaces the window's days.
with

calls as (
    -- the as_served scenario per call is fct_llm_calls' list_cost and is_priced (same pricing rule);
    -- calls without provider tokens have no scenario rows and are left out, as in every scenario mart
    select * from {{ ref('fct_llm_calls') }}
    where {{ in_window('call_day') }}
        and total_tokens > 0
),

other_tier_prices as (
    -- the other-tier scenarios exist only for non-standard-tier calls and batch candidates, one row
    -- per call and scenario: the per-call aggregate stays small
    select * from {{ ref('int_call_bucket_scenarios_priced') }}
    where price_scenario in ('standard_tier', 'batch_tier')
),

per_call_scenarios as (
    select
        call_id,
        {% for scenario in ['standard_tier', 'batch_tier'] %}
        count(*) filter (where price_scenario = '{{ scenario }}' and unpriced_buckets > 0) = 0 as {{ scenario }}_priced,
        {{ money("sum(list_cost) filter (where price_scenario = '" ~ scenario ~ "')") }} as {{ scenario }}_cost
        {%- if not loop.last %},{% endif %}
        {% endfor %}
    from other_tier_prices
    group by call_id
),

per_call as (
    select
        calls.call_day as cost_day,
        calls.provider,
        calls.feature,
        calls.model_key as model,
        calls.service_tier,
        calls.is_priced as as_served_priced,
        calls.list_cost as as_served_cost,
        -- a call without rows in a scenario is not priced in it, which counts as priced (as before)
        coalesce(per_call_scenarios.standard_tier_priced, true) as standard_tier_priced,
        per_call_scenarios.standard_tier_cost,
        coalesce(per_call_scenarios.batch_tier_priced, true) as batch_tier_priced,
        per_call_scenarios.batch_tier_cost,
        {{ is_batch_candidate_call('calls.service_tier', 'calls.environment', 'calls.feature') }}
            and coalesce(per_call_scenarios.batch_tier_priced, true)
            as is_batch_candidate
    from calls
    left join per_call_scenarios on per_call_scenarios.call_id = calls.call_id
),

final as (
    select
        cost_day,
        provider,
        feature,
        model,
        count(*) as calls,
        count(*) filter (where service_tier = 'batch') as batch_calls,
        count(*) filter (where service_tier = 'standard') as standard_calls,
        count(*) filter (where not as_served_priced or (service_tier = 'batch' and not standard_tier_priced))
            as unpriced_calls,
        {{ money("coalesce(sum(as_served_cost) filter (
            where service_tier = 'batch' and as_served_priced and standard_tier_priced
        ), 0)") }} as batch_cost,
        {{ money("coalesce(sum(standard_tier_cost) filter (
            where service_tier = 'batch' and as_served_priced and standard_tier_priced
        ), 0)") }} as batch_standard_tier_cost,
        {{ money("coalesce(sum(standard_tier_cost - as_served_cost) filter (
            where service_tier = 'batch' and as_served_priced and standard_tier_priced
        ), 0)") }} as batch_savings,
        {{ money("coalesce(sum(as_served_cost) filter (where service_tier = 'standard' and as_served_priced), 0)") }}
            as standard_cost,
        count(*) filter (where is_batch_candidate and as_served_priced) as batch_candidate_calls,
        {{ money("coalesce(sum(as_served_cost) filter (where is_batch_candidate and as_served_priced), 0)") }}
            as batch_candidate_cost,
        {{ money("coalesce(sum(batch_tier_cost) filter (where is_batch_candidate and as_served_priced), 0)") }}
            as batch_candidate_batch_tier_cost,
        {{ money("coalesce(sum(as_served_cost - batch_tier_cost) filter (
            where is_batch_candidate and as_served_priced
        ), 0)") }} as potential_batch_savings,
        {{ ratio(
            "count(*) filter (where is_batch_candidate and as_served_priced)",
            "count(*) filter (where service_tier = 'standard' and as_served_priced)"
        ) }} as batch_candidate_call_share,
        {{ ratio(
            "sum(as_served_cost) filter (where is_batch_candidate and as_served_priced)",
            "sum(as_served_cost) filter (where service_tier = 'standard' and as_served_priced)"
        ) }} as batch_candidate_cost_share
    from per_call
    group by cost_day, provider, feature, model
)

select * from final
