{{ config(materialized='table') }}
-- Retire-the-old review: every feature and every prompt template (per feature) ever seen, its recent
-- use against its own history, and whether it is a retirement candidate, why, and what retiring saves.
-- Rules, in plain words (dbt vars, defaults in brackets):
-- - recent window: the 7 UTC days ending on the data's last day (as_of_day) [retirement_recent_days];
--   history window: the 28 days before it [retirement_history_days]; all environments; use = calls
--   (app cache hits included: a user asked); cost = attributed usage cost;
-- - daily use is averaged over the days of the window that have data (any entity), so a gap in the
--   warehouse is not a drop in use;
-- - a candidate has no or declining recent use relative to its own history, never few calls alone:
--     no_recent_use  calls before the recent window, none in it;
--     declining      recent calls per day <= 0.25 [retirement_decline_ratio] x its history calls per
--                    day (compared cross-multiplied: exact);
--   an item with no history (first call in the recent window) is new, not a candidate; an item in
--   steady use is not a candidate however few its calls or however low its rank;
-- - monthly_run_rate_usd = recent cost / recent data days x 30 (integer pico-dollar division,
--   truncated): what the item costs a month at its recent rate, and what retiring it saves
--   (estimated_monthly_saving_usd, 0 for an item that is not a candidate).
with

usage as (
    select * from {{ ref('fct_cost_daily') }}
    where cost_kind = 'usage'
),

windows as (
    select
        max(cost_day) as as_of_day,
        max(cost_day) - {{ var('retirement_recent_days') }} + 1 as recent_start,
        max(cost_day) - {{ var('retirement_recent_days') }} - {{ var('retirement_history_days') }} + 1
            as history_start
    from usage
),

window_days as (
    select
        count(distinct usage.cost_day) filter (where usage.cost_day >= windows.recent_start) as recent_data_days,
        count(distinct usage.cost_day) filter (
            where usage.cost_day >= windows.history_start and usage.cost_day < windows.recent_start
        ) as history_data_days
    from usage
    cross join windows
),

entities as (
    select
        'feature' as entity_type,
        feature,
        'all' as prompt_template,
        cost_day,
        calls,
        attributed_cost
    from usage
    union all
    select
        'prompt_template' as entity_type,
        feature,
        prompt_template,
        cost_day,
        calls,
        attributed_cost
    from usage
),

per_entity as (
    select
        entities.entity_type,
        entities.feature,
        entities.prompt_template,
        windows.as_of_day,
        windows.recent_start,
        windows.history_start,
        coalesce(sum(entities.calls) filter (where entities.cost_day >= windows.recent_start), 0) as calls_recent,
        count(distinct entities.cost_day) filter (
            where entities.cost_day >= windows.recent_start and entities.calls > 0
        ) as active_days_recent,
        {{ money('coalesce(sum(entities.attributed_cost) filter (
            where entities.cost_day >= windows.recent_start
        ), 0)') }} as cost_recent,
        coalesce(sum(entities.calls) filter (
            where entities.cost_day >= windows.history_start and entities.cost_day < windows.recent_start
        ), 0) as calls_history,
        count(distinct entities.cost_day) filter (
            where entities.cost_day >= windows.history_start and entities.cost_day < windows.recent_start
                and entities.calls > 0
        ) as active_days_history,
        {{ money('coalesce(sum(entities.attributed_cost) filter (
            where entities.cost_day >= windows.history_start and entities.cost_day < windows.recent_start
        ), 0)') }} as cost_history,
        coalesce(sum(entities.calls) filter (where entities.cost_day < windows.recent_start), 0) as calls_before_recent,
        sum(entities.calls) as calls_all_time,
        {{ money('sum(entities.attributed_cost)') }} as cost_all_time,
        min(entities.cost_day) filter (where entities.calls > 0) as first_call_day,
        max(entities.cost_day) filter (where entities.calls > 0) as last_call_day
    from entities
    cross join windows
    group by all
),

judged as (
    select
        per_entity.*,
        window_days.recent_data_days,
        window_days.history_data_days,
        case
            when per_entity.calls_recent = 0 and per_entity.calls_before_recent > 0 then 'no_recent_use'
            when per_entity.calls_history > 0 and window_days.recent_data_days > 0
                and per_entity.calls_recent * window_days.history_data_days
                    <= cast({{ var('retirement_decline_ratio') }} as decimal(18, 6))
                        * per_entity.calls_history * window_days.recent_data_days
                then 'declining'
        end as retirement_reason
    from per_entity
    cross join window_days
),

final as (
    select
        entity_type,
        feature,
        prompt_template,
        case when entity_type = 'feature' then feature else feature || '/' || prompt_template end as entity,
        as_of_day,
        recent_start,
        history_start,
        recent_data_days,
        history_data_days,
        calls_recent,
        active_days_recent,
        cost_recent,
        calls_history,
        active_days_history,
        cost_history,
        {{ ratio('calls_recent', 'recent_data_days') }} as avg_daily_calls_recent,
        {{ ratio('calls_history', 'history_data_days') }} as avg_daily_calls_history,
        {{ ratio('calls_recent * history_data_days', 'calls_history * recent_data_days') }} as usage_trend_ratio,
        calls_all_time,
        cost_all_time,
        first_call_day,
        last_call_day,
        case when last_call_day is not null then as_of_day - last_call_day end as days_since_last_call,
        case when recent_data_days > 0
            then {{ from_pico(int_div(to_pico('cost_recent') ~ ' * 30', 'recent_data_days')) }}
            else {{ money(0) }}
        end as monthly_run_rate_usd,
        retirement_reason is not null as is_retirement_candidate,
        retirement_reason,
        case when retirement_reason is not null and recent_data_days > 0
            then {{ from_pico(int_div(to_pico('cost_recent') ~ ' * 30', 'recent_data_days')) }}
            else {{ money(0) }}
        end as estimated_monthly_saving_usd
    from judged
)

select * from final
