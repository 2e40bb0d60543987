-- Every model name seen in calls and bills, the catalog model it resolves to, and whether a price
-- exists for it today (catalog or override). Unknown models are where unpriced calls come from:
-- add them to the config dir's price_overrides.csv under their model_key.
with

aliases as (
    select * from {{ ref('stg_raw__model_aliases') }}
),

catalog_models as (
    select distinct provider, model from {{ ref('stg_raw__price_catalog') }}
),

override_models as (
    select distinct provider, model from {{ ref('stg_config__price_overrides') }}
),

final as (
    select
        aliases.provider,
        aliases.model_name,
        aliases.catalog_model,
        aliases.model_key,
        catalog_models.model is not null as in_catalog,
        override_models.model is not null as has_override,
        (catalog_models.model is not null or override_models.model is not null) as is_priced
    from aliases
    left join catalog_models
        on catalog_models.provider = aliases.provider and catalog_models.model = aliases.model_key
    left join override_models
        on override_models.provider = aliases.provider and override_models.model = aliases.model_key
)

select * from final
