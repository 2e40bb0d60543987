{{ config(**incremental_by_day('cost_day')) }}
-- What caching saves (or costs), per UTC day x feature x prompt template x cache type, in list
-- prices (what the calls would have cost at list price; bills allocate onto calls by list cost).
--
-- app_exact_match: the application's exact-match cache in front of the provider. Lookups = every
-- call of a feature with an app cache (cache_outcome app_hit or app_miss); a hit (app_hit) sends no
-- tokens to the provider. Avoided cost = hits x the average list cost of the same day x feature x
-- prompt template's priced misses (app_miss calls), computed as miss cost x hits / misses and
-- rounded once to the pico-dollar (money_per_unit); when that day x template has no priced miss,
-- the day x feature average over all its templates is used (estimate_basis says which); with no
-- priced miss at all the avoided cost is unknown (null). Overhead = lookups x cost per lookup from
-- the cache_costs seed (the feature's row valid that day, else the 'default' row).
--
-- provider_prompt: the provider's prompt caching. Per call, at the call's own prices (served
-- model, tier, day, long-context tier; int_call_bucket_scenarios_priced, scenario as_served):
-- avoided cost = cache_read_tokens x (input_uncached price - cache_read price); overhead = the
-- write premium cache_write_tokens x (cache_write price - input_uncached price). Rows exist for
-- day x feature x template with any cache read or write tokens; calls = calls that reached the
-- provider, hits = calls with cache_read_tokens > 0.
--
-- net_savings = avoided_cost - overhead_cost: negative when the cache costs more than it saves.
-- Incremental by UTC day: a run replaces the days of its partition window.
with

calls as (
    select * from {{ ref('fct_llm_calls') }}
    where {{ in_window('call_day') }}
),

cache_costs as (
    select * from {{ ref('cache_costs') }}
),

-- app exact-match cache ------------------------------------------------------------------------

app_template_days as (
    select
        call_day as cost_day,
        feature,
        prompt_template,
        count(*) as lookups,
        count(*) filter (where cache_outcome = 'app_hit') as hits,
        count(*) filter (where cache_outcome = 'app_miss' and is_priced) as priced_misses,
        {{ money("coalesce(sum(list_cost) filter (where cache_outcome = 'app_miss'), 0)") }} as miss_cost,
        count(*) filter (where not is_priced) as unpriced_calls
    from calls
    where cache_outcome in ('app_hit', 'app_miss')
    group by all
),

app_feature_days as (
    select
        cost_day,
        feature,
        sum(priced_misses) as priced_misses,
        {{ money('sum(miss_cost)') }} as miss_cost
    from app_template_days
    group by all
),

app_estimates as (
    select
        template_days.*,
        case
            when template_days.priced_misses > 0 then 'prompt_template_day'
            when feature_days.priced_misses > 0 then 'feature_day'
            else 'none'
        end as estimate_basis,
        case when template_days.priced_misses > 0 then template_days.miss_cost else feature_days.miss_cost end
            as basis_cost,
        case when template_days.priced_misses > 0 then template_days.priced_misses else feature_days.priced_misses end
            as basis_calls,
        coalesce(feature_cost.cost_per_lookup_usd, default_cost.cost_per_lookup_usd) as cost_per_lookup_usd
    from app_template_days as template_days
    inner join app_feature_days as feature_days
        on feature_days.cost_day = template_days.cost_day
        and feature_days.feature = template_days.feature
    left join cache_costs as feature_cost
        on feature_cost.feature = template_days.feature
        and {{ valid_on('feature_cost', 'template_days.cost_day') }}
    left join cache_costs as default_cost
        on default_cost.feature = 'default'
        and {{ valid_on('default_cost', 'template_days.cost_day') }}
),

app_rows as (
    select
        cost_day,
        feature,
        prompt_template,
        'app_exact_match' as cache_type,
        lookups as calls,
        hits as cache_hits,
        {{ ratio('hits', 'lookups') }} as hit_rate,
        cast(0 as bigint) as cache_read_tokens,
        cast(0 as bigint) as cache_write_tokens,
        cast(null as decimal(18, 8)) as cached_input_token_share,
        estimate_basis,
        {{ money_per_unit('basis_cost', 'basis_calls') }} as estimated_cost_per_hit,
        cost_per_lookup_usd,
        case
            when hits = 0 then {{ money(0) }}
            when basis_calls > 0 then {{ money_per_unit('basis_cost', 'basis_calls', 'hits') }}
        end as avoided_cost,
        {{ money('lookups * cost_per_lookup_usd') }} as overhead_cost,
        unpriced_calls
    from app_estimates
),

-- provider prompt caching ----------------------------------------------------------------------

call_prices as (
    -- one row per call that reached the provider, with its price of each bucket
    select
        call_id,
        input_uncached_price_per_mtok as input_uncached_price,
        cache_read_price_per_mtok as cache_read_price,
        cache_write_price_per_mtok as cache_write_price
    from {{ ref('int_call_bucket_scenarios_priced') }}
    where price_scenario = 'as_served'
),

provider_calls as (
    select
        calls.call_day as cost_day,
        calls.feature,
        calls.prompt_template,
        calls.input_uncached_tokens,
        calls.cache_read_tokens,
        calls.cache_write_tokens,
        call_prices.input_uncached_price,
        call_prices.cache_read_price,
        call_prices.cache_write_price,
        call_prices.input_uncached_price is not null
            and (calls.cache_read_tokens = 0 or call_prices.cache_read_price is not null)
            and (calls.cache_write_tokens = 0 or call_prices.cache_write_price is not null)
            as is_cache_priced
    from calls
    inner join call_prices on call_prices.call_id = calls.call_id
),

provider_call_savings as (
    select
        *,
        case when is_cache_priced then {{ money(
            token_cost('cache_read_tokens', 'input_uncached_price') ~ ' - '
            ~ token_cost('cache_read_tokens', 'coalesce(cache_read_price, 0)')
        ) }} end as avoided_cost,
        case when is_cache_priced then {{ money(
            token_cost('cache_write_tokens', 'coalesce(cache_write_price, 0)') ~ ' - '
            ~ token_cost('cache_write_tokens', 'input_uncached_price')
        ) }} end as overhead_cost
    from provider_calls
),

provider_rows as (
    select
        cost_day,
        feature,
        prompt_template,
        'provider_prompt' as cache_type,
        count(*) as calls,
        count(*) filter (where cache_read_tokens > 0) as cache_hits,
        {{ ratio('count(*) filter (where cache_read_tokens > 0)', 'count(*)') }} as hit_rate,
        cast(sum(cache_read_tokens) as bigint) as cache_read_tokens,
        cast(sum(cache_write_tokens) as bigint) as cache_write_tokens,
        {{ ratio('sum(cache_read_tokens)', 'sum(input_uncached_tokens + cache_read_tokens + cache_write_tokens)') }}
            as cached_input_token_share,
        'call_prices' as estimate_basis,
        cast(null as decimal(38, 12)) as estimated_cost_per_hit,
        cast(null as decimal(18, 8)) as cost_per_lookup_usd,
        {{ money('coalesce(sum(avoided_cost), 0)') }} as avoided_cost,
        {{ money('coalesce(sum(overhead_cost), 0)') }} as overhead_cost,
        count(*) filter (where not is_cache_priced) as unpriced_calls
    from provider_call_savings
    group by cost_day, feature, prompt_template
    having sum(cache_read_tokens + cache_write_tokens) > 0
),

unioned as (
    select * from app_rows
    union all
    select * from provider_rows
),

final as (
    select
        cost_day,
        feature,
        prompt_template,
        cache_type,
        calls,
        cache_hits,
        hit_rate,
        cache_read_tokens,
        cache_write_tokens,
        cached_input_token_share,
        estimate_basis,
        estimated_cost_per_hit,
        cost_per_lookup_usd,
        avoided_cost,
        overhead_cost,
        {{ money('avoided_cost - overhead_cost') }} as net_savings,
        unpriced_calls
    from unioned
)

select * from final
