{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_window('call_day') }}",
        on_schema_change='fail'
    )
}}
-- One row per UTC day x environment x tenant x end user x feature x provider with calls: distinct
-- active users over a quarter (fct_quarterly_kpis) and over trailing windows by axis
-- (fct_unit_cost_daily) without rescanning call-level history. Incremental by UTC day.
with

calls as (
    select * from {{ ref('fct_llm_calls') }}
    where {{ in_window('call_day') }}
),

final as (
    select
        call_day,
        environment,
        tenant_id,
        user_id,
        feature,
        provider,
        count(*) as calls,
        {{ money('sum(attributed_cost)') }} as attributed_cost
    from calls
    group by all
)

select * from final
