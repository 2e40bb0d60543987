{{ config(meta={"dagster": {"ref": {"name": "int_call_bucket_scenarios_priced"}}}) }}
-- Accounting identity: the as_served scenario has exactly one row per call with tokens and token
-- bucket, so no call is priced twice (or dropped) by the price lookup. The lookup joins each call
-- bucket to one long-context band of one price row; that is one row because calls are unique
-- (unique test on stg_raw__calls) and catalog and override rows never overlap
-- (no_overlapping_validity). Counting is cheap where a uniqueness test on ~5 rows per call ran out of
-- memory at 30M calls.
with

calls as (
    select count(*) as calls
    from {{ ref('int_calls_keyed') }}
    where input_uncached_tokens + cache_read_tokens + cache_write_tokens + output_tokens > 0
),

served as (
    select token_bucket, count(*) as bucket_rows
    from {{ ref('int_call_bucket_scenarios_priced') }}
    where price_scenario = 'as_served'
    group by token_bucket
),

expected as (
    select unnest(['input_uncached', 'cache_read', 'cache_write', 'output']) as token_bucket, calls
    from calls
)

select expected.token_bucket, expected.calls, served.bucket_rows
from expected
left join served on served.token_bucket = expected.token_bucket
where coalesce(served.bucket_rows, 0) <> expected.calls
