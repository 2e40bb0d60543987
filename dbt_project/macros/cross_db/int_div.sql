{#- Integer division of whole numbers (pico-dollars, counts), truncated toward zero, exact at any size
    a decimal(38,0) holds. DuckDB: hugeint `//`. Spark has no 128-bit integer and its `div` returns a
    bigint that wraps silently above 9.2e18 (9.2 million dollars in pico-dollars), so Spark divides
    approximately in double and corrects the quotient exactly with decimal(38,0) arithmetic: q0 is
    within a few units of the true quotient, (a - q0*b) div b is small (fits a bigint), and a last
    step moves the remainder to the sign of the dividend, as truncation toward zero leaves it. -#}
{% macro int_div(numerator, denominator) -%}
    {{ return(adapter.dispatch('int_div', 'finops')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__int_div(numerator, denominator) -%}
    {{ numerator }} // {{ denominator }}
{%- endmacro %}

{% macro spark__int_div(numerator, denominator) -%}
    {%- set a = 'cast(' ~ numerator ~ ' as decimal(38,0))' -%}
    {%- set b = 'cast(' ~ denominator ~ ' as decimal(38,0))' -%}
    {%- set q0 = 'cast(cast(' ~ a ~ ' as double) / cast(' ~ b ~ ' as double) as decimal(38,0))' -%}
    {%- set r0 = '(' ~ a ~ ' - ' ~ q0 ~ ' * ' ~ b ~ ')' -%}
    {%- set q1 = '(' ~ q0 ~ ' + cast(' ~ r0 ~ ' div ' ~ b ~ ' as decimal(38,0)))' -%}
    {%- set r1 = '(' ~ r0 ~ ' % ' ~ b ~ ')' -%}
    cast({{ q1 }} + case
        when {{ r1 }} > 0 and {{ a }} < 0 then case when {{ b }} > 0 then 1 else -1 end
        when {{ r1 }} < 0 and {{ a }} > 0 then case when {{ b }} > 0 then -1 else 1 end
        else 0
    end as decimal(38,0))
{%- endmacro %}
