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

shares as (
    select
        *,
        sum(cost_pico) over (partition by bill_grain_id) as base_pico
    from matches
),

split as (
    select
        *,
        case when base_pico <> 0 then bill_pico * cost_pico // base_pico end as share_pico
    from shares
),

with_remainder as (
    select
        call_id,
        token_bucket,
        share_pico + case
            when row_number() over (partition by bill_grain_id order by cost_pico desc, call_id, token_bucket) = 1
                then bill_pico - sum(share_pico) over (partition by bill_grain_id)
            else 0
        end as allocated_pico
    from split
    where share_pico is not null
),

per_bucket as (
    select call_id, token_bucket, sum(allocated_pico) as allocated_pico, count(*) as bill_grains
    from with_remainder
    group by all
),

final as (
    select
        buckets.call_id,
        buckets.call_day,
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
