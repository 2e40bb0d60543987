-- Model names as vendors and logs spell them (dated snapshots, aliases, bill SKUs), with the catalog
-- model each resolves to; model_key is what pricing and bill matching use: the company's alias (config
-- dir model_aliases.csv) when it has one, else the catalog model, else the name itself (so an override
-- can still price it).
with

source as (
    select * from {{ source('raw', 'model_aliases') }}
),

company_aliases as (
    select * from {{ ref('stg_config__model_aliases') }}
),

resolved as (
    select provider, model_name, catalog_model
    from source
    qualify row_number() over (partition by provider, model_name order by catalog_model nulls last) = 1
),

final as (
    select
        resolved.provider,
        resolved.model_name,
        resolved.catalog_model,
        coalesce(company_aliases.model_key, resolved.catalog_model, resolved.model_name) as model_key
    from resolved
    left join company_aliases
        on company_aliases.provider = resolved.provider
        and company_aliases.model_name = resolved.model_name
)

select * from final
