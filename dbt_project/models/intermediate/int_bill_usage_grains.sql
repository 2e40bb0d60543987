{{ config(materialized='table', event_time='cost_day') }}
-- Billed usage for the partition window at the finest grain the bill has: provider x billing
-- account x UTC day x model x token bucket x service tier. A bill that does not say the model or
-- the bucket carries 'unknown' there, and that part of the key matches every call (allocation then
-- falls back to the coarser grain). Models are resolved to the catalog model key, like calls'.
-- Usage-report lines (quantities, no cost) are not billed cost.
with

bill_lines as (
    select * from {{ ref('stg_raw__bill_lines') }}
    where is_usage and {{ in_window('charge_day') }}
),

aliases as (
    select * from {{ ref('stg_raw__model_aliases') }}
),

keyed as (
    select
        bill_lines.*,
        case when bill_lines.model = 'unknown' then 'unknown'
            else coalesce(aliases.model_key, bill_lines.model)
        end as model_key
    from bill_lines
    left join aliases
        on aliases.provider = bill_lines.provider
        and aliases.model_name = bill_lines.model
),

grains as (
    select
        provider,
        billing_account,
        charge_day as cost_day,
        model_key as model,
        token_bucket,
        service_tier,
        {{ money('sum(billed_cost)') }} as billed_cost,
        sum(consumed_quantity) as billed_quantity,
        count(*) as bill_lines,
        -- what the FOCUS export repeats from the grain's lines (the first, where they differ)
        min(vendor_account_id) as vendor_account_id,
        min(sku_id) as sku_id,
        min(charge_description) as charge_description,
        min(charge_period_start) as charge_period_start,
        max(charge_period_end) as charge_period_end,
        min(billing_currency) as billing_currency,
        min(nullif(consumed_unit, '')) as consumed_unit
    from keyed
    group by all
),

final as (
    select
        md5(concat_ws('|', provider, billing_account, cost_day, model, token_bucket, service_tier)) as bill_grain_id,
        *
    from grains
)

select * from final
