{#- The sign of a number as an integer (-1, 0, 1): Spark's sign() returns a double, which would
    turn the exact decimal it multiplies into a double. -#}
{% macro int_sign(expr) -%}
    {{ return(adapter.dispatch('int_sign', 'finops')(expr)) }}
{%- endmacro %}

{% macro default__int_sign(expr) -%} sign({{ expr }}) {%- endmacro %}

{% macro spark__int_sign(expr) -%} cast(sign({{ expr }}) as int) {%- endmacro %}
