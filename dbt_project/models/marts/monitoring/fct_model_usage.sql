{{ config(materialized='table') }}
-- Served-model distribution per feature x calendar month, unapproved model usage, and the cost
-- impact of a change in a feature's model mix. One row per month x feature x provider x served
-- model used that month or the month before (a model the feature dropped has a row with 0 calls).
-- Rules, in plain words:
-- - calls are calls that reached the provider (app cache hits are answered by no model);
--   cost is attributed usage cost, all environments;
-- - a call is unapproved when its provider x model_key is not in the approved_models seed, or its
--   UTC day is before the model's approved_from;
-- - model mix impact: cost_at_prev_mix_usd is what the feature's calls of this month would have
--   cost with last month's model shares at this month's cost per call of each model (last month's
--   when the model served no call this month):
--     cost_at_prev_mix(k) = calls(m) x share(k, m-1) x cost per call(k)
--     model_mix_impact_usd(k) = cost(k, m) - cost_at_prev_mix(k)
--   summed over a feature's models: actual cost - cost at the previous mix (null for the first
--   month of data and for a feature without provider calls the month before). Integer pico-dollar
--   divisions, truncated: money is never divided as a decimal.
with

usage as (
    select * from {{ ref('fct_cost_daily') }}
    where cost_kind = 'usage'
),

approved as (
    select * from {{ ref('approved_models') }}
),

daily as (
    select
        usage.cost_day,
        cast(date_trunc('month', usage.cost_day) as date) as month_start,
        usage.feature,
        usage.provider,
        usage.model,
        usage.calls - usage.app_cache_hits as provider_calls,
        usage.attributed_cost,
        approved.model_key is not null and usage.cost_day >= approved.approved_from as is_approved_call
    from usage
    left join approved
        on approved.provider = usage.provider and approved.model_key = usage.model
    where usage.calls - usage.app_cache_hits > 0 or usage.attributed_cost <> 0
),

monthly as (
    select
        month_start,
        feature,
        provider,
        model,
        sum(provider_calls) as calls,
        {{ money('sum(attributed_cost)') }} as cost,
        coalesce(sum(provider_calls) filter (where not is_approved_call), 0) as unapproved_calls,
        {{ money('coalesce(sum(attributed_cost) filter (where not is_approved_call), 0)') }} as unapproved_cost
    from daily
    group by all
),

months as (
    select distinct month_start from monthly
),

grid as (
    -- the models a feature used this month or the month before
    select distinct months.month_start, monthly.feature, monthly.provider, monthly.model
    from months
    inner join monthly
        on monthly.month_start = months.month_start
        or monthly.month_start = cast(months.month_start - interval 1 month as date)
),

joined as (
    select
        grid.month_start,
        grid.feature,
        grid.provider,
        grid.model,
        coalesce(cur.calls, 0) as calls,
        coalesce(cur.cost, {{ money(0) }}) as cost,
        coalesce(cur.unapproved_calls, 0) as unapproved_calls,
        coalesce(cur.unapproved_cost, {{ money(0) }}) as unapproved_cost,
        coalesce(prev.calls, 0) as prev_calls,
        coalesce(prev.cost, {{ money(0) }}) as prev_cost,
        cast(grid.month_start - interval 1 month as date) in (select months.month_start from months) as has_prev_month
    from grid
    left join monthly as cur
        on cur.month_start = grid.month_start and cur.feature = grid.feature
        and cur.provider = grid.provider and cur.model = grid.model
    left join monthly as prev
        on prev.month_start = cast(grid.month_start - interval 1 month as date) and prev.feature = grid.feature
        and prev.provider = grid.provider and prev.model = grid.model
),

with_totals as (
    select
        *,
        sum(calls) over feature_month as feature_calls,
        sum(cost) over feature_month as feature_cost,
        sum(prev_calls) over feature_month as feature_prev_calls
    from joined
    window feature_month as (partition by month_start, feature)
),

mix as (
    select
        *,
        case
            when not has_prev_month or feature_prev_calls = 0 then null
            when calls > 0
                then {{ int_div(to_pico('cost') ~ ' * feature_calls * prev_calls', '(feature_prev_calls * calls)') }}
            else {{ int_div(to_pico('prev_cost') ~ ' * feature_calls', 'feature_prev_calls') }}
        end as cost_at_prev_mix_pico
    from with_totals
),

final as (
    select
        month_start,
        feature,
        provider,
        model,
        calls,
        cost as cost_usd,
        {{ ratio('calls', 'feature_calls') }} as call_share,
        {{ ratio('cost', 'feature_cost') }} as cost_share,
        unapproved_calls,
        unapproved_cost as unapproved_cost_usd,
        unapproved_calls = 0 as is_approved,
        prev_calls,
        prev_cost as prev_cost_usd,
        case when has_prev_month then {{ ratio('prev_calls', 'feature_prev_calls') }} end as prev_call_share,
        case when cost_at_prev_mix_pico is not null then {{ from_pico('cost_at_prev_mix_pico') }} end
            as cost_at_prev_mix_usd,
        case when cost_at_prev_mix_pico is not null
            then {{ from_pico(to_pico('cost') ~ ' - cost_at_prev_mix_pico') }}
        end as model_mix_impact_usd
    from mix
)

select * from final
