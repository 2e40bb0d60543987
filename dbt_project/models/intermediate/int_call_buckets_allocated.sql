{{ config(materialized='table') }}
-- Allocation rule, in plain words: every allocation pool (int_bill_allocation_grains: a billed usage
-- grain, or the bill grains that met no call at their own grain pooled at the first coarser grain
-- both sides share: without tier, without token bucket, without model, then provider x day) is split
-- over the priced logged call buckets it covers in proportion to their list cost; a pool that covers
-- only unpriced buckets (a model the catalog and the overrides lack, whose bill line names it) is split
-- over them by tokens: the bill says what they cost even without a list price. The split runs on
-- integer pico-dollars with floor division; the pico-dollars left over go to the pool's largest
-- bucket, so the parts sum to the bill exactly. A call bucket of a provider-day that has no bill yet
-- keeps its list cost as an estimate (attributed_estimated_cost, status no_bill_line) until the bill
-- arrives and the day is rebuilt; once the provider-day has a bill, a bucket no bill amount reached
-- gets 0 (status not_billed): an estimate and a bill amount are never both counted.
with

buckets as (
    select * from {{ ref('int_call_buckets_priced') }}
),

matches as (
    select * from {{ ref('int_bill_grain_matches') }}
),

billed_days as (
    select distinct provider, cost_day from {{ ref('int_bill_usage_grains') }}
),

pool_bases as (
    select allocation_id, sum(cost_pico) filter (where cost_pico > 0) as cost_base
    from matches
    group by allocation_id
),

weighted as (
    -- the weight of each covered bucket: its list cost in pico-dollars, or its tokens in a pool of
    -- unpriced buckets only
    select
        matches.call_id,
        matches.token_bucket,
        matches.allocation_id,
        matches.bill_pico,
        case when pool_bases.cost_base is not null then matches.cost_pico else matches.tokens end as weight
    from matches
    inner join pool_bases on pool_bases.allocation_id = matches.allocation_id
    where pool_bases.cost_base is null or matches.cost_pico > 0
),

grains as (
    -- per pool: the allocation base, and the bucket that takes the rounding remainder (the largest;
    -- ties by call_id, then token_bucket). Aggregates, not window functions: a window over tens of
    -- millions of matches sorts and spills them all.
    select
        allocation_id,
        sum(weight) as base_pico,
        min({{ struct_pack([('neg_weight', '-weight'), ('call_id', 'call_id'), ('token_bucket', 'token_bucket')]) }})
            as largest
    from weighted
    group by allocation_id
    having sum(weight) <> 0
),

split as (
    select
        weighted.call_id,
        weighted.token_bucket,
        weighted.allocation_id,
        weighted.bill_pico,
        {{ int_div('weighted.bill_pico * weighted.weight', 'grains.base_pico') }} as share_pico
    from weighted
    inner join grains on grains.allocation_id = weighted.allocation_id
),

remainders as (
    select
        grains.largest.call_id as call_id,  -- struct fields, named explicitly -- noqa: AL09, RF01
        grains.largest.token_bucket as token_bucket,  -- noqa: AL09, RF01
        split_totals.bill_pico - split_totals.shared_pico as allocated_pico
    from (
        select allocation_id, any_value(bill_pico) as bill_pico, sum(share_pico) as shared_pico
        from split
        group by allocation_id
    ) as split_totals
    inner join grains on grains.allocation_id = split_totals.allocation_id
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
        buckets.billing_account,
        buckets.model_key,
        buckets.service_tier,
        buckets.token_bucket,
        buckets.tokens,
        buckets.price_per_mtok,
        buckets.list_cost,
        case
            when per_bucket.call_id is not null then {{ from_pico('per_bucket.allocated_pico') }}
            when billed_days.provider is not null then {{ money(0) }}
        end as attributed_billed_cost,
        case when billed_days.provider is null and buckets.list_cost is not null then buckets.list_cost end
            as attributed_estimated_cost,
        case
            when per_bucket.call_id is not null then 'bill'
            when buckets.list_cost is null then 'unpriced'
            when billed_days.provider is not null then 'not_billed'
            else 'no_bill_line'
        end as allocation_status
    from buckets
    left join per_bucket
        on per_bucket.call_id = buckets.call_id
        and per_bucket.token_bucket = buckets.token_bucket
    left join billed_days
        on billed_days.provider = buckets.provider
        and billed_days.cost_day = buckets.call_day
)

select * from final
