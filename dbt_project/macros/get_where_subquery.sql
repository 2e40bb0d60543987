{#- dbt's test `where` filter, rendered when the test runs rather than only when dbt parses the
    project: a filter on the run's window is written `{% raw %}{{ in_window('call_day') }}{% endraw %}`
    (inside a raw block, so that parsing keeps it as it is) and gets the run's days. Otherwise the same
    as dbt's default: the tested relation filtered in a subquery. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ render(where) ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
