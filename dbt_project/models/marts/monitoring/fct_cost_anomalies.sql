{{ config(materialized='table') }}
-- Cost anomalies: one row per anomaly type x axis value x period that crossed a threshold.
-- Rules, in plain words (thresholds are dbt vars, defaults in brackets):
-- - axes: provider, feature, tenant, prompt_template, model (served), tenant_feature (tenant/feature);
-- - baseline: the 7 calendar days BEFORE the period (the period itself excluded; a day without spend
--   counts as $0), expected = baseline sum / 7. A period is judged only once 7 full days of data
--   precede it (from the 8th day of data on);
-- - daily_spend: attributed usage cost of the UTC day (fct_cost_daily) vs the trailing 7-day daily
--   average. warning when actual >= 1.5 x expected [anomaly_daily_warning_ratio] and expected >= $1.00
--   [anomaly_min_expected_daily_usd]; critical when actual >= 3 x expected [anomaly_daily_critical_ratio]
--   and expected >= $0.10 [anomaly_min_expected_daily_usd_critical]: a 3x jump matters on a small
--   axis too, a 1.5x wobble only on an axis that spends at least $1 a day;
-- - hourly_spend: list cost of the UTC hour (fct_llm_calls via int_cost_hourly, available before the
--   bill) vs its expected spend: the average of the same UTC hour on the 7 days before, but never less
--   than the axis value's average hour over those 7 days, nor than its average call of that week (a
--   quiet hour's near-zero average would make one ordinary call a spike), nor than $0.01
--   [anomaly_min_expected_hourly_usd]: floors in money, not in calls, so a burst of a few expensive
--   calls counts as much as one of many cheap calls. warning when
--   actual >= 4 x expected [anomaly_hourly_warning_ratio], critical when >= 6 x
--   [anomaly_hourly_critical_ratio]; judged when the axis value had spend in the 7 days before (an hour
--   silent all week is judged too: against the week's average hour and the floor);
-- - unit_cost: attributed cost per call of the day vs the trailing 7-day cost per call (baseline cost /
--   baseline calls) while the call volume did not grow: day calls < 1.2 x the trailing daily average
--   [anomaly_unit_cost_max_volume_ratio]. Same ratios and materiality as daily_spend.
-- Money is never divided as a decimal: averages and costs per call are integer pico-dollar divisions
-- (truncated), and thresholds are compared cross-multiplied (actual x 7 >= 1.5 x baseline sum).
with

daily as (
    select * from {{ ref('int_axis_spend_daily') }}
),

hourly as (
    select * from {{ ref('int_cost_hourly') }}
),

daily_first as (
    select min(cost_day) as first_day from daily
),

hourly_first as (
    select min(call_day) as first_day from hourly
),

-- each axis value's list cost and calls of the 7 days before the day (all hours): its average hour
-- and its average call of that week
hourly_week as (
    select
        call_day,
        axis,
        axis_value,
        coalesce(sum(day_cost) over week_window, 0) as week_cost,
        coalesce(sum(day_calls) over week_window, 0) as week_calls
    from (
        select call_day, axis, axis_value, sum(list_cost) as day_cost, sum(calls) as day_calls
        from hourly
        group by all
    ) as day_totals
    window week_window as (
        partition by axis, axis_value order by call_day
        range between interval 7 days preceding and interval 1 days preceding
    )
),

daily_baseline as (
    select
        daily.cost_day,
        daily.axis,
        daily.axis_value,
        daily.calls,
        daily.attributed_cost,
        coalesce(sum(daily.attributed_cost) over baseline_window, 0) as baseline_cost,
        coalesce(sum(daily.calls) over baseline_window, 0) as baseline_calls
    from daily
    cross join daily_first
    window baseline_window as (
        partition by daily.axis, daily.axis_value order by daily.cost_day
        range between interval 7 days preceding and interval 1 days preceding
    )
    qualify daily.cost_day >= daily_first.first_day + 7
),

hourly_baseline as (
    select
        hourly.call_day,
        hourly.hour_start,
        hourly.axis,
        hourly.axis_value,
        hourly.calls,
        hourly.list_cost,
        coalesce(sum(hourly.list_cost) over baseline_window, 0) as baseline_cost,
        coalesce(sum(hourly.calls) over baseline_window, 0) as baseline_calls
    from hourly
    cross join hourly_first
    window baseline_window as (
        partition by hourly.axis, hourly.axis_value, hour(hourly.hour_start) order by hourly.call_day
        range between interval 7 days preceding and interval 1 days preceding
    )
    qualify hourly.call_day >= hourly_first.first_day + 7
),

hourly_expected as (
    select
        hourly_baseline.*,
        hourly_week.week_cost,
        {{ from_pico('greatest(' ~ int_div(to_pico('hourly_baseline.baseline_cost'), '7') ~ ', '
            ~ int_div(to_pico('hourly_week.week_cost'), '168') ~ ', '
            ~ int_div(to_pico('hourly_week.week_cost'), 'hourly_week.week_calls') ~ ', '
            ~ to_pico(var('anomaly_min_expected_hourly_usd')) ~ ')') }} as expected
    from hourly_baseline
    inner join hourly_week
        on hourly_week.call_day = hourly_baseline.call_day
        and hourly_week.axis = hourly_baseline.axis
        and hourly_week.axis_value = hourly_baseline.axis_value
    where hourly_week.week_cost > 0
),

daily_spend as (
    select
        'daily_spend' as anomaly_type,
        axis,
        axis_value,
        'day' as period_grain,
        cast(cost_day as timestamp) as period_start,
        cost_day as period_day,
        attributed_cost as actual,
        {{ from_pico(int_div(to_pico('baseline_cost'), '7')) }} as expected,
        attributed_cost * 7 as ratio_numerator,
        baseline_cost as ratio_denominator,
        {{ anomaly_severity('attributed_cost * 7', 'baseline_cost',
            var('anomaly_daily_critical_ratio'), var('anomaly_daily_warning_ratio'),
            critical_when=daily_materiality('baseline_cost', var('anomaly_min_expected_daily_usd_critical')),
            warning_when=daily_materiality('baseline_cost', var('anomaly_min_expected_daily_usd'))) }} as severity,
        calls as actual_calls,
        {{ ratio('baseline_calls', 7) }} as expected_calls,
        {{ ratio('calls * 7', 'baseline_calls') }} as volume_ratio,
        attributed_cost - {{ from_pico(int_div(to_pico('baseline_cost'), '7')) }} as excess_cost,
        'attributed_cost' as cost_measure
    from daily_baseline
    where baseline_cost > 0
),

unit_cost as (
    select
        'unit_cost' as anomaly_type,
        axis,
        axis_value,
        'day' as period_grain,
        cast(cost_day as timestamp) as period_start,
        cost_day as period_day,
        {{ from_pico(int_div(to_pico('attributed_cost'), 'calls')) }} as actual,
        {{ from_pico(int_div(to_pico('baseline_cost'), 'baseline_calls')) }} as expected,
        attributed_cost * baseline_calls as ratio_numerator,
        baseline_cost * calls as ratio_denominator,
        case
            -- the volume grew: a cost per call moving with it is not a unit-cost anomaly
            when calls * 7 >= cast({{ var('anomaly_unit_cost_max_volume_ratio') }} as decimal(18, 6)) * baseline_calls
                then null
            else {{ anomaly_severity('attributed_cost * baseline_calls', 'baseline_cost * calls',
                var('anomaly_daily_critical_ratio'), var('anomaly_daily_warning_ratio'),
                critical_when=daily_materiality('baseline_cost', var('anomaly_min_expected_daily_usd_critical')),
                warning_when=daily_materiality('baseline_cost', var('anomaly_min_expected_daily_usd'))) }}
        end as severity,
        calls as actual_calls,
        {{ ratio('baseline_calls', 7) }} as expected_calls,
        {{ ratio('calls * 7', 'baseline_calls') }} as volume_ratio,
        -- what the day cost above its calls at the baseline cost per call
        attributed_cost - {{ from_pico(int_div(to_pico('baseline_cost') ~ ' * calls', 'baseline_calls')) }}
            as excess_cost,
        'attributed_cost' as cost_measure
    from daily_baseline
    where baseline_cost > 0 and calls > 0 and baseline_calls > 0
),

hourly_spend as (
    select
        'hourly_spend' as anomaly_type,
        axis,
        axis_value,
        'hour' as period_grain,
        hour_start as period_start,
        call_day as period_day,
        list_cost as actual,
        expected,
        list_cost as ratio_numerator,
        expected as ratio_denominator,
        {{ anomaly_severity('list_cost', 'expected',
            var('anomaly_hourly_critical_ratio'), var('anomaly_hourly_warning_ratio')) }} as severity,
        calls as actual_calls,
        {{ ratio('baseline_calls', 7) }} as expected_calls,
        {{ ratio('calls * 7', 'baseline_calls') }} as volume_ratio,
        list_cost - expected as excess_cost,
        'list_cost' as cost_measure
    from hourly_expected
),

anomalies as (
    select * from daily_spend where severity is not null
    union all
    select * from unit_cost where severity is not null
    union all
    select * from hourly_spend where severity is not null
),

final as (
    select
        md5(
            anomaly_type || '|' || axis || '|' || axis_value || '|'
            || {{ format_time('period_start', '%Y-%m-%dT%H:%M:%S') }}
        )
            as anomaly_id,
        anomaly_type,
        axis,
        axis_value,
        period_grain,
        period_start,
        period_day,
        severity,
        actual,
        expected,
        -- computed after the thresholds: only material baselines reach it
        {{ ratio('ratio_numerator', 'ratio_denominator') }} as ratio,
        excess_cost,
        actual_calls,
        expected_calls,
        volume_ratio,
        cost_measure
    from anomalies
)

select * from final
