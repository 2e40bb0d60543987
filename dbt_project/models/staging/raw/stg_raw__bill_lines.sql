-- Vendor bill lines, FOCUS names turned into snake_case, UTC charge day.
with

source as (
    select * from {{ source('raw', 'bill_lines') }}
),

final as (
    select
        lower(trim({{ adapter.quote('ProviderName') }})) as provider,
        {{ adapter.quote('BillingAccountId') }} as vendor_account_id,
        {{ adapter.quote('SubAccountId') }} as billing_account,
        cast({{ adapter.quote('ChargePeriodStart') }} as date) as charge_day,
        {{ adapter.quote('ChargePeriodStart') }} as charge_period_start,
        {{ adapter.quote('ChargePeriodEnd') }} as charge_period_end,
        {{ adapter.quote('ChargeCategory') }} as charge_category,
        {{ adapter.quote('ChargeClass') }} as charge_class,
        {{ adapter.quote('ChargeDescription') }} as charge_description,
        {{ adapter.quote('SkuId') }} as sku_id,
        {{ adapter.quote('ConsumedQuantity') }} as consumed_quantity,
        {{ adapter.quote('ConsumedUnit') }} as consumed_unit,
        {{ adapter.quote('BilledCost') }} as billed_cost,
        {{ adapter.quote('EffectiveCost') }} as effective_cost,
        {{ adapter.quote('ListCost') }} as list_cost,
        {{ adapter.quote('BillingCurrency') }} as billing_currency,
        {{ adapter.quote('x_Model') }} as model,
        lower({{ adapter.quote('x_TokenBucket') }}) as token_bucket,
        lower({{ adapter.quote('x_ServiceTier') }}) as service_tier,
        {{ adapter.quote('x_ChargeSource') }} as charge_source,
        -- usage-report lines (vendor usage APIs) carry quantities, not cost
        {{ adapter.quote('x_ChargeSource') }} = 'usage_report' as is_usage_report,
        -- usage lines are allocated onto calls; credits, refunds and corrections stay visible lines
        ({{ adapter.quote('ChargeCategory') }} = 'Usage'
            and coalesce({{ adapter.quote('ChargeClass') }}, '') <> 'Correction'
            and {{ adapter.quote('x_ChargeSource') }} <> 'usage_report') as is_usage,
        _file_id as source_file_id,
        _line as source_line
    from source
)

select * from final
