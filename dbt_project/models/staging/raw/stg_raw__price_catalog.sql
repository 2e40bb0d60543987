-- Catalog list prices (genai-prices), one row per provider x model x token bucket x tier x
-- long-context threshold x validity period.
with

source as (
    select * from {{ source('raw', 'price_catalog') }}
),

final as (
    select
        provider,
        model,
        token_bucket,
        service_tier,
        min_input_tokens,
        cast(price_per_mtok as decimal(18, 6)) as price_per_mtok,
        valid_from,
        valid_to,
        source as catalog_source
    from source
)

select * from final
