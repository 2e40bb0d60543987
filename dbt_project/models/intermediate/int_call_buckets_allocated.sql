{{ config(**by_day('call_day')) }}
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
-- The split itself is the macro allocation_split_ctes (int_call_bucket_pool_shares also uses it).
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

{{ allocation_split_ctes('matches') }},

per_bucket as (
    select
        call_id,
        token_bucket,
        sum(allocated_pico) as allocated_pico,
        -- the pool the whole share comes from; null for a bucket covered by several pools (the FOCUS
        -- export, which names the bill line of every share, splits those in int_call_bucket_pool_shares)
        case when min(allocation_id) = max(allocation_id) then min(allocation_id) end as allocation_id
    from (
        select call_id, token_bucket, allocation_id, share_pico as allocated_pico from split
        union all
        select call_id, token_bucket, allocation_id, allocated_pico from remainders
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
        buckets.price_source,
        buckets.catalog_price_per_mtok,
        buckets.list_cost,
        per_bucket.allocation_id,
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
