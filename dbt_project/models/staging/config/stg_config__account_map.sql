-- Value maps (config dir account_map.csv): a call field's value -> the vendor billing account its calls
-- are billed to, for logs that do not carry the account. field is a call column or extra.<key>.
with

source as (
    select * from {{ source('raw', 'config_account_map') }}
),

final as (
    select
        lower(trim(provider)) as provider,
        field,
        value,
        billing_account,
        _line as map_line
    from source
)

select * from final
