{#- Returns every reconciliation period whose status is out_of_tolerance (beyond tolerance, past the
    grace for late calls, and not acknowledged). -#}
{% test no_period_out_of_tolerance(model) %}
select * from {{ model }} where reconciliation_status = 'out_of_tolerance'
{% endtest %}
