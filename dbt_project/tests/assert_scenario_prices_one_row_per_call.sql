{{ config(meta={"dagster": {"ref": {"name": "int_call_bucket_scenarios_priced"}}}) }}
-- Accounting identity: the as_served scenario has exactly one row per call with tokens, carrying all
-- four token buckets, so no call bucket is priced twice (or dropped) by the price lookup. Each bucket
-- joins one long-context band of one price row; that is one row because calls are unique (unique
-- test on stg_raw__calls) and catalog and override rows never overlap (no_overlapping_validity).
-- Counting is cheap where a uniqueness test on the call id ran out of memory at 30M calls.
{%- set buckets = token_buckets() %}
{%- set totals -%}
    count(*) as calls{% for bucket in buckets %}, sum({{ bucket }}_tokens) as {{ bucket }}_tokens{% endfor %}
{%- endset %}
with

calls as (
    select {{ totals }}
    from {{ ref('int_calls_keyed') }}
    where input_uncached_tokens + cache_read_tokens + cache_write_tokens + output_tokens > 0
),

served as (
    select {{ totals }}
    from {{ ref('int_call_bucket_scenarios_priced') }}
    where price_scenario = 'as_served'
)

select calls.*, served.calls as served_rows
from calls, served
where calls.calls <> served.calls
    {%- for bucket in buckets %}
    or calls.{{ bucket }}_tokens is distinct from served.{{ bucket }}_tokens
    {%- endfor %}
