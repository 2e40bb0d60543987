{#- The columns together identify a row: returns each combination that occurs more than once.
    Grouping on the columns themselves (no string concatenation) keeps it cheap on big tables. -#}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
