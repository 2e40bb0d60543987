{{ config(event_time='call_day') }}
-- Logged calls, cleaned: one row per call_id and UTC day (a call logged twice, in two files or twice
-- in one, keeps its first loaded copy), lower-cased provider, served model defaulting to the
-- requested one, UTC day. Renames and casts only; pricing happens in intermediate.
-- The copies of a call share its start time, so duplicates are looked for within the UTC day: a
-- filter on call_day then reaches the raw scan, and a daily run reads its own days, not history.
with

-- not materialized: read twice below, DuckDB would otherwise scan every raw call, all columns, into
-- the CTE before a reader's day filter applies (day 31 of 30M calls: 1.0-1.4 s -> 0.55 s; inlined,
-- the filter prunes the scan to the day's row groups)
source as {{ not_materialized() }} (
    select *, cast(started_at as date) as call_day
    from {{ source('raw', 'calls') }}
),

duplicated_keys as (
    -- the few (call_day, call_id) logged more than once, each with the identity of its first loaded
    -- copy; found on the narrow key columns, so the wide rows are never sorted or windowed
    select
        call_day,
        call_id,
        min((_loaded_at, _file_id, _line)) as first_copy
    from source
    group by call_day, call_id
    having count(*) > 1
),

deduplicated as (
    select source.*
    from source
    left join duplicated_keys
        on duplicated_keys.call_day = source.call_day
        and duplicated_keys.call_id = source.call_id
    where duplicated_keys.call_id is null
        or (source._loaded_at, source._file_id, source._line) = duplicated_keys.first_copy
),

final as (
    select
        call_id,
        started_at,
        call_day,
        latency_ms,
        lower(trim(provider)) as provider,
        billing_account,
        model_requested,
        coalesce(model_served, model_requested) as model_served,
        lower(environment) as environment,
        region,
        tenant_id,
        user_id,
        feature,
        prompt_template,
        prompt_version,
        lower(service_tier) as service_tier,
        lower(cache_outcome) as cache_outcome,
        lower(routing_decision) as routing_decision,
        input_uncached_tokens,
        cache_read_tokens,
        cache_write_tokens,
        output_tokens,
        reasoning_tokens,
        lower(status) as status,
        extra,
        _file_id as source_file_id,
        _line as source_line
    from deduplicated
)

select * from final
