-- Vendor bill lines, FOCUS names turned into snake_case, UTC charge day.
with

source as (
    select * from {{ source('raw', 'bill_lines') }}
),

final as (
    select
        lower(trim("ProviderName")) as provider,
        "BillingAccountId" as vendor_account_id,
        "SubAccountId" as billing_account,
        cast("ChargePeriodStart" as date) as charge_day,
        "ChargePeriodStart" as charge_period_start,
        "ChargePeriodEnd" as charge_period_end,
        "ChargeCategory" as charge_category,
        "ChargeClass" as charge_class,
        "ChargeDescription" as charge_description,
        "SkuId" as sku_id,
        "ConsumedQuantity" as consumed_quantity,
        "ConsumedUnit" as consumed_unit,
        "BilledCost" as billed_cost,
        "EffectiveCost" as effective_cost,
        "ListCost" as list_cost,
        "BillingCurrency" as billing_currency,
        "x_Model" as model,
        lower("x_TokenBucket") as token_bucket,
        lower("x_ServiceTier") as service_tier,
        "x_ChargeSource" as charge_source,
        -- usage-report lines (vendor usage APIs) carry quantities, not cost
        "x_ChargeSource" = 'usage_report' as is_usage_report,
        -- usage lines are allocated onto calls; credits, refunds and corrections stay visible lines
        ("ChargeCategory" = 'Usage' and coalesce("ChargeClass", '') <> 'Correction'
            and "x_ChargeSource" <> 'usage_report') as is_usage,
        _file_id as source_file_id,
        _line as source_line
    from source
)

select * from final
