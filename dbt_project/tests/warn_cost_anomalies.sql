{{ config(severity='warn', meta={"dagster": {"ref": {"name": "fct_cost_anomalies"}}}) }}
-- Alert as a (warning) asset check: cost anomalies in the run's window. Each row is also an alert
-- in fct_alerts, which the alert_webhook sensor posts once.
select anomaly_type, axis, axis_value, period_start, severity, actual, expected
from {{ ref('fct_cost_anomalies') }}
where {{ in_window('cast(period_start as date)') }}
