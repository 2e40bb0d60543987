-- Attributed usage cost and calls per UTC day and anomaly axis (provider, feature, tenant, prompt
-- template, model, tenant x feature), from the aggregated daily cube (usage rows only: credits and
-- bill amounts no call explains belong to no axis value). The input of the daily spend and unit
-- cost anomalies.
with

daily as (
    select * from {{ ref('fct_cost_daily') }}
    where cost_kind = 'usage'
),

keyed as (
    select
        cost_day,
        provider,
        feature,
        tenant_id,
        prompt_template,
        model,
        tenant_id || '/' || feature as tenant_feature,
        calls,
        list_cost,
        attributed_cost
    from daily
),

by_axis as (
    {% for axis, column in [('provider', 'provider'), ('feature', 'feature'), ('tenant', 'tenant_id'),
                            ('prompt_template', 'prompt_template'), ('model', 'model'),
                            ('tenant_feature', 'tenant_feature')] %}
    select
        cost_day,
        '{{ axis }}' as axis,
        {{ column }} as axis_value,
        sum(calls) as calls,
        {{ money('sum(list_cost)') }} as list_cost,
        {{ money('sum(attributed_cost)') }} as attributed_cost
    from keyed
    group by all
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        cost_day,
        axis,
        axis_value,
        calls,
        list_cost,
        attributed_cost
    from by_axis
)

select * from final
