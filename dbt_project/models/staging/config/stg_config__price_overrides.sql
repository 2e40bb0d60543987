-- Negotiated rates and prices the catalog lacks (config dir price_overrides.csv): provider x model x
-- token bucket x service tier, USD per million tokens, valid_from inclusive, valid_to exclusive.
with

source as (
    select * from {{ source('raw', 'config_price_overrides') }}
),

final as (
    select
        lower(trim(provider)) as provider,
        trim(model) as model,
        token_bucket,
        service_tier,
        cast(price_per_mtok as decimal(18, 6)) as price_per_mtok,
        valid_from,
        valid_to,
        note
    from source
)

select * from final
