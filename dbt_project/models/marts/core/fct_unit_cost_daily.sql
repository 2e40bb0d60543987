{{ config(**incremental_by_day('cost_day', delete_hook="{{ delete_trailing_refresh_window('cost_day', 90) }}")) }}
-- Unit costs per UTC day x environment x axis ('total', 'feature', 'tenant', 'provider') x axis
-- value: cost per call, per active user and per 1k output tokens, on the day and over the trailing
-- 7, 30 and 90 days (the day and the 6 / 29 / 89 days before it).
--
-- Cost = attributed cost of calls (the bill allocated onto calls, plus list-cost estimates where
-- the bill has not arrived): the usage rows of fct_cost_daily. Bill amounts that no call explains
-- (unattributed usage, credits, corrections) are not part of any unit and are left out; see
-- fct_cost_daily and fct_reconciliation. environment = each logged environment, plus 'all'.
-- Active users = distinct tenant x user with a call in the row's day or window; calls without an
-- end user (user_id 'unknown', e.g. scheduled jobs) count as calls but not as users, and their cost
-- stays in the numerator.
-- A trailing value is a ratio of the window's sums (e.g. trailing_7d_cost_per_call = cost of the 7
-- days / calls of the 7 days), never an average of daily ratios. Money per unit uses
-- money_per_unit: exact decimal, rounded half away from zero to the pico-dollar, null when the unit
-- count is 0.
-- The provider axis is the 90-day spend trend by provider (cost and trailing_90d_cost).
--
-- Incremental by UTC day: sums and users come from fct_cost_daily / int_active_user_days, which hold
-- every built day. A run rebuilds the window's days and the 89 days after them (their trailing
-- values include the window), so re-running an old day refreshes the windows that contain it; the
-- daily run for the newest day rebuilds only that day. A row exists for every day with calls and
-- every axis value with calls in the trailing 90 days (calls = 0 on a quiet day).
with

target_days as (
    select distinct cost_day
    from {{ ref('fct_cost_daily') }}
    where {{ in_trailing_refresh_window('cost_day', 90) }}
),

bounds as (
    select min(cost_day) - 89 as first_day, max(cost_day) as last_day from target_days
),

usage_rows as (
    select cube.*
    from {{ ref('fct_cost_daily') }} as cube
    cross join bounds
    where cube.cost_kind = 'usage'
        and cube.cost_day between bounds.first_day and bounds.last_day
),

-- users per day from int_active_user_days (one row per day x user x axis values, so no distinct here),
-- not from the calls: a daily run reads ~90 days of it, which at 1M calls a day is ~3M rows instead of
-- 90M calls
user_rows as (
    select
        user_days.call_day as cost_day,
        user_days.environment,
        user_days.feature,
        user_days.tenant_id,
        user_days.provider,
        user_days.tenant_id || '/' || user_days.user_id as user_key
    from {{ ref('int_active_user_days') }} as user_days
    cross join bounds
    where user_days.call_day between bounds.first_day and bounds.last_day
        and user_days.user_id <> 'unknown'
),

-- one row per day x environment (each, and 'all') x axis x axis value ------------------------

usage_by_environment as (
    select cost_day, environment, feature, tenant_id, provider, calls, output_tokens, attributed_cost
    from usage_rows
    union all
    select cost_day, 'all' as environment, feature, tenant_id, provider, calls, output_tokens, attributed_cost
    from usage_rows
),

usage_by_axis as (
    {% for axis, column in [
        ('total', "'total'"), ('feature', 'feature'), ('tenant', 'tenant_id'), ('provider', 'provider')
    ] %}
    select
        cost_day, environment, '{{ axis }}' as axis, {{ column }} as axis_value,
        cast(sum(calls) as bigint) as calls,
        cast(sum(output_tokens) as bigint) as output_tokens,
        {{ money('sum(attributed_cost)') }} as attributed_cost
    from usage_by_environment
    group by all
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

users_by_environment as (
    select cost_day, environment, feature, tenant_id, provider, user_key from user_rows
    union all
    select cost_day, 'all' as environment, feature, tenant_id, provider, user_key from user_rows
),

users_by_axis as (
    {% for axis, column in [
        ('total', "'total'"), ('feature', 'feature'), ('tenant', 'tenant_id'), ('provider', 'provider')
    ] %}
    select distinct cost_day, environment, '{{ axis }}' as axis, {{ column }} as axis_value, user_key
    from users_by_environment
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

-- the day and its trailing windows -----------------------------------------------------------

usage_windows as (
    select
        target_days.cost_day,
        usage_by_axis.environment,
        usage_by_axis.axis,
        usage_by_axis.axis_value,
        {% for days in [1, 7, 30, 90] %}
        {%- set prefix = '' if days == 1 else 'trailing_' ~ days ~ 'd_' %}
        cast(coalesce(sum(usage_by_axis.calls) filter (
            where usage_by_axis.cost_day > target_days.cost_day - {{ days }}
        ), 0) as bigint) as {{ prefix }}calls,
        cast(coalesce(sum(usage_by_axis.output_tokens) filter (
            where usage_by_axis.cost_day > target_days.cost_day - {{ days }}
        ), 0) as bigint) as {{ prefix }}output_tokens,
        {{ money('coalesce(sum(usage_by_axis.attributed_cost) filter (
            where usage_by_axis.cost_day > target_days.cost_day - ' ~ days ~ '
        ), 0)') }} as {{ prefix }}attributed_cost
        {%- if not loop.last %},{% endif %}
        {% endfor %}
    from target_days
    inner join usage_by_axis
        on usage_by_axis.cost_day <= target_days.cost_day
        and usage_by_axis.cost_day > target_days.cost_day - 90
    group by all
),

user_windows as (
    select
        target_days.cost_day,
        users_by_axis.environment,
        users_by_axis.axis,
        users_by_axis.axis_value,
        {% for days in [1, 7, 30, 90] %}
        {%- set prefix = '' if days == 1 else 'trailing_' ~ days ~ 'd_' %}
        count(distinct users_by_axis.user_key) filter (where users_by_axis.cost_day > target_days.cost_day - {{ days }})
            as {{ prefix }}active_users
        {%- if not loop.last %},{% endif %}
        {% endfor %}
    from target_days
    inner join users_by_axis
        on users_by_axis.cost_day <= target_days.cost_day
        and users_by_axis.cost_day > target_days.cost_day - 90
    group by all
),

windows as (
    -- sqlfluff reads the Jinja-built user_windows.<prefix>active_users as unqualified -- noqa: disable=RF02
    select
        usage_windows.*,
        {% for days in [1, 7, 30, 90] %}
        {%- set prefix = '' if days == 1 else 'trailing_' ~ days ~ 'd_' %}
        coalesce(user_windows.{{ prefix }}active_users, 0) as {{ prefix }}active_users
        {%- if not loop.last %},{% endif %}
        {% endfor %}
    from usage_windows
    left join user_windows
        on user_windows.cost_day = usage_windows.cost_day
        and user_windows.environment = usage_windows.environment
        and user_windows.axis = usage_windows.axis
        and user_windows.axis_value = usage_windows.axis_value
),
-- noqa: enable=RF02

final as (
    select
        cost_day,
        environment,
        axis,
        axis_value,
        {% for days in [1, 7, 30, 90] %}
        {%- set prefix = '' if days == 1 else 'trailing_' ~ days ~ 'd_' %}
        {{ prefix }}calls,
        {{ prefix }}active_users,
        {{ prefix }}output_tokens,
        {{ prefix }}attributed_cost,
        {{ money_per_unit(prefix ~ 'attributed_cost', prefix ~ 'calls') }} as {{ prefix }}cost_per_call,
        {{ money_per_unit(prefix ~ 'attributed_cost', prefix ~ 'active_users') }} as {{ prefix }}cost_per_active_user,
        {{ money_per_unit(prefix ~ 'attributed_cost', prefix ~ 'output_tokens', 1000) }}
            as {{ prefix }}cost_per_1k_output_tokens
        {%- if not loop.last %},{% endif %}
        {% endfor %}
    from windows
)

select * from final
