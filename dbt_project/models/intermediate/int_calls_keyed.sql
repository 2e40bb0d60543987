{{ config(**by_day('call_day')) }}
-- Logged calls of the partition window with the served model resolved to its catalog model
-- (model_key: the company's alias, the catalog id, or the name itself when neither knows it), and the
-- billing account filled from the company's account map (config dir account_map.csv: a call field's
-- value -> vendor account; first matching row wins) where the log does not carry it. A table of the
-- window's calls, so the deduplication of stg_raw__calls runs once per build, not once per reader.
with

calls as (
    select * from {{ ref('stg_raw__calls') }}
    where {{ in_window('call_day') }}
),

aliases as (
    select * from {{ ref('stg_raw__model_aliases') }}
),

account_map as (
    select * from {{ ref('stg_config__account_map') }}
),

mapped_accounts as (
    select
        calls.call_id,
        calls.call_day,
        {{ arg_min('account_map.billing_account', 'account_map.map_line') }} as billing_account
    from calls
    inner join account_map
        on account_map.provider in ('*', calls.provider)
        and account_map.value = case account_map.field
            when 'model_requested' then calls.model_requested
            when 'model_served' then calls.model_served
            when 'region' then calls.region
            when 'environment' then calls.environment
            when 'tenant_id' then calls.tenant_id
            when 'user_id' then calls.user_id
            when 'feature' then calls.feature
            when 'prompt_template' then calls.prompt_template
            else {{ json_field('calls.extra', 'substr(account_map.field, 7)') }}
        end
    where calls.billing_account = 'unknown'
    group by calls.call_id, calls.call_day
),

final as (
    select
        -- the columns of stg_raw__calls in its order, the billing account filled from the account map
        calls.call_id,
        calls.started_at,
        calls.call_day,
        calls.latency_ms,
        calls.provider,
        coalesce(mapped_accounts.billing_account, calls.billing_account) as billing_account,
        calls.model_requested,
        calls.model_served,
        calls.environment,
        calls.region,
        calls.tenant_id,
        calls.user_id,
        calls.feature,
        calls.prompt_template,
        calls.prompt_version,
        calls.service_tier,
        calls.cache_outcome,
        calls.routing_decision,
        calls.input_uncached_tokens,
        calls.cache_read_tokens,
        calls.cache_write_tokens,
        calls.output_tokens,
        calls.reasoning_tokens,
        calls.status,
        calls.extra,
        calls.source_file_id,
        calls.source_line,
        coalesce(aliases.model_key, calls.model_served) as model_key,
        aliases.catalog_model is not null as is_catalog_model
    from calls
    left join aliases
        on aliases.provider = calls.provider
        and aliases.model_name = calls.model_served
    left join mapped_accounts
        on mapped_accounts.call_id = calls.call_id
        and mapped_accounts.call_day = calls.call_day
)

select * from final
