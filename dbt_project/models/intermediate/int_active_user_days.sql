{{ config(**incremental_by_day('call_day')) }}
-- One row per UTC day x environment x tenant x end user x feature x provider with calls: distinct
-- active users over a quarter (fct_quarterly_kpis) and over trailing windows by axis
-- (fct_unit_cost_daily) without rescanning call-level history. Incremental by UTC day.
-- Its first build reads every day fct_llm_calls holds, not only the run's window: a warehouse built
-- before this model existed gets its whole history on its next run, so the users counted over
-- trailing windows are never short (fct_llm_calls keeps every built day).
with

calls as (
    select * from {{ ref('fct_llm_calls') }}
    {% if is_incremental() %}
    where {{ in_window('call_day') }}
    {% endif %}
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
