{#- The value of `value` on the row with the smallest `key` (DuckDB arg_min, Spark min_by). -#}
{% macro arg_min(value, key) -%}
    {{ return(adapter.dispatch('arg_min', 'finops')(value, key)) }}
{%- endmacro %}

{% macro default__arg_min(value, key) -%} arg_min({{ value }}, {{ key }}) {%- endmacro %}

{% macro spark__arg_min(value, key) -%} min_by({{ value }}, {{ key }}) {%- endmacro %}
