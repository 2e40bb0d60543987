{{ config(materialized='table') }}
-- Board / leadership KPIs per calendar quarter (a quarter the data covers only partly is shown with
-- is_complete_quarter = false and revenue for the months that have data).
--   total_spend_usd        = every attributed amount of fct_cost_daily in the quarter: usage, bill
--                            usage no call explains, credits and adjustments (ties to the invoices)
--   usage_cost_usd         = attributed usage cost of logged calls; = inference_cogs_usd + rnd_inference_usd
--   unallocated_bill_usd   = total_spend_usd - usage_cost_usd (unattributed usage, credits, ...)
--   Board unit costs are production COGS over production units; R&D (staging/dev) is shown beside
--   them, never in them:
--   active_features        = features with a production call
--   cost_per_feature_usd   = inference_cogs_usd / active_features
--   active_users           = distinct tenant x user with a production call (scheduled jobs log no user)
--   cost_per_active_user_usd = inference_cogs_usd / active_users
--   app_cache_hit_rate     = app cache hits / app cache lookups (app_hit + app_miss calls)
--   rerouted_calls, reroute_rate = calls the router sent to a cheaper model / calls through the router
--                            (kept + rerouted); the dollar savings of routing need the requested model's
--                            price and live in the routing savings mart, not here
--   retired_features       = features with calls before the last 30 days of the quarter (of its data)
--                            and none in them
--   inference-margin bridge    = revenue_usd (tenants' monthly revenue) - inference_cogs_usd (production
--                            attributed cost) = inference_margin_usd; rnd_inference_usd (staging/dev) is
--                            shown apart, never in COGS; cogs change and margin change vs the previous quarter.
-- Money divisions are integer pico-dollar divisions, truncated.
with

daily as (
    select * from {{ ref('fct_cost_daily') }}
),

user_days as (
    select * from {{ ref('int_active_user_days') }}
),

routing_cache as (
    select * from {{ ref('int_routing_cache_daily') }}
),

tenant_margin as (
    select * from {{ ref('fct_tenant_margin') }}
),

spend as (
    select
        cast(date_trunc('quarter', cost_day) as date) as quarter_start,
        count(distinct cost_day) as days_with_data,
        min(cost_day) as first_day,
        max(cost_day) as last_day,
        {{ money('sum(attributed_cost)') }} as total_spend_usd,
        {{ money("coalesce(sum(attributed_cost) filter (where cost_kind = 'usage'), 0)") }} as usage_cost_usd,
        {{ money("coalesce(sum(list_cost) filter (where cost_kind = 'usage'), 0)") }} as usage_list_cost_usd,
        coalesce(sum(calls), 0) as calls,
        count(distinct feature) filter (where cost_kind = 'usage' and calls > 0 and environment = 'prod')
            as active_features
    from daily
    group by all
),

users as (
    select
        cast(date_trunc('quarter', call_day) as date) as quarter_start,
        count(distinct tenant_id || '|' || user_id) as active_users
    from user_days
    where environment = 'prod' and user_id <> 'unknown'
    group by all
),

router_and_cache as (
    select
        cast(date_trunc('quarter', call_day) as date) as quarter_start,
        coalesce(sum(calls) filter (where cache_outcome = 'app_hit'), 0) as app_cache_hits,
        coalesce(sum(calls) filter (where cache_outcome in ('app_hit', 'app_miss')), 0) as app_cache_lookups,
        coalesce(sum(calls) filter (where routing_decision = 'rerouted'), 0) as rerouted_calls,
        coalesce(sum(calls) filter (where routing_decision in ('kept', 'rerouted')), 0) as routed_calls,
        {{ money("coalesce(sum(attributed_cost) filter (where routing_decision = 'rerouted'), 0)") }}
            as rerouted_cost_usd
    from routing_cache
    group by all
),

margin as (
    select
        cast(date_trunc('quarter', month_start) as date) as quarter_start,
        {{ money('sum(revenue_usd)') }} as revenue_usd,
        {{ money('sum(cogs_usd)') }} as inference_cogs_usd,
        {{ money('sum(rnd_usd)') }} as rnd_inference_usd
    from tenant_margin
    group by all
),

feature_days as (
    select cost_day, feature
    from daily
    where cost_kind = 'usage' and calls > 0
    group by all
),

feature_status as (
    select
        spend.quarter_start,
        feature_days.feature,
        bool_or(feature_days.cost_day < spend.last_day - 29) as had_calls_before,
        bool_or(feature_days.cost_day >= spend.last_day - 29) as had_calls_in_last_30_days
    from spend
    inner join feature_days on feature_days.cost_day <= spend.last_day
    group by all
),

retired as (
    select
        quarter_start,
        count(*) filter (where had_calls_before and not had_calls_in_last_30_days) as retired_features
    from feature_status
    group by all
),

joined as (
    select
        spend.*,
        coalesce(users.active_users, 0) as active_users,
        coalesce(router_and_cache.app_cache_hits, 0) as app_cache_hits,
        coalesce(router_and_cache.app_cache_lookups, 0) as app_cache_lookups,
        coalesce(router_and_cache.rerouted_calls, 0) as rerouted_calls,
        coalesce(router_and_cache.routed_calls, 0) as routed_calls,
        coalesce(router_and_cache.rerouted_cost_usd, {{ money(0) }}) as rerouted_cost_usd,
        coalesce(retired.retired_features, 0) as retired_features,
        coalesce(margin.revenue_usd, {{ money(0) }}) as revenue_usd,
        coalesce(margin.inference_cogs_usd, {{ money(0) }}) as inference_cogs_usd,
        coalesce(margin.rnd_inference_usd, {{ money(0) }}) as rnd_inference_usd
    from spend
    left join users on users.quarter_start = spend.quarter_start
    left join router_and_cache on router_and_cache.quarter_start = spend.quarter_start
    left join retired on retired.quarter_start = spend.quarter_start
    left join margin on margin.quarter_start = spend.quarter_start
),

with_prev as (
    select
        *,
        lag(inference_cogs_usd) over (order by quarter_start) as prev_inference_cogs_usd,
        lag(revenue_usd) over (order by quarter_start) as prev_revenue_usd,
        lag(quarter_start) over (order by quarter_start) as prev_quarter_start
    from joined
),

final as (
    select
        quarter_start,
        cast(quarter_start + interval 3 month as date) as quarter_end,
        first_day,
        last_day,
        days_with_data,
        days_with_data = {{ dbt.datediff('quarter_start', 'cast(quarter_start + interval 3 month as date)', 'day') }}
            as is_complete_quarter,
        total_spend_usd,
        usage_cost_usd,
        {{ money('total_spend_usd - usage_cost_usd') }} as unallocated_bill_usd,
        usage_list_cost_usd,
        calls,
        active_features,
        case
            when active_features > 0 then {{ from_pico(int_div(to_pico('inference_cogs_usd'), 'active_features')) }}
        end
            as cost_per_feature_usd,
        active_users,
        case when active_users > 0 then {{ from_pico(int_div(to_pico('inference_cogs_usd'), 'active_users')) }} end
            as cost_per_active_user_usd,
        app_cache_hits,
        app_cache_lookups,
        {{ ratio('app_cache_hits', 'app_cache_lookups') }} as app_cache_hit_rate,
        routed_calls,
        rerouted_calls,
        {{ ratio('rerouted_calls', 'routed_calls') }} as reroute_rate,
        rerouted_cost_usd,
        retired_features,
        revenue_usd,
        inference_cogs_usd,
        {{ inference_margin_usd('revenue_usd', 'inference_cogs_usd') }} as inference_margin_usd,
        {{ inference_margin_pct('revenue_usd', 'inference_cogs_usd') }} as inference_margin_pct,
        rnd_inference_usd,
        prev_quarter_start,
        prev_inference_cogs_usd,
        case when prev_quarter_start is not null then {{ money('inference_cogs_usd - prev_inference_cogs_usd') }} end
            as cogs_change_usd,
        case when prev_quarter_start is not null
            then {{ inference_margin_pct('revenue_usd', 'inference_cogs_usd') }}
                - {{ inference_margin_pct('prev_revenue_usd', 'prev_inference_cogs_usd') }}
        end as inference_margin_pct_change
    from with_prev
)

select * from final
