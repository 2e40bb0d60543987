{{ config(meta={"dagster": {"ref": {"name": "fct_cost_daily"}}}) }}
-- Accounting identity: for every provider x billing account x UTC day that has been built, the
-- bill's total (usage, credits, corrections: every line) equals the attributed billed cost in
-- fct_cost_daily exactly (calls' shares + unattributed + credit rows). Returns the days that differ.
with

built_days as (
    select distinct cost_day from {{ ref('fct_cost_daily') }}
),

bill as (
    select provider, billing_account, charge_day as cost_day, sum(billed_cost) as billed_total
    from {{ ref('stg_raw__bill_lines') }}
    where charge_day in (select cost_day from built_days)
    group by all
),

attributed as (
    select provider, billing_account, cost_day, sum(attributed_billed_cost) as attributed_total
    from {{ ref('fct_cost_daily') }}
    group by all
    having sum(attributed_billed_cost) <> 0
)

select *
from bill
full outer join attributed using (provider, billing_account, cost_day)
where coalesce(bill.billed_total, 0) <> coalesce(attributed.attributed_total, 0)
