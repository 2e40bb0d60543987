{#- A struct of named fields, from a list of (name, expression) pairs; structs compare field by field,
    so min(struct) picks a row by its first field and breaks ties with the next ones (DuckDB
    struct_pack, Spark named_struct). -#}
{% macro struct_pack(fields) -%}
    {{ return(adapter.dispatch('struct_pack', 'finops')(fields)) }}
{%- endmacro %}

{% macro default__struct_pack(fields) -%}
    struct_pack({% for name, expr in fields %}{{ name }} := {{ expr }}{{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}

{% macro spark__struct_pack(fields) -%}
    named_struct({% for name, expr in fields %}'{{ name }}', {{ expr }}{{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}
