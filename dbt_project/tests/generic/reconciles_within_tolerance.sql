{#- Fails for every row where a bill exists and the gap is beyond tolerance (see is_within_tolerance). -#}
{% test reconciles_within_tolerance(model, billed_column, computed_column, tolerance=none, materiality=none) %}
select *
from {{ model }}
where {{ billed_column }} is not null
    and not ({{ is_within_tolerance(billed_column, computed_column, tolerance, materiality) }})
{% endtest %}
