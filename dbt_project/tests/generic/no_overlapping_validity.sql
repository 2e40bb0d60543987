{#- Fails for every pair of rows with the same key whose [valid_from, valid_to) periods overlap:
    a price that overlaps another would price a call twice. -#}
{% test no_overlapping_validity(model, key_columns, valid_from='valid_from', valid_to='valid_to') %}
select {% for c in key_columns %}a.{{ c }}, {% endfor %}a.{{ valid_from }}, b.{{ valid_from }} as overlapping_from
from {{ model }} as a
inner join {{ model }} as b
    on {% for c in key_columns %}a.{{ c }} = b.{{ c }} and {% endfor %}a.{{ valid_from }} < b.{{ valid_from }}
    and (a.{{ valid_to }} is null or a.{{ valid_to }} > b.{{ valid_from }})
{% endtest %}
