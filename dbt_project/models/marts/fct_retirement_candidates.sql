{{ config(materialized='table') }}
-- Retire-the-old review: every feature and every prompt template (per feature) ever seen, with its
-- usage over the last 30 days of data, ranked within its kind.
-- Rules, in plain words:
-- - window: the 30 UTC days ending on the data's last day (as_of_day), all environments;
-- - usage = calls (app cache hits included: a user asked); cost = attributed usage cost;
-- - usage_percent_rank = percent_rank() of calls_30d among the entities of the same entity_type
--   ((rank - 1) / (n - 1); ties share the lowest rank; an entity without calls in the window ranks 0);
-- - is_retirement_candidate when usage_percent_rank <= 0.05 [var retirement_bottom_pct]: the bottom
--   5% of usage. With 10 features that is the least used one (the next ranks at 1/9).
with

usage as (
    select * from {{ ref('fct_cost_daily') }}
    where cost_kind = 'usage'
),

as_of as (
    select max(cost_day) as as_of_day, max(cost_day) - 29 as window_start from usage
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
        as_of.window_start,
        as_of.as_of_day,
        coalesce(sum(entities.calls) filter (where entities.cost_day >= as_of.window_start), 0) as calls_30d,
        {{ money('coalesce(sum(entities.attributed_cost) filter (where entities.cost_day >= as_of.window_start), 0)') }}
            as cost_30d,
        sum(entities.calls) as calls_all_time,
        {{ money('sum(entities.attributed_cost)') }} as cost_all_time,
        min(entities.cost_day) filter (where entities.calls > 0) as first_call_day,
        max(entities.cost_day) filter (where entities.calls > 0) as last_call_day
    from entities
    cross join as_of
    group by all
),

ranked as (
    select
        *,
        percent_rank() over (partition by entity_type order by calls_30d) as usage_percent_rank,
        count(*) over (partition by entity_type) as entities_of_type
    from per_entity
),

final as (
    select
        entity_type,
        feature,
        prompt_template,
        case when entity_type = 'feature' then feature else feature || '/' || prompt_template end as entity,
        window_start,
        as_of_day,
        calls_30d,
        cost_30d,
        case when calls_30d > 0 then {{ from_pico(to_pico('cost_30d') ~ ' // calls_30d') }} end as cost_per_call_30d,
        calls_all_time,
        cost_all_time,
        first_call_day,
        last_call_day,
        entities_of_type,
        cast(usage_percent_rank as decimal(18,8)) as usage_percent_rank,
        usage_percent_rank <= {{ var('retirement_bottom_pct') }} as is_retirement_candidate
    from ranked
)

select * from final
