{#- A FROM item with one row per timestamp from `start` to `stop` inclusive by `step` (an interval),
    as `alias(column)`; it may refer to the FROM items before it (DuckDB generate_series, Spark a
    lateral explode of sequence). -#}
{% macro time_series(start, stop, step, alias, column) -%}
    {{ return(adapter.dispatch('time_series', 'finops')(start, stop, step, alias, column)) }}
{%- endmacro %}

{% macro default__time_series(start, stop, step, alias, column) -%}
    generate_series(
        {{ start }},
        {{ stop }},
        {{ step }}
    ) as {{ alias }}({{ column }})
{%- endmacro %}

{% macro spark__time_series(start, stop, step, alias, column) -%}
    lateral (select explode(sequence({{ start }}, {{ stop }}, {{ step }})) as {{ column }}) as {{ alias }}
{%- endmacro %}
