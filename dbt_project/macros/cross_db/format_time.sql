{#- A date or timestamp as text, with a strftime format; the Spark side translates the few
    directives the project uses into a datetime pattern. -#}
{% macro format_time(expr, format) -%}
    {{ return(adapter.dispatch('format_time', 'finops')(expr, format)) }}
{%- endmacro %}

{% macro default__format_time(expr, format) -%} strftime({{ expr }}, '{{ format }}') {%- endmacro %}

{% macro spark__format_time(expr, format) -%}
    {%- set pattern = format | replace('%Y', 'yyyy') | replace('%m', 'MM') | replace('%d', 'dd')
        | replace('%H', 'HH') | replace('%M', 'mm') | replace('%S', 'ss') | replace('T', "'T'") -%}
    {%- if '%' in pattern -%}
        {{ exceptions.raise_compiler_error("format_time: no Spark pattern for " ~ format) }}
    {%- endif -%}
    date_format({{ expr }}, "{{ pattern }}")
{%- endmacro %}
