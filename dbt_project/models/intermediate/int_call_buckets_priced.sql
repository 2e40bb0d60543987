-- One row per call x token bucket with tokens > 0, priced at the list price valid on the call's
-- UTC day for (provider, served model, bucket, service tier). A bucket with no price keeps
-- list_cost null (flagged downstream), never $0. Only the partition window's days.
with

calls as (
    select * from {{ ref('stg_raw__calls') }}
    where {{ in_window('call_day') }}
),

prices as (
    select * from {{ ref('model_prices') }}
),

buckets as (
    {% for bucket in ['input_uncached', 'cache_read', 'cache_write', 'output'] %}
    select
        call_id, call_day, provider, billing_account, model_served, service_tier,
        '{{ bucket }}' as token_bucket,
        {{ bucket }}_tokens as tokens
    from calls
    where {{ bucket }}_tokens > 0
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

priced as (
    select
        buckets.*,
        prices.price_per_mtok,
        case when prices.price_per_mtok is not null
            then {{ token_cost('buckets.tokens', 'prices.price_per_mtok') }}
        end as list_cost
    from buckets
    left join prices
        on prices.provider = buckets.provider
        and prices.model = buckets.model_served
        and prices.token_bucket = buckets.token_bucket
        and prices.service_tier = buckets.service_tier
        and buckets.call_day >= prices.valid_from
        and (prices.valid_to is null or buckets.call_day < prices.valid_to)
)

select * from priced
