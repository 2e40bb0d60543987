{#-
  The allocation grains, finest first (int_bill_allocation_grains states the rule): a bill amount is
  allocated at its own grain (level 0) when a priced logged call bucket shares it, else at the first
  coarser grain both sides share; level 5 means no priced call of its provider-day (unattributed).
-#}
{% macro allocated_at(level) -%}
    case {{ level }}
        when 0 then 'bill_line'
        when 1 then 'without_tier'
        when 2 then 'without_token_bucket'
        when 3 then 'without_model'
        when 4 then 'provider_day'
        else 'unattributed'
    end
{%- endmacro %}

{#-
  Which call buckets an allocation pool covers at its level: same provider and UTC day always; same
  billing account below level 4; same model (or a bill model 'unknown') below level 3; same token
  bucket (or 'unknown') below level 2; same service tier at level 0. Used by int_bill_grain_matches.
-#}
{% macro pool_covers(pool, bucket) -%}
    {{ pool }}.provider = {{ bucket }}.provider
    and {{ pool }}.cost_day = {{ bucket }}.call_day
    and ({{ pool }}.allocation_level >= 4 or {{ pool }}.billing_account = {{ bucket }}.billing_account)
    and ({{ pool }}.allocation_level >= 3 or {{ pool }}.model in ('unknown', {{ bucket }}.model_key))
    and ({{ pool }}.allocation_level >= 2 or {{ pool }}.token_bucket in ('unknown', {{ bucket }}.token_bucket))
    and ({{ pool }}.allocation_level >= 1 or {{ pool }}.service_tier = {{ bucket }}.service_tier)
{%- endmacro %}
