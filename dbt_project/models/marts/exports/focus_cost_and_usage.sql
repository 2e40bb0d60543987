{{
    config(
        **incremental_by_day('x_ChargeDay')
    )
}}
{%- set q = adapter.quote %}  {#- the FOCUS column names are PascalCase: "Name" on DuckDB, `Name` on Spark #}
{#- The origin bill line's columns, the same for its allocated charges and for an unattributed line. -#}
{%- set usage_line_columns = [
    'bill_grains.bill_grain_id as origin_charge_id', 'bill_grains.provider', 'bill_grains.vendor_account_id',
    'bill_grains.billing_account', 'bill_grains.cost_day', 'bill_grains.charge_period_start',
    'bill_grains.charge_period_end', "'Usage' as charge_category", 'cast(null as string) as charge_class',
    'bill_grains.charge_description', 'bill_grains.sku_id', 'bill_grains.billing_currency', 'bill_grains.model',
    'bill_grains.token_bucket', 'bill_grains.service_tier',
] %}
-- The attributed cost as a FOCUS 1.3 Cost and Usage dataset (docs/focus_export.md): one row per charge
-- period x bill line x tenant x feature x prompt template x the calls' model and token bucket (x their
-- unit price), exported by `finops export focus`. Rule, in plain words: every billed usage line (an
-- origin charge, int_bill_usage_grains) that the warehouse allocated onto calls becomes its allocated
-- charges (FOCUS "data generator-calculated split cost allocation"): one row per allocation target,
-- BilledCost = the target's share of the line (int_bill_grains_allocated), so BilledCost sums to every
-- bill line, and so to every invoice, exactly. A usage line no logged call explains stays one unsplit
-- row (x_CostKind unattributed_usage, null Allocated* columns), and so do credits, refunds, taxes and
-- corrections (their own ChargeCategory / ChargeClass). Only billed periods are exported: a call of a
-- provider-day without a bill yet has only an estimate (fct_cost_daily), which is not a FOCUS
-- BilledCost; its day enters the export when the bill arrives and the day is rebuilt. Dimension columns
-- repeat the origin line; ListCost / ContractedCost / quantities are the calls' (tokens x catalog list
-- price / x the price the calls were priced at, a negotiated override where one applies). Incremental
-- by UTC charge day (x_ChargeDay), like fct_cost_daily.
with

allocated as (
    select * from {{ ref('int_bill_grains_allocated') }}
),

bill_grains as (
    select * from {{ ref('int_bill_usage_grains') }}
    where {{ in_window('cost_day') }}
),

unattributed_grains as (
    select * from {{ ref('int_bill_allocation_grains') }}
    where allocated_at = 'unattributed'
),

other_lines as (
    select * from {{ ref('stg_raw__bill_lines') }}
    where not is_usage and not is_usage_report and {{ in_window('charge_day') }}
),

reconciliation as (
    select * from {{ ref('int_reconciliation_days') }}
    where {{ in_window('period_start') }}
),

allocated_charges as (
    -- the allocated charges: a billed usage grain x an allocation target
    select
        {{ usage_line_columns | join(',\n        ') }},
        'usage' as cost_kind,
        allocated.allocated_at,
        case when allocated.is_token_share then 'token_share' else 'list_cost_share' end as allocation_basis,
        allocated.tenant_id,
        allocated.feature,
        allocated.prompt_template,
        allocated.call_model,
        allocated.call_token_bucket,
        allocated.price_source,
        allocated.calls,
        allocated.billed_cost,
        {{ money('allocated.catalog_price_per_mtok') }} as list_unit_price,
        {{ money('allocated.contracted_price_per_mtok') }} as contracted_unit_price,
        case when allocated.catalog_price_per_mtok is not null
            then {{ token_cost('allocated.tokens', 'allocated.catalog_price_per_mtok') }}
        end as list_cost,
        case when allocated.contracted_price_per_mtok is not null
            then {{ token_cost('allocated.tokens', 'allocated.contracted_price_per_mtok') }}
        end as contracted_cost,
        cast(allocated.tokens as decimal(38, 6)) as consumed_quantity,
        'Tokens' as consumed_unit
    from allocated
    inner join bill_grains on bill_grains.bill_grain_id = allocated.bill_grain_id
),

unattributed_charges as (
    -- billed usage no logged call of its provider-day explains: the line, unsplit
    select
        {{ usage_line_columns | join(',\n        ') }},
        'unattributed_usage' as cost_kind,
        unattributed_grains.allocated_at,
        cast(null as string) as allocation_basis,
        'unattributed' as tenant_id,
        'unattributed' as feature,
        'unattributed' as prompt_template,
        bill_grains.model as call_model,
        bill_grains.token_bucket as call_token_bucket,
        'bill' as price_source,
        0 as calls,
        bill_grains.billed_cost,
        cast(null as decimal(38, 12)) as list_unit_price,
        cast(null as decimal(38, 12)) as contracted_unit_price,
        bill_grains.billed_cost as list_cost,
        bill_grains.billed_cost as contracted_cost,
        cast(bill_grains.billed_quantity as decimal(38, 6)) as consumed_quantity,
        case when bill_grains.billed_quantity is not null then coalesce(bill_grains.consumed_unit, 'Tokens') end
            as consumed_unit
    from unattributed_grains
    inner join bill_grains on bill_grains.bill_grain_id = unattributed_grains.bill_grain_id
),

other_charges as (
    -- credits, refunds, taxes, adjustments and corrections: the lines as billed, summed per line key
    select
        md5(concat_ws(
            '|', 'other', provider, vendor_account_id, billing_account, charge_period_start, charge_period_end,
            charge_category, charge_class, sku_id, charge_description, model, token_bucket, service_tier
        )) as origin_charge_id,
        provider,
        vendor_account_id,
        billing_account,
        charge_day as cost_day,
        charge_period_start,
        charge_period_end,
        charge_category,
        nullif(charge_class, '') as charge_class,
        charge_description,
        sku_id,
        billing_currency,
        model,
        token_bucket,
        service_tier,
        {{ bill_cost_kind('charge_category', 'charge_class') }} as cost_kind,
        'not_allocated' as allocated_at,
        cast(null as string) as allocation_basis,
        'unattributed' as tenant_id,
        'unattributed' as feature,
        'unattributed' as prompt_template,
        model as call_model,
        token_bucket as call_token_bucket,
        'bill' as price_source,
        0 as calls,
        {{ money('sum(billed_cost)') }} as billed_cost,
        cast(null as decimal(38, 12)) as list_unit_price,
        cast(null as decimal(38, 12)) as contracted_unit_price,
        {{ money('sum(billed_cost)') }} as list_cost,
        {{ money('sum(billed_cost)') }} as contracted_cost,
        cast(null as decimal(38, 6)) as consumed_quantity,
        cast(null as string) as consumed_unit
    from other_lines
    group by all
),

charges as (
    select * from allocated_charges
    union all
    select * from unattributed_charges
    union all
    select * from other_charges
),

focus as (
    select
        charges.*,
        charges.charge_category in ('Usage', 'Purchase') and charges.charge_class is null as is_priced_charge,
        {{ focus_service_provider_name('charges.provider', 'charges.model') }} as service_provider_name,
        coalesce(nullif(charges.sku_id, 'unknown'), concat_ws(':', charges.model, charges.token_bucket,
            charges.service_tier)) as sku,
        charges.allocation_basis is not null as is_allocated
    from charges
),

final as (
    select
        -- FOCUS 1.3 Cost and Usage columns (column by column: _exports__models.yml)
        case when focus.is_allocated then focus.allocation_basis || '/' || focus.allocated_at end
            as {{ q('AllocatedMethodId') }},
        case when focus.is_allocated
            then concat_ws('/', focus.tenant_id, focus.feature, focus.prompt_template)
        end as {{ q('AllocatedResourceId') }},
        case when focus.is_allocated
            then 'tenant ' || focus.tenant_id || ', feature ' || focus.feature
                || ', prompt template ' || focus.prompt_template
        end as {{ q('AllocatedResourceName') }},
        case when focus.is_allocated
            then cast({{ json_object([
                ('aispend/tenant_id', 'focus.tenant_id'),
                ('aispend/feature', 'focus.feature'),
                ('aispend/prompt_template', 'focus.prompt_template'),
            ]) }} as string)
        end as {{ q('AllocatedTags') }},
        cast(null as string) as {{ q('AvailabilityZone') }},
        focus.billed_cost as {{ q('BilledCost') }},
        focus.vendor_account_id as {{ q('BillingAccountId') }},
        focus.vendor_account_id as {{ q('BillingAccountName') }},
        focus.billing_currency as {{ q('BillingCurrency') }},
        cast(date_trunc('month', focus.charge_period_start) as timestamp) as {{ q('BillingPeriodStart') }},
        cast(date_trunc('month', focus.charge_period_start) + interval 1 month as timestamp)
            as {{ q('BillingPeriodEnd') }},
        focus.charge_category as {{ q('ChargeCategory') }},
        focus.charge_class as {{ q('ChargeClass') }},
        focus.charge_description as {{ q('ChargeDescription') }},
        case when focus.charge_category = 'Usage' then 'Usage-Based' else 'One-Time' end as {{ q('ChargeFrequency') }},
        focus.charge_period_end as {{ q('ChargePeriodEnd') }},
        focus.charge_period_start as {{ q('ChargePeriodStart') }},
        cast(null as string) as {{ q('CommitmentDiscountCategory') }},
        cast(null as string) as {{ q('CommitmentDiscountId') }},
        cast(null as string) as {{ q('CommitmentDiscountName') }},
        cast(null as string) as {{ q('CommitmentDiscountStatus') }},
        cast(null as string) as {{ q('CommitmentDiscountType') }},
        focus.consumed_quantity as {{ q('ConsumedQuantity') }},
        focus.consumed_unit as {{ q('ConsumedUnit') }},
        coalesce(focus.contracted_cost, focus.billed_cost) as {{ q('ContractedCost') }},
        focus.contracted_unit_price as {{ q('ContractedUnitPrice') }},
        focus.billed_cost as {{ q('EffectiveCost') }},
        {{ focus_provider_name('focus.provider', 'host_provider') }} as {{ q('HostProviderName') }},
        cast(null as string) as {{ q('InvoiceId') }},
        {{ focus_provider_name('focus.provider', 'invoice_issuer') }} as {{ q('InvoiceIssuerName') }},
        coalesce(focus.list_cost, focus.contracted_cost, focus.billed_cost) as {{ q('ListCost') }},
        focus.list_unit_price as {{ q('ListUnitPrice') }},
        case when focus.is_priced_charge then 'Standard' end as {{ q('PricingCategory') }},
        case when focus.consumed_unit = 'Tokens'
            then focus.consumed_quantity * cast(0.000001 as decimal(7, 6))
        end as {{ q('PricingQuantity') }},
        case when focus.consumed_unit = 'Tokens' then '1000000 Tokens' end as {{ q('PricingUnit') }},
        focus.service_provider_name as {{ q('ProviderName') }},
        focus.service_provider_name as {{ q('PublisherName') }},
        cast(null as string) as {{ q('RegionId') }},
        cast(null as string) as {{ q('RegionName') }},
        cast(null as string) as {{ q('ResourceId') }},
        cast(null as string) as {{ q('ResourceName') }},
        cast(null as string) as {{ q('ResourceType') }},
        'AI and Machine Learning' as {{ q('ServiceCategory') }},
        {{ focus_provider_name('focus.provider', 'service_name') }} as {{ q('ServiceName') }},
        focus.service_provider_name as {{ q('ServiceProviderName') }},
        'Generative AI' as {{ q('ServiceSubcategory') }},
        case when focus.charge_category <> 'Tax' then focus.sku end as {{ q('SkuId') }},
        case when focus.charge_category <> 'Tax' then {{ focus_sku_meter('focus.token_bucket') }} end
            as {{ q('SkuMeter') }},
        case when focus.is_priced_charge then focus.sku end as {{ q('SkuPriceId') }},
        focus.billing_account as {{ q('SubAccountId') }},
        focus.billing_account as {{ q('SubAccountName') }},
        cast(null as string) as {{ q('Tags') }},
        -- extensions (FOCUS custom columns: x_ prefix)
        focus.provider as {{ q('x_Provider') }},
        focus.cost_day as {{ q('x_ChargeDay') }},
        focus.origin_charge_id as {{ q('x_OriginChargeId') }},
        focus.cost_kind as {{ q('x_CostKind') }},
        focus.allocated_at as {{ q('x_AllocatedAt') }},
        focus.model as {{ q('x_Model') }},
        focus.token_bucket as {{ q('x_TokenBucket') }},
        focus.service_tier as {{ q('x_ServiceTier') }},
        focus.tenant_id as {{ q('x_TenantId') }},
        focus.feature as {{ q('x_Feature') }},
        focus.prompt_template as {{ q('x_PromptTemplate') }},
        focus.call_model as {{ q('x_CallModel') }},
        focus.call_token_bucket as {{ q('x_CallTokenBucket') }},
        focus.price_source as {{ q('x_PriceSource') }},
        focus.calls as {{ q('x_Calls') }},
        coalesce(reconciliation.reconciliation_status, 'not_built') as {{ q('x_ReconciliationStatus') }}
    from focus
    left join reconciliation
        on reconciliation.provider = focus.provider
        and reconciliation.period_start = focus.cost_day
        and reconciliation.billing_account in (focus.billing_account, 'all_accounts')
)

select * from final
