{#- The not-null rule of a model's columns as one test: one scan of the model and one dbt node, in
    place of one `not_null` test (and one scan) per column. Fails with a row per column that holds
    nulls: the column's name and how many rows are null. Its column list is in the model's yml, beside
    the column docs. -#}
{% test not_null_columns(model, columns) %}
with null_counts as (
    select
    {%- for column in columns %}
        sum(case when {{ column }} is null then 1 else 0 end) as nulls_{{ loop.index }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
)

{% for column in columns -%}
select '{{ column }}' as column_name, nulls_{{ loop.index }} as null_rows
from null_counts
where nulls_{{ loop.index }} > 0
{{ "union all" if not loop.last }}
{% endfor %}
{% endtest %}
