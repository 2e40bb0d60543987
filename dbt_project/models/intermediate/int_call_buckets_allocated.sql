{{ config(materialized='table') }}
-- Allocation rule, in plain words: every billed usage grain (int_bill_usage_grains) is split over
-- the logged call buckets it covers (same provider, billing account, UTC day and service tier; same
-- model and token bucket unless the bill line leaves them 'unknown') in proportion to their list
-- cost. The split runs on integer pico-dollars with floor division; the pico-dollars left over go
-- to the grain's largest bucket, so the parts sum to the bill line exactly. A call bucket that no
-- bill line covers keeps its list cost as an estimate (attributed_estimated_cost) until the bill
-- arrives and the day is re-run. Unpriced buckets get no share: a bill grain with no priced bucket
-- is reported as unattributed by int_bill_unattributed.
with

buckets as (
    select * from {{ ref('int_call_buckets_priced') }}
),

matches as (
    select * from {{ ref('int_bill_grain_matches') }}
),

grains as (
    -- per bill grain: the allocation base, and the bucket that takes the rounding remainder (the
    -- largest; ties by call_id, then token_bucket). Aggregates, not window functions: a window over
    -- tens of millions of matches sorts and spills them all.
    select
        bill_grain_id,
        sum(cost_pico) as base_pico,
        min(struct_pack(neg_cost_pico := -cost_pico, call_id := call_id, token_bucket := token_bucket))
            as largest
    from matches
    group by bill_grain_id
    having sum(cost_pico) <> 0
),

split as (
    select
        matches.call_id,
        matches.token_bucket,
        matches.bill_grain_id,
        matches.bill_pico,
        matches.bill_pico * matches.cost_pico // grains.base_pico as share_pico
    from matches
    inner join grains on grains.bill_grain_id = matches.bill_grain_id
),

remainders as (
    select
        grains.largest.call_id as call_id,
        grains.largest.token_bucket as token_bucket,
        split_totals.bill_pico - split_totals.shared_pico as allocated_pico
    from (
        select bill_grain_id, any_value(bill_pico) as bill_pico, sum(share_pico) as shared_pico
        from split
        group by bill_grain_id
    ) as split_totals
    inner join grains on grains.bill_grain_id = split_totals.bill_grain_id
),

per_bucket as (
    select call_id, token_bucket, sum(allocated_pico) as allocated_pico
    from (
        select call_id, token_bucket, share_pico as allocated_pico from split
        union all
        select call_id, token_bucket, allocated_pico from remainders
    ) as parts
    group by call_id, token_bucket
),

final as (
    select
        buckets.call_id,
        buckets.call_day,
        buckets.provider,
        buckets.model_key,
        buckets.service_tier,
        buckets.token_bucket,
        buckets.tokens,
        buckets.price_per_mtok,
        buckets.list_cost,
        case when per_bucket.call_id is not null then {{ from_pico('per_bucket.allocated_pico') }} end
            as attributed_billed_cost,
        case when per_bucket.call_id is null and buckets.list_cost is not null then buckets.list_cost end
            as attributed_estimated_cost,
        case
            when buckets.list_cost is null then 'unpriced'
            when per_bucket.call_id is null then 'no_bill_line'
            else 'bill'
        end as allocation_status
    from buckets
    left join per_bucket
        on per_bucket.call_id = buckets.call_id
        and per_bucket.token_bucket = buckets.token_bucket
)

select * from final
