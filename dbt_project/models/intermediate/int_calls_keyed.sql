{{ config(materialized='table') }}
-- Logged calls of the partition window with the served model resolved to its catalog model
-- (model_key: the catalog id, or the name itself when the catalog does not know it). A table of the
-- window's calls, so the deduplication of stg_raw__calls runs once per build, not once per reader.
with

calls as (
    select * from {{ ref('stg_raw__calls') }}
    where {{ in_window('call_day') }}
),

aliases as (
    select * from {{ ref('stg_raw__model_aliases') }}
),

final as (
    select
        calls.*,
        coalesce(aliases.model_key, calls.model_served) as model_key,
        aliases.catalog_model is not null as is_catalog_model
    from calls
    left join aliases
        on aliases.provider = calls.provider
        and aliases.model_name = calls.model_served
)

select * from final
