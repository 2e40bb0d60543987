{{ config(meta={"dagster": {"ref": {"name": "fct_cost_daily"}}}) }}
-- Accounting identity: per UTC day, the calls' list and attributed costs in fct_llm_calls equal the
-- usage rows of fct_cost_daily exactly, and call counts agree. Checked on the days this run built
-- (the partition window): earlier days were checked when they were built.
with

calls as (
    select call_day as cost_day, count(*) as calls, sum(list_cost) as list_cost, sum(attributed_cost) as attributed_cost
    from {{ ref('fct_llm_calls') }}
    where {{ in_window('call_day') }}
    group by all
),

daily as (
    select cost_day, sum(calls) as calls, sum(list_cost) as list_cost, sum(attributed_cost) as attributed_cost
    from {{ ref('fct_cost_daily') }}
    where cost_kind = 'usage' and {{ in_window('cost_day') }}
    group by all
)

select *  -- both sides of the full outer join ... using -- noqa: RF02
from calls
full outer join daily using (cost_day)
where calls.calls is distinct from daily.calls
    or coalesce(calls.list_cost, 0) <> daily.list_cost
    or calls.attributed_cost <> daily.attributed_cost
