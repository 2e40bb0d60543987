-- Model names as a bill or a log spells them (SKU, usage type, deployment) -> the model key the company
-- says they stand for (config dir model_aliases.csv). Wins over the catalog's own resolution.
with

source as (
    select * from {{ source('raw', 'config_model_aliases') }}
),

final as (
    select
        lower(trim(provider)) as provider,
        name as model_name,
        trim(model) as model_key
    from source
    qualify row_number() over (partition by lower(trim(provider)), name order by _line desc) = 1
)

select * from final
