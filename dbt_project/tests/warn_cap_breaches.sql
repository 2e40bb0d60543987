{{ config(severity='warn', meta={"dagster": {"ref": {"name": "fct_budget_burn"}}}) }}
-- Alert as a (warning) asset check: hard caps and budgets breached in the run's window.
select budget_id, scope, scope_value, period_start, amount_usd, spent_usd, status
from {{ ref('fct_budget_burn') }}
where is_breach and {{ in_window('cast(period_start as date)') }}
