{#- The inference margin rule, written once: revenue less inference COGS (the LLM calls' attributed
    production cost), not a gross margin. Used by fct_tenant_margin, fct_feature_margin and
    fct_quarterly_kpis. -#}

{#- revenue - cogs, as money -#}
{% macro inference_margin_usd(revenue, cogs) -%}
    {{ money(revenue ~ ' - ' ~ cogs) }}
{%- endmacro %}

{#- (revenue - cogs) / revenue, as a ratio (null without revenue) -#}
{% macro inference_margin_pct(revenue, cogs) -%}
    {{ ratio(revenue ~ ' - ' ~ cogs, revenue) }}
{%- endmacro %}

{#- the target (var target_inference_margin_pct) and whether the margin is below it (false without revenue) -#}
{% macro target_inference_margin_pct() -%}
    cast({{ var('target_inference_margin_pct') }} as decimal(18,8))
{%- endmacro %}

{% macro is_below_margin_target(revenue, cogs) -%}
    coalesce(({{ revenue }} - {{ cogs }}) < {{ target_inference_margin_pct() }} * {{ revenue }}, false)
{%- endmacro %}
