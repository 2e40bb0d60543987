{#- Anomaly severity, written once for every anomaly type of fct_cost_anomalies: critical when actual
    >= critical_ratio x expected and the critical materiality condition holds, else warning when
    actual >= warning_ratio x expected and the warning condition holds, else null. Callers pass
    cross-multiplied terms (e.g. actual x 7 against a 7-day baseline sum) so that nothing is divided. -#}
{% macro anomaly_severity(actual, expected, critical_ratio, warning_ratio, critical_when='true', warning_when='true') -%}
    case
        when {{ actual }} >= cast({{ critical_ratio }} as decimal(18,6)) * {{ expected }}
            and {{ critical_when }}
            then 'critical'
        when {{ actual }} >= cast({{ warning_ratio }} as decimal(18,6)) * {{ expected }}
            and {{ warning_when }}
            then 'warning'
    end
{%- endmacro %}

{#- a 7-day baseline sum is material when its daily average reaches floor_usd -#}
{% macro daily_materiality(baseline_sum, floor_usd) -%}
    {{ baseline_sum }} >= 7 * cast({{ floor_usd }} as decimal(18,6))
{%- endmacro %}
