{{ config(**incremental_by_day('call_day')) }}
-- List cost and calls per UTC hour and anomaly axis (provider, feature, tenant, prompt template,
-- model, tenant x feature), the input of the hourly spend anomalies. List cost, not attributed
-- cost: it exists as soon as the call is logged, before the vendor's bill. Incremental by UTC day
-- from fct_llm_calls, so the hourly anomaly mart never rescans call-level history.
with

calls as (
    select * from {{ ref('fct_llm_calls') }}
    where {{ in_window('call_day') }}
),

keyed as (
    select
        call_day,
        date_trunc('hour', started_at) as hour_start,
        provider,
        feature,
        tenant_id,
        prompt_template,
        model_key,
        tenant_id || '/' || feature as tenant_feature,
        is_priced,
        list_cost
    from calls
),

by_axis as (
    {% for axis, column in [('provider', 'provider'), ('feature', 'feature'), ('tenant', 'tenant_id'),
                            ('prompt_template', 'prompt_template'), ('model', 'model_key'),
                            ('tenant_feature', 'tenant_feature')] %}
    select
        call_day,
        hour_start,
        '{{ axis }}' as axis,
        {{ column }} as axis_value,
        count(*) as calls,
        count(*) filter (where not is_priced) as unpriced_calls,
        {{ money('coalesce(sum(list_cost), 0)') }} as list_cost
    from keyed
    group by all
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        call_day,
        hour_start,
        axis,
        axis_value,
        calls,
        unpriced_calls,
        list_cost
    from by_axis
)

select * from final
