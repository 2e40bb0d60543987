{{ config(materialized='table', event_time='cost_day') }}
-- Where each billed usage grain is allocated, in plain words: at its own grain (provider x billing
-- account x UTC day x model x token bucket x service tier, 'unknown' model or bucket matching any)
-- when a logged call bucket shares that grain; otherwise at the next grain both sides share,
-- dropping the service tier, then the token bucket, then the model, then the billing account
-- (provider x day). Bill grains that fall back to the same coarser key are pooled into one
-- allocation, spread over the calls of that grain that no bill line covers at its own grain (or over all
-- of them when each has its own line: int_bill_grain_matches). Only a bill grain with no logged call with
-- tokens on its provider-day is 'unattributed'.
-- One row per bill grain of the partition window; allocation_id names the pool it is split in.
with

bill_grains as (
    select * from {{ ref('int_bill_usage_grains') }}
),

bucket_keys as (
    -- the grains where logged calls have tokens (priced or not): a few thousand rows a day, whatever
    -- the call volume
    select provider, billing_account, call_day, model_key, token_bucket, service_tier
    from {{ ref('int_call_buckets_priced') }}
    group by all
),

levels as (
    select
        bill_grains.bill_grain_id,
        min(
            case
                when bucket_keys.billing_account <> bill_grains.billing_account then 4
                when not (bill_grains.model in ('unknown', bucket_keys.model_key)) then 3
                when not (bill_grains.token_bucket in ('unknown', bucket_keys.token_bucket)) then 2
                when bucket_keys.service_tier <> bill_grains.service_tier then 1
                else 0
            end
        ) as allocation_level
    from bill_grains
    inner join bucket_keys
        on bucket_keys.provider = bill_grains.provider
        and bucket_keys.call_day = bill_grains.cost_day
    group by bill_grains.bill_grain_id
),

final as (
    select
        bill_grains.bill_grain_id,
        bill_grains.provider,
        bill_grains.billing_account,
        bill_grains.cost_day,
        bill_grains.model,
        bill_grains.token_bucket,
        bill_grains.service_tier,
        bill_grains.billed_cost,
        coalesce(levels.allocation_level, 5) as allocation_level,
        {{ allocated_at('coalesce(levels.allocation_level, 5)') }} as allocated_at,
        case coalesce(levels.allocation_level, 5)
            when 0 then bill_grains.bill_grain_id
            when 1 then md5(concat_ws('|', 'no_tier', bill_grains.provider, bill_grains.billing_account,
                bill_grains.cost_day, bill_grains.model, bill_grains.token_bucket))
            when 2 then md5(concat_ws('|', 'no_bucket', bill_grains.provider, bill_grains.billing_account,
                bill_grains.cost_day, bill_grains.model))
            when 3 then md5(concat_ws('|', 'no_model', bill_grains.provider, bill_grains.billing_account,
                bill_grains.cost_day))
            when 4 then md5(concat_ws('|', 'provider_day', bill_grains.provider, bill_grains.cost_day))
        end as allocation_id
    from bill_grains
    left join levels on levels.bill_grain_id = bill_grains.bill_grain_id
)

select * from final
