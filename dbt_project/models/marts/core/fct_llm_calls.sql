{{ config(**by_day('call_day', history=true)) }}
-- One row per logged call, priced. list_cost = tokens x list price (null when any bucket has no
-- price: such calls are flagged, never priced at $0). attributed_cost = the call's share of the
-- vendor bill (attributed_billed_cost) or, while its provider-day has no bill yet, its list cost as
-- an estimate (attributed_estimated_cost); never both (int_call_buckets_allocated). Incremental by
-- UTC day: a run replaces the days of its partition window.
with

calls as (
    select * from {{ ref('int_calls_keyed') }}
),

buckets as (
    select * from {{ ref('int_call_buckets_allocated') }}
),

per_call as (
    select
        call_id,
        {{ money('sum(list_cost)') }} as priced_list_cost,
        count(*) filter (where list_cost is null) as unpriced_buckets,
        count(*) filter (where allocation_status = 'no_bill_line') as unbilled_buckets,
        count(*) filter (where allocation_status = 'bill') as billed_buckets,
        count(*) as buckets,
        {{ money('sum(attributed_billed_cost)') }} as attributed_billed_cost,
        {{ money('sum(attributed_estimated_cost)') }} as attributed_estimated_cost
    from buckets
    group by call_id
),

final as (
    select
        calls.call_id,
        calls.call_day,
        calls.started_at,
        calls.latency_ms,
        calls.provider,
        calls.billing_account,
        calls.model_requested,
        calls.model_served,
        calls.model_key,
        calls.is_catalog_model,
        calls.environment,
        calls.region,
        calls.tenant_id,
        calls.user_id,
        calls.feature,
        calls.prompt_template,
        calls.prompt_version,
        calls.service_tier,
        calls.service_tier = 'batch' as is_batch,
        calls.cache_outcome,
        calls.routing_decision,
        calls.status,
        calls.input_uncached_tokens,
        calls.cache_read_tokens,
        calls.cache_write_tokens,
        calls.output_tokens,
        calls.reasoning_tokens,
        calls.input_uncached_tokens + calls.cache_read_tokens + calls.cache_write_tokens
            + calls.output_tokens as total_tokens,
        coalesce(per_call.unpriced_buckets, 0) = 0 as is_priced,
        case when coalesce(per_call.unpriced_buckets, 0) = 0
            then coalesce(per_call.priced_list_cost, {{ money(0) }})
        end as list_cost,
        coalesce(per_call.attributed_billed_cost, {{ money(0) }}) as attributed_billed_cost,
        coalesce(per_call.attributed_estimated_cost, {{ money(0) }}) as attributed_estimated_cost,
        {{ money('coalesce(per_call.attributed_billed_cost, 0) + coalesce(per_call.attributed_estimated_cost, 0)') }}
            as attributed_cost,
        case
            when per_call.call_id is null then 'no_provider_tokens'
            when per_call.unpriced_buckets > 0 then 'unpriced'
            when per_call.unbilled_buckets = per_call.buckets then 'estimated'
            when per_call.billed_buckets = 0 then 'not_billed'
            when per_call.billed_buckets < per_call.buckets then 'partly_billed'
            else 'billed'
        end as attribution_status,
        calls.source_file_id,
        calls.source_line
    from calls
    left join per_call on per_call.call_id = calls.call_id
)

select * from final
