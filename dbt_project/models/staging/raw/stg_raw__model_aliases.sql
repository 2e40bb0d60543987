-- Model names as vendors and logs spell them (dated snapshots, aliases), with the catalog model
-- each resolves to; model_key is what pricing and bill matching use (the name itself when the
-- catalog does not know it, so an override can still price it).
with

source as (
    select * from {{ source('raw', 'model_aliases') }}
),

final as (
    select
        provider,
        model_name,
        catalog_model,
        coalesce(catalog_model, model_name) as model_key
    from source
    qualify row_number() over (partition by provider, model_name order by catalog_model nulls last) = 1
)

select * from final
