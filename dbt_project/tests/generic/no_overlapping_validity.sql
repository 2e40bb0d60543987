{#- Fails for every pair of rows with the same key whose [valid_from, valid_to) periods overlap
    (two rows with the same valid_from included): a price that overlaps another would price a call
    twice. -#}
{% test no_overlapping_validity(model, key_columns, valid_from='valid_from', valid_to='valid_to') %}
with numbered as (
    select *, row_number() over (order by {{ valid_from }}) as _row_number from {{ model }}
)
select {% for c in key_columns %}a.{{ c }}, {% endfor %}a.{{ valid_from }}, b.{{ valid_from }} as overlapping_from
from numbered as a
inner join numbered as b
    on {% for c in key_columns %}a.{{ c }} = b.{{ c }} and {% endfor %}a._row_number <> b._row_number
    and a.{{ valid_from }} <= b.{{ valid_from }}
    and (a.{{ valid_to }} is null or a.{{ valid_to }} > b.{{ valid_from }})
{% endtest %}
