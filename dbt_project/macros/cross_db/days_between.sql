{#- Whole days from date `start` to date `end` (end - start), an integer: DuckDB subtracts dates to a
    number, Spark to an interval. -#}
{% macro days_between(start, end) -%}
    {{ return(adapter.dispatch('days_between', 'finops')(start, end)) }}
{%- endmacro %}

{% macro default__days_between(start, end) -%} ({{ end }} - {{ start }}) {%- endmacro %}

{% macro spark__days_between(start, end) -%} cast(datediff({{ end }}, {{ start }}) as bigint) {%- endmacro %}
