{#- Whether `value` is one of the parts of `text` split on the one-character `separator`. -#}
{% macro split_contains(text, separator, value) -%}
    {{ return(adapter.dispatch('split_contains', 'finops')(text, separator, value)) }}
{%- endmacro %}

{% macro default__split_contains(text, separator, value) -%}
    list_contains(string_split({{ text }}, '{{ separator }}'), {{ value }})
{%- endmacro %}

{% macro spark__split_contains(text, separator, value) -%}
    array_contains(split({{ text }}, '\\{{ separator }}'), {{ value }})
{%- endmacro %}
