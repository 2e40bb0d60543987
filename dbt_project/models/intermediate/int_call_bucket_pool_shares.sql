-- The shares of the allocation pools that cover a call bucket together with another pool (a bucket met
-- by a line at its own grain and by a coarser 'unknown' line, or by a fallback pool), per pool: the FOCUS
-- export names the bill line every share comes from, and int_call_buckets_allocated sums such a bucket's
-- shares over its pools (its allocation_id is then null). The split is the allocation rule's, written
-- once in the macro allocation_split_ctes (stated in plain words in int_call_buckets_allocated), run
-- again here on those pools only: every other bucket's share comes from one pool, int_call_buckets_allocated
-- names it, and the export reads it there. is_token_share: the pool covers only unpriced buckets and is
-- split by tokens, not list cost. A view: only the FOCUS export reads it.
with

allocated as (
    select * from {{ ref('int_call_buckets_allocated') }}
),

all_matches as (
    select * from {{ ref('int_bill_grain_matches') }}
),

shared_pools as (
    -- the pools covering a billed bucket whose share comes from more than one pool
    select distinct all_matches.allocation_id
    from all_matches
    inner join allocated
        on allocated.call_id = all_matches.call_id
        and allocated.token_bucket = all_matches.token_bucket
    where allocated.allocation_status = 'bill' and allocated.allocation_id is null
),

matches as (
    select * from all_matches
    where allocation_id in (select shared_pools.allocation_id from shared_pools)
),

{{ allocation_split_ctes('matches') }},

parts as (
    select call_id, token_bucket, allocation_id, share_pico as allocated_pico from split
    union all
    select call_id, token_bucket, allocation_id, allocated_pico from remainders
),

final as (
    select
        parts.call_id,
        parts.token_bucket,
        parts.allocation_id,
        pool_bases.cost_base is null as is_token_share,
        sum(parts.allocated_pico) as allocated_pico
    from parts
    inner join pool_bases on pool_bases.allocation_id = parts.allocation_id
    group by parts.call_id, parts.token_bucket, parts.allocation_id, pool_bases.cost_base is null
)

select * from final
