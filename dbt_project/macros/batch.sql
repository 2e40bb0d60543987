{#- The batch-candidate rule (stated in fct_batch_savings): a standard-tier call nobody waits for,
    by environment (var batch_candidate_environments) or feature (var batch_candidate_features).
    int_call_bucket_scenarios_priced prices the batch_tier scenario for these calls only. -#}
{% macro is_batch_candidate_call(service_tier, environment, feature) -%}
    {%- set environments = var('batch_candidate_environments') -%}
    {%- set features = var('batch_candidate_features') -%}
    ({{ service_tier }} = 'standard'
        and (
            {% if environments %}{{ environment }} in ('{{ environments | join("', '") }}'){% else %}false{% endif %}
            or {% if features %}{{ feature }} in ('{{ features | join("', '") }}'){% else %}false{% endif %}
        ))
{%- endmacro %}
