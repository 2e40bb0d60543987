{#- A JSON object text from a list of (key, expression) pairs, keys in the given order, a null value
    written as null (DuckDB json_object, Spark to_json of a named_struct: both compact, no spaces;
    Spark would drop a null field without ignoreNullFields=false). -#}
{% macro json_object(pairs) -%}
    {{ return(adapter.dispatch('json_object', 'finops')(pairs)) }}
{%- endmacro %}

{% macro default__json_object(pairs) -%}
    json_object(
        {%- for key, expr in pairs %}
        '{{ key }}', {{ expr }}{{ ',' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{% macro spark__json_object(pairs) -%}
    to_json(named_struct(
        {%- for key, expr in pairs %}
        '{{ key }}', {{ expr }}{{ ',' if not loop.last }}
        {%- endfor %}
    ), map('ignoreNullFields', 'false'))
{%- endmacro %}
