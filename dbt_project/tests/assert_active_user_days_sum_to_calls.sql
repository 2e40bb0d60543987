{{ config(meta={"dagster": {"ref": {"name": "int_active_user_days"}}}) }}
-- Accounting identity: per UTC day, int_active_user_days holds every call of fct_llm_calls once (its
-- call counts and attributed cost sum to the calls'), so the users it counts are the calls' users.
-- Checked on the days this run built (the partition window).
with

calls as (
    select call_day, count(*) as calls, sum(attributed_cost) as attributed_cost
    from {{ ref('fct_llm_calls') }}
    where {{ in_window('call_day') }}
    group by all
),

user_days as (
    select call_day, sum(calls) as calls, sum(attributed_cost) as attributed_cost
    from {{ ref('int_active_user_days') }}
    where {{ in_window('call_day') }}
    group by all
)

select *  -- both sides of the full outer join ... using -- noqa: RF02
from calls
full outer join user_days using (call_day)
where calls.calls is distinct from user_days.calls
    or calls.attributed_cost is distinct from user_days.attributed_cost
