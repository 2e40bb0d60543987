{{ config(materialized='table') }}
-- Every call of the partition window that reached the provider (some tokens), x every token bucket
-- (all four, also those with 0 tokens), x each pricing scenario the savings marts compare:
--   as_served        the served model in the call's service tier: what the call cost (list price);
--   requested_model  the model the application asked for, same tier (routed calls: kept / rerouted);
--   standard_tier    the served model in the standard tier (calls of another tier, e.g. batch);
--   batch_tier       the served model in the batch tier (standard-tier calls).
-- Pricing rule (the one place it lives; int_call_buckets_priced is the as_served slice): the model name is
-- resolved to its catalog model (model_key); a negotiated override (seed price_overrides) valid on
-- the call's UTC day wins; otherwise the catalog price of the highest long-context tier whose
-- threshold the call's input tokens (input_uncached + cache_read + cache_write) reach. A bucket
-- without a price has price_per_mtok null (and list_cost null when it has tokens), never $0.
-- Buckets with 0 tokens are priced too: prompt-cache savings need the uncached input price of a
-- call that had no uncached tokens.
with

calls as (
    select
        *,
        input_uncached_tokens + cache_read_tokens + cache_write_tokens as input_tokens_total
    from {{ ref('int_calls_keyed') }}
    where input_uncached_tokens + cache_read_tokens + cache_write_tokens + output_tokens > 0
),

aliases as (
    select * from {{ ref('stg_raw__model_aliases') }}
),

catalog as (
    select * from {{ ref('stg_raw__price_catalog') }}
),

overrides as (
    select * from {{ ref('price_overrides') }}
),

scenarios as (
    select
        call_id, call_day, provider, billing_account, input_tokens_total,
        input_uncached_tokens, cache_read_tokens, cache_write_tokens, output_tokens,
        'as_served' as price_scenario,
        model_served as model_name,
        model_key,
        service_tier
    from calls

    union all

    select
        calls.call_id, calls.call_day, calls.provider, calls.billing_account, calls.input_tokens_total,
        calls.input_uncached_tokens, calls.cache_read_tokens, calls.cache_write_tokens, calls.output_tokens,
        'requested_model' as price_scenario,
        calls.model_requested as model_name,
        coalesce(aliases.model_key, calls.model_requested) as model_key,
        calls.service_tier
    from calls
    left join aliases
        on aliases.provider = calls.provider
        and aliases.model_name = calls.model_requested
    where calls.routing_decision in ('kept', 'rerouted')

    union all

    select
        call_id, call_day, provider, billing_account, input_tokens_total,
        input_uncached_tokens, cache_read_tokens, cache_write_tokens, output_tokens,
        'standard_tier' as price_scenario,
        model_served as model_name,
        model_key,
        'standard' as service_tier
    from calls
    where service_tier <> 'standard'

    union all

    select
        call_id, call_day, provider, billing_account, input_tokens_total,
        input_uncached_tokens, cache_read_tokens, cache_write_tokens, output_tokens,
        'batch_tier' as price_scenario,
        model_served as model_name,
        model_key,
        'batch' as service_tier
    from calls
    where service_tier = 'standard'
),

buckets as (
    {% for bucket in ['input_uncached', 'cache_read', 'cache_write', 'output'] %}
    select
        call_id, call_day, provider, billing_account, price_scenario, model_name, model_key, service_tier,
        input_tokens_total,
        '{{ bucket }}' as token_bucket,
        {{ bucket }}_tokens as tokens
    from scenarios
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

catalog_prices as (
    select
        buckets.call_id,
        buckets.price_scenario,
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
        partition by buckets.call_id, buckets.price_scenario, buckets.token_bucket
        order by catalog.min_input_tokens desc
    ) = 1
),

priced as (
    select
        buckets.call_id,
        buckets.call_day,
        buckets.price_scenario,
        buckets.provider,
        buckets.billing_account,
        buckets.model_name,
        buckets.model_key,
        buckets.service_tier,
        buckets.input_tokens_total,
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
        and catalog_prices.price_scenario = buckets.price_scenario
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
        case
            when tokens = 0 then {{ money(0) }}
            when price_per_mtok is not null then {{ token_cost('tokens', 'price_per_mtok') }}
        end as list_cost
    from priced
)

select * from final
