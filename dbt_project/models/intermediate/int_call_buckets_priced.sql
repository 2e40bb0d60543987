-- One row per call x token bucket with tokens > 0 for the partition window, priced on the call's
-- UTC day. Pricing rule: the served model is resolved to its catalog model (model_key); a
-- negotiated override (seed price_overrides) valid that day wins; otherwise the catalog price of
-- the highest long-context tier whose threshold the call's input tokens reach. A bucket with no
-- price keeps list_cost null (flagged downstream), never $0.
with

keyed as (
    select
        *,
        input_uncached_tokens + cache_read_tokens + cache_write_tokens as input_tokens_total
    from {{ ref('int_calls_keyed') }}
),

catalog as (
    select * from {{ ref('stg_raw__price_catalog') }}
),

overrides as (
    select * from {{ ref('price_overrides') }}
),

buckets as (
    {% for bucket in ['input_uncached', 'cache_read', 'cache_write', 'output'] %}
    select
        call_id, call_day, provider, billing_account, model_served, model_key, service_tier, input_tokens_total,
        '{{ bucket }}' as token_bucket,
        {{ bucket }}_tokens as tokens
    from keyed
    where {{ bucket }}_tokens > 0
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

catalog_prices as (
    select
        buckets.call_id,
        buckets.token_bucket,
        catalog.price_per_mtok
    from buckets
    inner join catalog
        on catalog.provider = buckets.provider
        and catalog.model = buckets.model_key
        and catalog.token_bucket = buckets.token_bucket
        and catalog.service_tier = buckets.service_tier
        and buckets.call_day >= catalog.valid_from
        and (catalog.valid_to is null or buckets.call_day < catalog.valid_to)
        and catalog.min_input_tokens <= buckets.input_tokens_total
    qualify row_number() over (
        partition by buckets.call_id, buckets.token_bucket order by catalog.min_input_tokens desc
    ) = 1
),

priced as (
    select
        buckets.call_id,
        buckets.call_day,
        buckets.provider,
        buckets.billing_account,
        buckets.model_served,
        buckets.model_key,
        buckets.service_tier,
        buckets.token_bucket,
        buckets.tokens,
        coalesce(overrides.price_per_mtok, catalog_prices.price_per_mtok) as price_per_mtok,
        case
            when overrides.price_per_mtok is not null then 'override'
            when catalog_prices.price_per_mtok is not null then 'catalog'
            else 'unpriced'
        end as price_source
    from buckets
    left join catalog_prices
        on catalog_prices.call_id = buckets.call_id
        and catalog_prices.token_bucket = buckets.token_bucket
    left join overrides
        on overrides.provider = buckets.provider
        and overrides.model = buckets.model_key
        and overrides.token_bucket = buckets.token_bucket
        and overrides.service_tier = buckets.service_tier
        and buckets.call_day >= overrides.valid_from
        and (overrides.valid_to is null or buckets.call_day < overrides.valid_to)
),

final as (
    select
        *,
        case when price_per_mtok is not null then {{ token_cost('tokens', 'price_per_mtok') }} end as list_cost
    from priced
)

select * from final
