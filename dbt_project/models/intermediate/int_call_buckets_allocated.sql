-- Allocation rule, in plain words: within one grain (provider x billing account x UTC day x served
-- model x token bucket x service tier) the billed usage is split over the logged calls in
-- proportion to their computed list cost. The split runs on integer pico-dollars with floor
-- division; the few pico-dollars left over go to the grain's largest call, so the parts sum to
-- the bill exactly. Grains with no bill line yet keep the list cost as an estimate (kept apart in
-- attributed_estimated_cost). Unpriced buckets get no share; their grain's bill, if no priced call
-- shares it, is reported as unattributed by int_bill_unattributed.
with

buckets as (
    select * from {{ ref('int_call_buckets_priced') }}
),

grains as (
    select * from {{ ref('int_bill_grains_matched') }}
),

joined as (
    select
        buckets.*,
        {{ to_pico('buckets.list_cost') }} as cost_pico,
        grains.computed_pico as grain_pico,
        {{ to_pico('grains.billed_cost') }} as bill_pico,
        grains.match_status
    from buckets
    inner join grains
        on grains.provider = buckets.provider
        and grains.billing_account = buckets.billing_account
        and grains.cost_day = buckets.call_day
        and grains.model = buckets.model_served
        and grains.token_bucket = buckets.token_bucket
        and grains.service_tier = buckets.service_tier
),

shares as (
    select
        *,
        case when match_status = 'matched' and cost_pico is not null
            then bill_pico * cost_pico // grain_pico
        end as share_pico
    from joined
),

with_remainder as (
    select
        *,
        case
            when share_pico is not null and row_number() over (
                partition by provider, billing_account, call_day, model_served, token_bucket, service_tier,
                    share_pico is null
                order by cost_pico desc, call_id
            ) = 1
            then bill_pico - sum(share_pico) over (
                partition by provider, billing_account, call_day, model_served, token_bucket, service_tier
            )
            else 0
        end as remainder_pico
    from shares
),

final as (
    select
        call_id,
        call_day,
        token_bucket,
        tokens,
        price_per_mtok,
        list_cost,
        case when share_pico is not null then {{ from_pico('share_pico + remainder_pico') }} end
            as attributed_billed_cost,
        case when match_status = 'calls_without_bill' then list_cost end as attributed_estimated_cost,
        case
            when list_cost is null then 'unpriced'
            when match_status = 'calls_without_bill' then 'no_bill_line'
            else 'bill'
        end as allocation_status
    from with_remainder
)

select * from final
