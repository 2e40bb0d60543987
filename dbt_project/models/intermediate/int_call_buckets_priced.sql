-- One row per call x token bucket with tokens > 0 for the partition window, at the price the call
-- was served at: the 'as_served' scenario of int_call_bucket_scenarios_priced, where the pricing
-- rule lives (override valid that day, else the catalog price of the highest long-context tier
-- reached). A bucket with no price keeps list_cost null (flagged downstream), never $0.
with

scenarios as (
    select * from {{ ref('int_call_bucket_scenarios_priced') }}
),

final as (
    select
        call_id,
        call_day,
        provider,
        billing_account,
        model_name as model_served,
        model_key,
        service_tier,
        input_tokens_total,
        token_bucket,
        tokens,
        price_per_mtok,
        price_source,
        list_cost
    from scenarios
    where price_scenario = 'as_served' and tokens > 0
)

select * from final
