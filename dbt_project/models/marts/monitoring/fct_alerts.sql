{{ config(materialized='table') }}
-- One row per alert, for people and webhooks (the alert sensor POSTs new alert_ids once):
-- - cost anomalies (fct_cost_anomalies): alert_type daily_spend_anomaly | hourly_spend_anomaly |
--   unit_cost_anomaly, severity warning | critical as the anomaly has it;
-- - cap breaches (fct_budget_burn, period_grain 'day', status 'breached'): alert_type cap_breach,
--   critical for a hard cap, warning for a soft one; axis = the scope (tenant_cap | feature_cap);
--   the message says whose spend counted (fct_budget_burn.spend_counted: production unless the
--   budget covers more environments);
-- - quarterly budgets (fct_budget_burn, period_grain 'quarter'): budget_exceeded (critical) once the
--   spend is over the budget, budget_forecast_exceeded (warning) while only the forecast is.
-- alert_id = md5(alert_type | axis | axis_value | period_start as ISO text): deterministic, so a
-- re-run (or a later day's run that moves the actual amount) keeps the id and the alert is not sent
-- twice; it changes when an alert escalates to another type (forecast -> exceeded).
-- Messages show money rounded to cents (display only; actual and expected keep decimal(38,12)).
with

anomalies as (
    select * from {{ ref('fct_cost_anomalies') }}
),

budget_burn as (
    select * from {{ ref('fct_budget_burn') }}
),

anomaly_alerts as (
    select
        anomaly_type || '_anomaly' as alert_type,
        severity,
        case anomaly_type
            when 'daily_spend' then
                'Daily spend of ' || axis || ' ' || axis_value || ' on '
                || {{ format_time('period_start', '%Y-%m-%d') }}
                || ' was $' || cast(round(actual, 2) as string) || ', ' || cast(round(ratio, 2) as string)
                || 'x the trailing 7-day average of $' || cast(round(expected, 2) as string)
            when 'hourly_spend' then
                'Hourly list cost of ' || axis || ' ' || axis_value
                || ' at ' || {{ format_time('period_start', '%Y-%m-%d %H:00') }}
                || ' UTC was $' || cast(round(actual, 2) as string) || ', ' || cast(round(ratio, 2) as string)
                || 'x its expected $' || cast(round(expected, 3) as string)
                || ' (the same hour on the 7 days before; at least the week''s average hour,'
                || ' its average call and the floor)'
            else
                'Cost per call of ' || axis || ' ' || axis_value || ' on '
                || {{ format_time('period_start', '%Y-%m-%d') }}
                || ' was $' || cast(round(actual, 4) as string) || ', ' || cast(round(ratio, 2) as string)
                || 'x the trailing 7-day $' || cast(round(expected, 4) as string)
                || ' per call while calls stayed at ' || cast(round(volume_ratio, 2) as string) || 'x'
        end || ' (' || severity || ').' as message,
        period_start,
        axis,
        axis_value,
        actual,
        expected,
        ratio,
        'fct_cost_anomalies' as source_model,
        anomaly_id as source_id
    from anomalies
    where severity in ('warning', 'critical')
),

cap_alerts as (
    select
        'cap_breach' as alert_type,
        case when is_hard_cap then 'critical' else 'warning' end as severity,
        'Spend of ' || replace(scope, '_cap', '') || ' ' || scope_value || ' on '
        || {{ format_time('period_start', '%Y-%m-%d') }}
        || ' (' || spend_counted || ') was $' || cast(round(spent_usd, 2) as string) || ', over its '
        || case when is_hard_cap then 'hard' else 'soft' end || ' daily cap of $'
        || cast(round(amount_usd, 2) as string)
        || ' (budget ' || budget_id || ').' as message,
        cast(period_start as timestamp) as period_start,
        scope as axis,
        scope_value as axis_value,
        spent_usd as actual,
        amount_usd as expected,
        pct_used as ratio,
        'fct_budget_burn' as source_model,
        budget_id as source_id
    from budget_burn
    where period_grain = 'day' and status = 'breached'
),

budget_alerts as (
    select
        case status when 'exceeded' then 'budget_exceeded' else 'budget_forecast_exceeded' end as alert_type,
        case status when 'exceeded' then 'critical' else 'warning' end as severity,
        'Quarterly budget ' || budget_id || ' (' || scope || ' ' || scope_value || ', $'
        || cast(round(amount_usd, 2) as string) || ', ' || spend_counted || '): '
        || case status
            when 'exceeded' then 'spent $' || cast(round(spent_usd, 2) as string) || ' by '
                || {{ format_time('as_of_day', '%Y-%m-%d') }} || ', over budget'
            else 'spent $' || cast(round(spent_usd, 2) as string) || ' by '
                || {{ format_time('as_of_day', '%Y-%m-%d') }}
                || ', forecast $' || cast(round(forecast_usd, 2) as string) || ' at $'
                || cast(round(burn_rate_usd_per_day, 2) as string) || '/day'
        end || '.' as message,
        cast(period_start as timestamp) as period_start,
        scope as axis,
        scope_value as axis_value,
        case status when 'exceeded' then spent_usd else forecast_usd end as actual,
        amount_usd as expected,
        case status when 'exceeded' then pct_used else forecast_pct end as ratio,
        'fct_budget_burn' as source_model,
        budget_id as source_id
    from budget_burn
    where period_grain = 'quarter' and status in ('exceeded', 'forecast_to_exceed')
),

unioned as (
    select * from anomaly_alerts
    union all
    select * from cap_alerts
    union all
    select * from budget_alerts
),

final as (
    select
        md5(
            alert_type || '|' || axis || '|' || axis_value || '|'
            || {{ format_time('period_start', '%Y-%m-%dT%H:%M:%S') }}
        )
            as alert_id,
        alert_type,
        severity,
        message,
        period_start,
        axis,
        axis_value,
        {{ money('actual') }} as actual,
        {{ money('expected') }} as expected,
        ratio,
        source_model,
        source_id
    from unioned
)

select * from final
