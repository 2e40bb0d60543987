{#- The type of integer pico-dollars: DuckDB's 128-bit hugeint; Spark's decimal(38,0) (no 128-bit
    integer), 38 digits either way, i.e. up to 1e26 dollars. -#}
{% macro pico_type() -%}
    {{ return(adapter.dispatch('pico_type', 'finops')()) }}
{%- endmacro %}

{% macro default__pico_type() -%} hugeint {%- endmacro %}

{% macro spark__pico_type() -%} decimal(38,0) {%- endmacro %}
