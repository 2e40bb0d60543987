{{ config(event_time='call_day') }}
-- One row per call x token bucket with tokens > 0 for the partition window, at the price the call
-- was served at: the 'as_served' scenario of int_call_bucket_scenarios_priced, where the pricing
-- rule lives (override valid that day, else the catalog price of the highest long-context tier
-- reached), one row per bucket instead of one column per bucket. A bucket with no price keeps
-- list_cost null (flagged downstream), never $0.
with

served as (
    select * from {{ ref('int_call_bucket_scenarios_priced') }}
    where price_scenario = 'as_served'
),

final as (
    {% for bucket in token_buckets() -%}
    select
        call_id,
        call_day,
        provider,
        billing_account,
        model_name as model_served,
        model_key,
        service_tier,
        input_tokens_total,
        '{{ bucket }}' as token_bucket,
        {{ bucket }}_tokens as tokens,
        {{ bucket }}_price_per_mtok as price_per_mtok,
        {{ bucket }}_price_source as price_source,
        {{ bucket }}_catalog_price_per_mtok as catalog_price_per_mtok,
        {{ bucket }}_list_cost as list_cost
    from served
    where {{ bucket }}_tokens > 0
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}
)

select * from final
