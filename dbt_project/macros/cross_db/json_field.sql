{#- The text of a top-level field of a JSON object (null when absent); `key` is a SQL expression
    (DuckDB json_extract_string, Spark get_json_object). -#}
{% macro json_field(json, key) -%}
    {{ return(adapter.dispatch('json_field', 'finops')(json, key)) }}
{%- endmacro %}

{% macro default__json_field(json, key) -%}
    json_extract_string({{ json }}, '$."' || {{ key }} || '"')
{%- endmacro %}

{% macro spark__json_field(json, key) -%}
    get_json_object({{ json }}, '$[''' || {{ key }} || ''']')
{%- endmacro %}
