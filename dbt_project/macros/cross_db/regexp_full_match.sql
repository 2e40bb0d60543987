{#- Whether a whole string matches a regular expression (null for null). DuckDB regexp_full_match;
    Spark rlike matches anywhere, so the pattern is anchored: `^` and a final `(?!.)` in dotall mode
    (Java's `$` would also match before a trailing newline). `pattern` is the regex text, without quotes. -#}
{% macro regexp_full_match(value, pattern) -%}
    {{ return(adapter.dispatch('regexp_full_match', 'finops')(value, pattern)) }}
{%- endmacro %}

{% macro default__regexp_full_match(value, pattern) -%}
    regexp_full_match({{ value }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__regexp_full_match(value, pattern) -%}
    {{ value }} rlike '(?s)^(?:{{ pattern }})(?!.)'
{%- endmacro %}
