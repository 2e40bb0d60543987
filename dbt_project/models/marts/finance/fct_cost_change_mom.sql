{{ config(materialized='table') }}
-- Month-over-month change of attributed usage cost per provider x served model, decomposed into a
-- volume, a price and a mix effect that sum to the change exactly.
-- Formula (m = month, m-1 = previous month; Q = tokens, C = attributed cost; per component c =
-- service tier x token bucket, p_c = C_c / Q_c its unit price; P = C / Q the model's blended price):
--   change  = C(m) - C(m-1)
--   volume  = (Q(m) - Q(m-1)) x P(m-1)                change in tokens at the old blended unit price
--   price   = sum_c (p_c(m) - p_c(m-1)) x Q_c(m)      change in each component's unit price at the new
--                                                    volume (components used in both months only)
--   mix     = change - volume - price                 the remainder: the shift between cheaper and
--                                                    dearer components (e.g. cache reads vs uncached
--                                                    input, output share, batch tier) at old prices
-- A model new in month m (no tokens in m-1) is all volume; a model gone in m is -C(m-1), all volume.
-- Money is never divided as a decimal: the terms are integer pico-dollar divisions truncated toward
-- zero, and mix takes the rounding remainder, so volume + price + mix = change to the pico-dollar.
-- A month appears when the previous calendar month has data (the first month of data has no base).
with

buckets as (
    select * from {{ ref('int_cost_daily_buckets') }}
),

monthly as (
    select
        cast(date_trunc('month', cost_day) as date) as month_start,
        provider,
        model,
        service_tier,
        token_bucket,
        sum(tokens) as tokens,
        {{ money('sum(attributed_cost)') }} as cost
    from buckets
    group by all
),

model_days as (
    select
        cast(date_trunc('month', cost_day) as date) as month_start,
        provider,
        model,
        count(distinct cost_day) as days_with_data
    from buckets
    group by all
),

months_with_data as (
    select distinct month_start from monthly
),

comparable_months as (
    select
        month_start,
        cast(month_start - interval 1 month as date) as prev_month_start
    from months_with_data
    where cast(month_start - interval 1 month as date) in (select earlier.month_start from months_with_data as earlier)
),

components as (
    select distinct
        comparable_months.month_start,
        comparable_months.prev_month_start,
        monthly.provider,
        monthly.model,
        monthly.service_tier,
        monthly.token_bucket
    from comparable_months
    inner join monthly
        on monthly.month_start in (comparable_months.month_start, comparable_months.prev_month_start)
),

component_values as (
    select
        components.month_start,
        components.prev_month_start,
        components.provider,
        components.model,
        components.service_tier,
        components.token_bucket,
        coalesce(cur.tokens, 0) as tokens,
        coalesce(prev.tokens, 0) as prev_tokens,
        coalesce(cur.cost, 0) as cost,
        coalesce(prev.cost, 0) as prev_cost
    from components
    left join monthly as cur
        on cur.month_start = components.month_start
        and cur.provider = components.provider and cur.model = components.model
        and cur.service_tier = components.service_tier and cur.token_bucket = components.token_bucket
    left join monthly as prev
        on prev.month_start = components.prev_month_start
        and prev.provider = components.provider and prev.model = components.model
        and prev.service_tier = components.service_tier and prev.token_bucket = components.token_bucket
),

component_price as (
    select
        *,
        case
            when prev_tokens > 0 and tokens > 0
                then {{ to_pico('cost') }} - {{ int_div(to_pico('prev_cost') ~ ' * tokens', 'prev_tokens') }}
            else 0
        end as price_pico
    from component_values
),

per_model as (
    select
        month_start,
        prev_month_start,
        provider,
        model,
        sum(tokens) as tokens,
        sum(prev_tokens) as prev_tokens,
        {{ money('sum(cost)') }} as cost,
        {{ money('sum(prev_cost)') }} as prev_cost,
        sum(price_pico) as price_pico
    from component_price
    group by all
),

effects as (
    select
        *,
        {{ to_pico('cost') }} - {{ to_pico('prev_cost') }} as change_pico,
        case
            when prev_tokens > 0 then {{ int_div(to_pico('prev_cost') ~ ' * (tokens - prev_tokens)', 'prev_tokens') }}
            else {{ to_pico('cost') }} - {{ to_pico('prev_cost') }}
        end as volume_pico
    from per_model
),

final as (
    select
        effects.month_start,
        effects.prev_month_start,
        effects.provider,
        effects.model,
        coalesce(cur_days.days_with_data, 0) as days_with_data,
        coalesce(prev_days.days_with_data, 0) as prev_days_with_data,
        effects.prev_tokens,
        effects.tokens,
        effects.prev_cost,
        effects.cost,
        {{ from_pico('effects.change_pico') }} as cost_change,
        {{ from_pico('effects.volume_pico') }} as volume_effect,
        {{ from_pico('effects.price_pico') }} as price_effect,
        {{ from_pico('effects.change_pico - effects.volume_pico - effects.price_pico') }} as mix_effect,
        case when effects.prev_tokens > 0
            then {{ from_pico(int_div(to_pico('effects.prev_cost') ~ ' * 1000000', 'effects.prev_tokens')) }}
        end as prev_cost_per_mtok,
        case when effects.tokens > 0
            then {{ from_pico(int_div(to_pico('effects.cost') ~ ' * 1000000', 'effects.tokens')) }}
        end as cost_per_mtok
    from effects
    left join model_days as cur_days
        on cur_days.month_start = effects.month_start
        and cur_days.provider = effects.provider and cur_days.model = effects.model
    left join model_days as prev_days
        on prev_days.month_start = effects.prev_month_start
        and prev_days.provider = effects.provider and prev_days.model = effects.model
)

select * from final
