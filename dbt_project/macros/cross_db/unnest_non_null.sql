{#- One row per non-null element of a list column, as the column the caller names with `as`
    (DuckDB unnest of list_filter, Spark explode of filter). -#}
{% macro unnest_non_null(list) -%}
    {{ return(adapter.dispatch('unnest_non_null', 'finops')(list)) }}
{%- endmacro %}

{% macro default__unnest_non_null(list) -%}
    unnest(list_filter({{ list }}, lambda element: element is not null))
{%- endmacro %}

{% macro spark__unnest_non_null(list) -%}
    explode(filter({{ list }}, element -> element is not null))
{%- endmacro %}
