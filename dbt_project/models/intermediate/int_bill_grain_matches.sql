{{ config(**by_day('call_day')) }}
-- Which allocation pool (int_bill_allocation_grains: a bill grain, or bill grains pooled at a coarser
-- grain) covers which call bucket (rule: macro pool_covers), with both amounts in integer
-- pico-dollars: the base of the allocation. A pool at its own grain covers every bucket of that grain
-- (a bucket may be covered by a fine line and by a coarser 'unknown' line). A fallback pool (bill
-- amounts that met no call at their own grain) covers the buckets of its coarser grain that no bill line
-- covers at its own grain, the calls the unmatched amount most likely belongs to (Bedrock lines under a
-- usage type no model resolves, beside lines that did meet their calls); only when every bucket of that
-- grain has its own line does it cover them all. Three joins, one per key the levels share, so each is a
-- hash join.
with

buckets as (
    select * from {{ ref('int_call_buckets_priced') }}
),

pools as (
    select
        allocation_id,
        allocation_level,
        any_value(allocated_at) as allocated_at,
        provider,
        cost_day,
        any_value(billing_account) as billing_account,
        any_value(model) as model,
        any_value(token_bucket) as token_bucket,
        any_value(service_tier) as service_tier,
        {{ money('sum(billed_cost)') }} as billed_cost
    from {{ ref('int_bill_allocation_grains') }}
    where allocation_level < 5
    group by allocation_id, allocation_level, provider, cost_day
),

own_grain as (
    select buckets.call_id, buckets.call_day, buckets.token_bucket, buckets.tokens, buckets.list_cost,
        pools.allocation_id, pools.allocation_level, pools.allocated_at, pools.billed_cost
    from buckets
    inner join pools
        on pools.allocation_level = 0
        and pools.provider = buckets.provider
        and pools.billing_account = buckets.billing_account
        and pools.cost_day = buckets.call_day
        and pools.service_tier = buckets.service_tier
        and {{ pool_covers('pools', 'buckets') }}
),

coarser_grain as (
    select buckets.call_id, buckets.call_day, buckets.token_bucket, buckets.tokens, buckets.list_cost,
        pools.allocation_id, pools.allocation_level, pools.allocated_at, pools.billed_cost
    from buckets
    inner join pools
        on pools.allocation_level between 1 and 3
        and pools.provider = buckets.provider
        and pools.billing_account = buckets.billing_account
        and pools.cost_day = buckets.call_day
        and {{ pool_covers('pools', 'buckets') }}
    union all
    select buckets.call_id, buckets.call_day, buckets.token_bucket, buckets.tokens, buckets.list_cost,
        pools.allocation_id, pools.allocation_level, pools.allocated_at, pools.billed_cost
    from buckets
    inner join pools
        on pools.allocation_level = 4
        and pools.provider = buckets.provider
        and pools.cost_day = buckets.call_day
),

uncovered as (
    select * from coarser_grain
    where not exists (
        select 1 from own_grain
        where own_grain.call_id = coarser_grain.call_id and own_grain.token_bucket = coarser_grain.token_bucket
    )
),

matched as (
    select * from own_grain
    union all
    select * from uncovered
    union all
    select * from coarser_grain
    where coarser_grain.allocation_id not in (select uncovered.allocation_id from uncovered)
),

final as (
    select
        call_id,
        call_day,
        token_bucket,
        allocation_id,
        allocation_level,
        allocated_at,
        tokens,
        {{ to_pico('list_cost') }} as cost_pico,
        {{ to_pico('billed_cost') }} as bill_pico
    from matched
)

select * from final
