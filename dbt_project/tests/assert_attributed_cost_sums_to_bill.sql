{{ config(meta={"dagster": {"ref": {"name": "fct_cost_daily"}}}) }}
-- The money identity: for every provider x UTC day that has been built, the bill's total (usage,
-- credits, corrections: every line) equals the attributed billed cost in fct_cost_daily exactly (calls'
-- shares + unattributed + credit rows), and once a provider-day has billed usage no call of it carries
-- an estimate (an estimate and a bill amount are never both counted). Returns the days that break it.
with

built_days as (
    select distinct cost_day from {{ ref('fct_cost_daily') }}
),

bill as (
    select
        provider, charge_day as cost_day,
        sum(billed_cost) as billed_total,
        sum(billed_cost) filter (where is_usage) as billed_usage
    from {{ ref('stg_raw__bill_lines') }}
    where not is_usage_report and charge_day in (select built_days.cost_day from built_days)
    group by all
),

attributed as (
    select
        provider, cost_day,
        sum(attributed_billed_cost) as attributed_total,
        sum(attributed_estimated_cost) as estimated_total
    from {{ ref('fct_cost_daily') }}
    group by all
)

select *  -- both sides of the full outer join ... using -- noqa: RF02
from bill
full outer join attributed using (provider, cost_day)
where coalesce(bill.billed_total, 0) <> coalesce(attributed.attributed_total, 0)
    or (bill.billed_usage is not null and coalesce(attributed.estimated_total, 0) <> 0)
