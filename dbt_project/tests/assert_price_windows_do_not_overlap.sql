{{ config(meta={"dagster": {"ref": {"name": "model_prices"}}}) }}
-- Every provider x model x token bucket x tier has at most one price on any day, or calls would be
-- priced twice.
select a.provider, a.model, a.token_bucket, a.service_tier, a.valid_from, b.valid_from as overlapping_from
from {{ ref('model_prices') }} as a
inner join {{ ref('model_prices') }} as b
    on a.provider = b.provider and a.model = b.model
    and a.token_bucket = b.token_bucket and a.service_tier = b.service_tier
    and a.valid_from < b.valid_from
    and (a.valid_to is null or a.valid_to > b.valid_from)
