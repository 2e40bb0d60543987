{{ config(materialized='table') }}
-- Budget burn and cap breaches, from the budgets seed. Spend = attributed usage cost
-- (fct_cost_daily, cost_kind = 'usage') of the budget's scope (a feature, a team: the features
-- feature_owners maps to it, or a tenant) in the environments the budget covers: `environments` is
-- 'prod' (the default when empty: a customer's cap must not fire on the company's own testing),
-- 'all', or environment names joined by '|' (e.g. 'prod|staging'); spend_counted says it in words.
-- The data's last day (as_of_day) is "today": the marts are deterministic for a given warehouse.
-- Quarterly budgets (scope feature | team): one row per budget (period_grain = 'quarter').
--   spent_usd           = spend from quarter_start through counted_through (as_of_day, or the
--                         quarter's last day once the quarter is over)
--   burn_rate_usd_per_day = spend of the 7 days ending on counted_through / 7 (the window may reach
--                         back before quarter_start when the quarter is younger than 7 days)
--   days_remaining      = days after counted_through until the quarter ends
--   forecast_usd        = spent_usd + burn_rate_usd_per_day x days_remaining
--   days_until_exhausted = whole days of burn left: floor((amount - spent) / burn); 0 when spent
--                         >= amount; null when nothing burns
--   status              = exceeded (spent > amount) | forecast_to_exceed (forecast > amount) |
--                         on_track | not_started (quarter after as_of_day)
-- Daily caps (scope tenant_cap | feature_cap): amount_usd is a cap per UTC day; one row per cap x
--   day of the quarter with data (period_grain = 'day'); is_breach when the day's spend > cap,
--   status breached | within_cap.
-- Divisions of money (burn, days until exhausted) are integer pico-dollar divisions, truncated.
with

budgets as (
    select
        budget_id,
        scope,
        scope_value,
        quarter_start,
        amount_usd,
        is_hard_cap,
        note,
        coalesce(nullif(trim(environments), ''), 'prod') as environments
    from {{ ref('budgets') }}
),

owners as (
    select * from {{ ref('feature_owners') }}
),

usage as (
    select * from {{ ref('fct_cost_daily') }}
    where cost_kind = 'usage'
),

data_days as (
    select min(cost_day) as first_day, max(cost_day) as as_of_day from usage
),

feature_days as (
    select cost_day, environment, feature, {{ money('sum(attributed_cost)') }} as cost
    from usage
    group by all
),

-- spend per day x environment of every scope a budget can name
scope_env_days as (
    select cost_day, environment, 'feature' as scope_kind, feature as scope_value, cost from feature_days
    union all
    select feature_days.cost_day, feature_days.environment, 'team' as scope_kind, owners.team as scope_value,
        {{ money('sum(feature_days.cost)') }} as cost
    from feature_days
    inner join owners on owners.feature = feature_days.feature
    group by all
    union all
    select cost_day, environment, 'tenant' as scope_kind, tenant_id as scope_value,
        {{ money('sum(attributed_cost)') }} as cost
    from usage
    group by all
),

budget_scopes as (
    select
        budgets.*,
        case budgets.environments
            when 'prod' then 'production spend'
            when 'all' then 'spend in all environments'
            else 'spend in ' || replace(budgets.environments, '|', ', ')
        end as spend_counted,
        case budgets.scope when 'tenant_cap' then 'tenant' when 'feature_cap' then 'feature' else budgets.scope end
            as scope_kind,
        budgets.scope in ('tenant_cap', 'feature_cap') as is_daily_cap,
        cast(budgets.quarter_start + interval 3 month as date) as quarter_end,
        data_days.first_day,
        data_days.as_of_day,
        least(data_days.as_of_day, cast(budgets.quarter_start + interval 3 month as date) - 1) as counted_through
    from budgets
    cross join data_days
),

-- each budget's spend per day: its scope, in the environments it covers
budget_days as (
    select
        budget_scopes.budget_id,
        scope_env_days.cost_day,
        {{ money('sum(scope_env_days.cost)') }} as cost
    from budget_scopes
    inner join scope_env_days
        on scope_env_days.scope_kind = budget_scopes.scope_kind
        and scope_env_days.scope_value = budget_scopes.scope_value
        and (budget_scopes.environments = 'all'
            or {{ split_contains('budget_scopes.environments', '|', 'scope_env_days.environment') }})
    group by all
),

quarterly as (
    select * from budget_scopes where not is_daily_cap
),

quarterly_spend as (
    select
        quarterly.budget_id,
        {{ money("coalesce(sum(budget_days.cost) filter (where budget_days.cost_day >= quarterly.quarter_start), 0)") }}
            as spent,
        {{ money("coalesce(sum(budget_days.cost) filter (
            where budget_days.cost_day > quarterly.counted_through - 7
        ), 0)") }} as last_7_days
    from quarterly
    left join budget_days
        on budget_days.budget_id = quarterly.budget_id
        and budget_days.cost_day <= quarterly.counted_through
        and budget_days.cost_day > least(quarterly.quarter_start, quarterly.counted_through - 7) - 1
    group by quarterly.budget_id
),

quarterly_burn as (
    select
        quarterly.*,
        quarterly.quarter_start > quarterly.as_of_day as not_started,
        quarterly_spend.spent,
        {{ from_pico(int_div(to_pico('quarterly_spend.last_7_days'), '7')) }} as burn_rate,
        greatest({{ days_between('quarterly.counted_through', 'quarterly.quarter_end') }} - 1, 0) as days_remaining,
        greatest({{ days_between('quarterly.quarter_start', 'quarterly.counted_through') }} + 1, 0) as days_elapsed
    from quarterly
    inner join quarterly_spend on quarterly_spend.budget_id = quarterly.budget_id
),

quarterly_rows as (
    select
        budget_id,
        scope,
        scope_value,
        'quarter' as period_grain,
        quarter_start as period_start,
        quarter_end as period_end,
        as_of_day,
        amount_usd,
        is_hard_cap,
        environments,
        spend_counted,
        case when not_started then {{ money(0) }} else spent end as spent_usd,
        case when not_started then null else burn_rate end as burn_rate_usd_per_day,
        case when not_started then 0 else days_elapsed end as days_elapsed,
        case when not_started then {{ days_between('quarter_start', 'quarter_end') }} else days_remaining end
            as days_remaining,
        case when not_started then null else {{ money('spent + burn_rate * days_remaining') }} end as forecast_usd,
        case
            when not_started then null
            when spent >= amount_usd then 0
            when burn_rate > 0 then cast({{ int_div(to_pico('amount_usd - spent'), to_pico('burn_rate')) }} as bigint)
        end as days_until_exhausted,
        case
            when not_started then 'not_started'
            when spent > amount_usd then 'exceeded'
            when spent + burn_rate * days_remaining > amount_usd then 'forecast_to_exceed'
            else 'on_track'
        end as status
    from quarterly_burn
),

caps as (
    select * from budget_scopes where is_daily_cap
),

cap_days as (
    select
        caps.*,
        cast(series.day_ts as date) as cap_day
    from caps,
        {{ time_series(
            'cast(greatest(caps.quarter_start, caps.first_day) as timestamp)',
            'cast(caps.counted_through as timestamp)',
            'interval 1 day', 'series', 'day_ts') }}
),

cap_rows as (
    select
        cap_days.budget_id,
        cap_days.scope,
        cap_days.scope_value,
        'day' as period_grain,
        cap_days.cap_day as period_start,
        cap_days.cap_day + 1 as period_end,
        cap_days.as_of_day,
        cap_days.amount_usd,
        cap_days.is_hard_cap,
        cap_days.environments,
        cap_days.spend_counted,
        coalesce(budget_days.cost, {{ money(0) }}) as spent_usd,
        cast(null as decimal(38, 12)) as burn_rate_usd_per_day,
        cast(null as bigint) as days_elapsed,
        cast(null as bigint) as days_remaining,
        cast(null as decimal(38, 12)) as forecast_usd,
        cast(null as bigint) as days_until_exhausted,
        case when coalesce(budget_days.cost, 0) > cap_days.amount_usd then 'breached' else 'within_cap' end as status
    from cap_days
    left join budget_days
        on budget_days.budget_id = cap_days.budget_id
        and budget_days.cost_day = cap_days.cap_day
),

unioned as (
    select * from quarterly_rows
    union all
    select * from cap_rows
),

final as (
    select
        budget_id,
        scope,
        scope_value,
        period_grain,
        period_start,
        period_end,
        as_of_day,
        {{ money('amount_usd') }} as amount_usd,
        is_hard_cap,
        environments,
        spend_counted,
        spent_usd,
        {{ money('amount_usd - spent_usd') }} as remaining_usd,
        {{ ratio('spent_usd', 'amount_usd') }} as pct_used,
        burn_rate_usd_per_day,
        days_elapsed,
        days_remaining,
        forecast_usd,
        {{ ratio('forecast_usd', 'amount_usd') }} as forecast_pct,
        days_until_exhausted,
        case when days_until_exhausted is not null and status <> 'exceeded'
            then cast(as_of_day + cast(days_until_exhausted + 1 as integer) as date)
        end as projected_exhaustion_day,
        status in ('breached', 'exceeded') as is_breach,
        status
    from unioned
)

select * from final
