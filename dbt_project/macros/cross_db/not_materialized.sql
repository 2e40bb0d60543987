{#- A CTE that must be inlined into each reader (`with x as not materialized (...)`), so that the
    reader's filter reaches the scan: DuckDB otherwise materializes a CTE read twice. Spark always
    inlines CTEs and has no such keyword. -#}
{% macro not_materialized() -%}
    {{ return(adapter.dispatch('not_materialized', 'finops')()) }}
{%- endmacro %}

{% macro default__not_materialized() -%} not materialized {%- endmacro %}

{% macro spark__not_materialized() -%} {%- endmacro %}
