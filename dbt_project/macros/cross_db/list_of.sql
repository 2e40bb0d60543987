{#- A list (array) of the comma-separated SQL expressions written in a call block:
    `{% call list_of() %} a, b {% endcall %}` (DuckDB [a, b], Spark array(a, b)). -#}
{% macro list_of() -%}
    {{ return(adapter.dispatch('list_of', 'finops')(caller())) }}
{%- endmacro %}

{% macro default__list_of(items) -%} [{{ items }}] {%- endmacro %}

{% macro spark__list_of(items) -%} array({{ items }}) {%- endmacro %}
