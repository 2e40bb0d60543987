{#- One row per value of a list of string literals, as the column the caller names with `as`
    (DuckDB unnest of a list literal, Spark explode of an array). -#}
{% macro unnest_values(values) -%}
    {{ return(adapter.dispatch('unnest_values', 'finops')(values)) }}
{%- endmacro %}

{% macro default__unnest_values(values) -%} unnest({{ values }}) {%- endmacro %}

{% macro spark__unnest_values(values) -%}
    explode(array({% for v in values %}'{{ v }}'{{ ', ' if not loop.last }}{% endfor %}))
{%- endmacro %}
