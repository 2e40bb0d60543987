{{ config(**by_day('call_day')) }}
{%- set buckets = token_buckets() %}
-- Every call of the partition window that reached the provider (some tokens), x each pricing
-- scenario the savings marts compare, with the four token buckets as columns (also those with 0
-- tokens): one row per call x scenario, ~4x fewer rows than one per bucket.
--   as_served        the served model in the call's service tier: what the call cost (list price);
--   requested_model  the model the application asked for, same tier (routed calls: kept / rerouted);
--   standard_tier    the served model in the standard tier (calls of another tier, e.g. batch);
--   batch_tier       the served model in the batch tier (standard-tier calls that are batch candidates:
--                    macro is_batch_candidate_call, the rule of fct_batch_savings).
-- Pricing rule (the one place it lives; int_call_buckets_priced is the as_served scenario, one row
-- per bucket with tokens): the model name is resolved to its catalog model (model_key); a negotiated
-- override (config dir price_overrides.csv) valid on the call's UTC day wins; otherwise the catalog price of
-- the highest long-context tier whose threshold the call's input tokens (input_uncached + cache_read
-- + cache_write) reach. A bucket without a price has <bucket>_price_per_mtok null (and
-- <bucket>_list_cost null when it has tokens), never $0. Buckets with 0 tokens are priced too:
-- prompt-cache savings need the uncached input price of a call that had no uncached tokens.
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
    select * from {{ ref('stg_config__price_overrides') }}
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
    where {{ is_batch_candidate_call('service_tier', 'environment', 'feature') }}
),

-- The lookup runs on the few distinct price keys (provider x model x tier x UTC day) of the window,
-- not per call: each key gets its long-context bands [min_input_tokens, next threshold) per bucket,
-- and each call x scenario joins, per bucket, the one band its input tokens fall in (bands are
-- disjoint and cover every token count, so each join finds exactly one row).
price_keys as (
    select distinct provider, model_key, service_tier, call_day
    from scenarios
),

key_bands as (
    select
        price_keys.provider,
        price_keys.model_key,
        price_keys.service_tier,
        price_keys.call_day,
        catalog.token_bucket,
        catalog.min_input_tokens,
        lead(catalog.min_input_tokens) over (
            partition by price_keys.provider, price_keys.model_key, price_keys.service_tier,
                price_keys.call_day, catalog.token_bucket
            order by catalog.min_input_tokens
        ) as next_min_input_tokens,
        catalog.price_per_mtok
    from price_keys
    inner join catalog
        on catalog.provider = price_keys.provider
        and catalog.model = price_keys.model_key
        and catalog.service_tier = price_keys.service_tier
        and {{ valid_on('catalog', 'price_keys.call_day') }}
),

key_bands_from_zero as (
    -- a catalog whose lowest band starts above 0 leaves the calls below it unpriced, not dropped
    select * from key_bands
    union all
    select
        provider, model_key, service_tier, call_day, token_bucket,
        0 as min_input_tokens,
        min(min_input_tokens) as next_min_input_tokens,
        null as price_per_mtok
    from key_bands
    group by provider, model_key, service_tier, call_day, token_bucket
    having min(min_input_tokens) > 0
),

key_prices as (
    -- every key x bucket gets at least one band; a bucket the catalog does not price has one open
    -- band with a null price (so an override can still price it, and nothing is silently $0)
    select
        price_keys.provider,
        price_keys.model_key,
        price_keys.service_tier,
        price_keys.call_day,
        bucket_names.token_bucket,
        coalesce(key_bands.min_input_tokens, 0) as min_input_tokens,
        key_bands.next_min_input_tokens,
        coalesce(overrides.price_per_mtok, key_bands.price_per_mtok) as price_per_mtok,
        -- the catalog's own price, also where an override wins: FOCUS ListCost vs ContractedCost
        key_bands.price_per_mtok as catalog_price_per_mtok,
        case
            when overrides.price_per_mtok is not null then 'override'
            when key_bands.price_per_mtok is not null then 'catalog'
            else 'unpriced'
        end as price_source
    from price_keys
    cross join (  -- one line of bucket names; a CTE would say no more -- noqa: ST05
        select {{ unnest_values(buckets) }} as token_bucket
    ) as bucket_names
    left join key_bands_from_zero as key_bands
        on key_bands.provider = price_keys.provider
        and key_bands.model_key = price_keys.model_key
        and key_bands.service_tier = price_keys.service_tier
        and key_bands.call_day = price_keys.call_day
        and key_bands.token_bucket = bucket_names.token_bucket
    left join overrides
        on overrides.provider = price_keys.provider
        and overrides.model = price_keys.model_key
        and overrides.token_bucket = bucket_names.token_bucket
        and overrides.service_tier = price_keys.service_tier
        and {{ valid_on('overrides', 'price_keys.call_day') }}
),

priced as (
    select
        scenarios.call_id,
        scenarios.call_day,
        scenarios.price_scenario,
        scenarios.provider,
        scenarios.billing_account,
        scenarios.model_name,
        scenarios.model_key,
        scenarios.service_tier,
        scenarios.input_tokens_total,
        {%- for bucket in buckets %}
        scenarios.{{ bucket }}_tokens,
        {{ bucket }}_price.price_per_mtok as {{ bucket }}_price_per_mtok,
        {{ bucket }}_price.price_source as {{ bucket }}_price_source,
        {{ bucket }}_price.catalog_price_per_mtok as {{ bucket }}_catalog_price_per_mtok,
        case
            when scenarios.{{ bucket }}_tokens = 0 then {{ money(0) }}
            when {{ bucket }}_price.price_per_mtok is not null
                then {{ token_cost('scenarios.' ~ bucket ~ '_tokens', bucket ~ '_price.price_per_mtok') }}
        end as {{ bucket }}_list_cost{{ ',' if not loop.last }}
        {%- endfor %}
    from scenarios
    {%- for bucket in buckets %}
    inner join key_prices as {{ bucket }}_price
        on {{ bucket }}_price.provider = scenarios.provider
        and {{ bucket }}_price.model_key = scenarios.model_key
        and {{ bucket }}_price.service_tier = scenarios.service_tier
        and {{ bucket }}_price.call_day = scenarios.call_day
        and {{ bucket }}_price.token_bucket = '{{ bucket }}'
        and {{ bucket }}_price.min_input_tokens <= scenarios.input_tokens_total
        and ({{ bucket }}_price.next_min_input_tokens is null
            or {{ bucket }}_price.next_min_input_tokens > scenarios.input_tokens_total)
    {%- endfor %}
),

final as (
    select
        *,
        -- buckets with tokens but no price: such a call is unpriced in this scenario, never $0
        {% for bucket in buckets -%}
        cast({{ bucket }}_list_cost is null as integer){{ ' + ' if not loop.last }}
        {%- endfor %} as unpriced_buckets,
        {%- set bucket_costs = [] %}
        {%- for bucket in buckets %}{% do bucket_costs.append(bucket ~ '_list_cost') %}{% endfor %}
        -- the call's list cost in this scenario: null when a bucket with tokens has no price
        {{ money(bucket_costs | join(' + ')) }} as list_cost
    from priced
)

select * from final
