{{ config(meta={"dagster": {"ref": {"name": "int_call_bucket_scenarios_priced"}}}) }}
-- Accounting identity: the as_served scenario has exactly one row per call with tokens, carrying all
-- four token buckets, so no call bucket is priced twice (or dropped) by the price lookup. Each bucket
-- joins one long-context band of one price row; that is one row because calls are unique (unique
-- test on stg_raw__calls) and catalog and override rows never overlap (no_overlapping_validity).
-- Counting is cheap where a uniqueness test on the call id ran out of memory at 30M calls.
with

calls as (
    select
        count(*) as calls,
        sum(input_uncached_tokens) as input_uncached_tokens,
        sum(cache_read_tokens) as cache_read_tokens,
        sum(cache_write_tokens) as cache_write_tokens,
        sum(output_tokens) as output_tokens
    from {{ ref('int_calls_keyed') }}
    where input_uncached_tokens + cache_read_tokens + cache_write_tokens + output_tokens > 0
),

served as (
    select
        count(*) as calls,
        sum(input_uncached_tokens) as input_uncached_tokens,
        sum(cache_read_tokens) as cache_read_tokens,
        sum(cache_write_tokens) as cache_write_tokens,
        sum(output_tokens) as output_tokens
    from {{ ref('int_call_bucket_scenarios_priced') }}
    where price_scenario = 'as_served'
)

select calls.*, served.calls as served_rows
from calls, served
where calls.calls <> served.calls
    or calls.input_uncached_tokens is distinct from served.input_uncached_tokens
    or calls.cache_read_tokens is distinct from served.cache_read_tokens
    or calls.cache_write_tokens is distinct from served.cache_write_tokens
    or calls.output_tokens is distinct from served.output_tokens
