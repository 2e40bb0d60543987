{#-
  When a billed usage grain covers a call bucket: same provider, billing account, UTC day and
  service tier; same model (both resolved to the catalog model key) and token bucket unless the
  bill leaves them 'unknown' (a coarser bill
  line then covers every model / bucket of that account-day). Used by the allocation and by the
  unattributed-bill rule, so both agree.
-#}
{% macro bill_grain_covers(grain, bucket) -%}
    {{ grain }}.provider = {{ bucket }}.provider
    and {{ grain }}.billing_account = {{ bucket }}.billing_account
    and {{ grain }}.cost_day = {{ bucket }}.call_day
    and {{ grain }}.service_tier = {{ bucket }}.service_tier
    and ({{ grain }}.model = {{ bucket }}.model_key or {{ grain }}.model = 'unknown')
    and ({{ grain }}.token_bucket = {{ bucket }}.token_bucket or {{ grain }}.token_bucket = 'unknown')
{%- endmacro %}
