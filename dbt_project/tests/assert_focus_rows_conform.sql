{{ config(meta={"dagster": {"ref": {"name": "focus_cost_and_usage"}}}) }}
{%- set q = adapter.quote %}  {#- the export's PascalCase column names: "Name" on DuckDB, `Name` on Spark #}
-- FOCUS 1.3 Cost and Usage requirements on the values of the export (focus_cost_and_usage), for the rows
-- of the partition window: each violation is a row naming the requirement it breaks (`focus_rule`: the
-- spec's section > the normative sentence), with the origin charge and the allocation target. The
-- focus-validator release that runs on Python 3.11 checks FOCUS 1.0 only; these are the 1.3 rules (and
-- the 1.0 rules it has no check for) the export promises. Column presence, names and types:
-- assert_focus_columns_present; provider names: assert_focus_provider_names.
{%- set mandatory = ['BilledCost', 'BillingAccountId', 'BillingCurrency', 'BillingPeriodEnd', 'BillingPeriodStart',
    'ChargeCategory', 'ChargePeriodEnd', 'ChargePeriodStart', 'ContractedCost', 'EffectiveCost', 'InvoiceIssuerName',
    'ListCost', 'ProviderName', 'PublisherName', 'ServiceCategory', 'ServiceName', 'ServiceSubcategory'] %}
{%- set service_categories = ['AI and Machine Learning', 'Analytics', 'Business Applications', 'Compute',
    'Databases', 'Developer Tools', 'Multicloud', 'Identity', 'Integration', 'Internet of Things',
    'Management and Governance', 'Media', 'Migration', 'Mobile', 'Networking', 'Security', 'Storage', 'Web',
    'Other'] %}
{%- set ai_subcategories = ['AI Platforms', 'Bots', 'Generative AI', 'Machine Learning',
    'Natural Language Processing', 'Other (AI and Machine Learning)'] %}
with

export as (
    select * from {{ ref('focus_cost_and_usage') }}
    where {{ in_window(q('x_ChargeDay')) }}
),

checks as (
    select
        {{ q('x_OriginChargeId') }} as origin_charge_id,
        {{ q('x_TenantId') }} as tenant_id,
        {{ q('x_Feature') }} as feature,
        {{ q('x_PromptTemplate') }} as prompt_template,
        {% call list_of() -%}
            {%- for column in mandatory %}
            case when {{ q(column) }} is null then 'Columns > {{ column }}: {{ column }} MUST NOT be null' end,
            {%- endfor %}
            -- allowed values
            case when {{ q('ChargeCategory') }} not in (
                {%- for value in var('charge_categories') %}
                '{{ value }}'{{ ',' if not loop.last }}
                {%- endfor %}
            )
                then 'Columns > ChargeCategory: ChargeCategory MUST be one of the allowed values' end,
            case when {{ q('ChargeClass') }} <> 'Correction'
                then 'Columns > ChargeClass: ChargeClass MUST be "Correction" when ChargeClass is not null' end,
            case when {{ q('ChargeFrequency') }} not in ('One-Time', 'Recurring', 'Usage-Based')
                then 'Columns > ChargeFrequency: ChargeFrequency MUST be one of the allowed values' end,
            case when {{ q('ChargeCategory') }} = 'Purchase' and {{ q('ChargeFrequency') }} = 'Usage-Based'
                then 'Columns > ChargeFrequency: ChargeFrequency MUST NOT be "Usage-Based" '
                || 'when ChargeCategory is "Purchase"' end,
            case when {{ q('ServiceCategory') }} not in (
                {%- for value in service_categories %}
                '{{ value }}'{{ ',' if not loop.last }}
                {%- endfor %}
            )
                then 'Columns > ServiceCategory: ServiceCategory MUST be one of the allowed values' end,
            case when {{ q('ServiceCategory') }} = 'AI and Machine Learning'
                and {{ q('ServiceSubcategory') }} not in (
                    {%- for value in ai_subcategories %}
                    '{{ value }}'{{ ',' if not loop.last }}
                    {%- endfor %}
                )
                then 'Columns > ServiceSubcategory: ServiceSubcategory MUST have one and only one parent '
                || 'ServiceCategory as specified in the allowed values' end,
            case when {{ q('PricingCategory') }} not in ('Standard', 'Dynamic', 'Committed', 'Other')
                then 'Columns > PricingCategory: PricingCategory MUST be one of the allowed values' end,
            -- nullability that depends on ChargeCategory / ChargeClass
            case when {{ q('ChargeCategory') }} = 'Tax' and coalesce(
                {{ q('PricingCategory') }}, {{ q('SkuId') }}, {{ q('SkuPriceId') }},
                cast({{ q('PricingQuantity') }} as string),
                cast({{ q('ListUnitPrice') }} as string), cast({{ q('ContractedUnitPrice') }} as string)
            ) is not null
                then 'Columns > PricingCategory, SkuId, SkuPriceId, PricingQuantity, ListUnitPrice, '
                || 'ContractedUnitPrice: MUST be null when ChargeCategory is "Tax"' end,
            case when {{ q('ChargeCategory') }} in ('Usage', 'Purchase') and {{ q('ChargeClass') }} is null
                and ({{ q('PricingCategory') }} is null or {{ q('SkuId') }} is null)
                then 'Columns > PricingCategory, SkuId: MUST NOT be null when ChargeCategory is "Usage" or '
                || '"Purchase" and ChargeClass is not "Correction"' end,
            case when {{ q('SubAccountId') }} is not null and {{ q('SubAccountName') }} is null
                then 'Columns > SubAccountName: SubAccountName MUST NOT be null when SubAccountId is not null' end,
            -- Currency Code Format: ISO 4217 three-letter alphabetic code
            case when not ({{ regexp_full_match(q('BillingCurrency'), '[A-Z]{3}') }})
                then 'Attributes > Currency Code Format: BillingCurrency MUST be a three-letter alphabetic '
                || 'code (ISO 4217)' end,
            -- Date/Time Format and the periods: UTC days, a charge period within its billing period
            case when not ({{ q('ChargePeriodStart') }} < {{ q('ChargePeriodEnd') }})
                then 'Columns > ChargePeriodEnd: ChargePeriodEnd MUST be after ChargePeriodStart (exclusive end)' end,
            case when not (
                {{ q('BillingPeriodStart') }} <= {{ q('ChargePeriodStart') }}
                and {{ q('ChargePeriodEnd') }} <= {{ q('BillingPeriodEnd') }}
            )
                then 'Columns > BillingPeriodStart, BillingPeriodEnd: the charge period MUST fall within its '
                || 'billing period' end,
            case when cast({{ q('x_ChargeDay') }} as timestamp) <> {{ q('ChargePeriodStart') }}
                then 'Attributes > Date/Time Format: charge periods MUST be UTC days (x_ChargeDay = '
                || 'ChargePeriodStart)' end,
            -- quantities and units
            case when ({{ q('ConsumedQuantity') }} is null) <> ({{ q('ConsumedUnit') }} is null)
                then 'Columns > ConsumedUnit: ConsumedUnit MUST be null when ConsumedQuantity is null and MUST '
                || 'NOT be null otherwise' end,
            case when {{ q('ChargeCategory') }} <> 'Usage' and {{ q('ConsumedQuantity') }} is not null
                then 'Columns > ConsumedQuantity: ConsumedQuantity MUST be null when ChargeCategory is not '
                || '"Usage"' end,
            case when {{ q('x_CostKind') }} = 'usage' and {{ q('ConsumedUnit') }} is distinct from 'Tokens'
                then 'Columns > ConsumedUnit: allocated token usage is consumed in Tokens' end,
            case when ({{ q('PricingQuantity') }} is null) <> ({{ q('PricingUnit') }} is null)
                then 'Columns > PricingUnit: PricingUnit MUST be null when PricingQuantity is null and MUST NOT '
                || 'be null otherwise' end,
            -- costs and unit prices
            case when {{ q('ChargeClass') }} is null
                and {{ q('ListCost') }} <> {{ q('ListUnitPrice') }} * {{ q('PricingQuantity') }}
                then 'Columns > ListUnitPrice: the product of ListUnitPrice and PricingQuantity MUST match '
                || 'the ListCost' end,
            case when {{ q('ChargeClass') }} is null
                and {{ q('ContractedCost') }} <> {{ q('ContractedUnitPrice') }} * {{ q('PricingQuantity') }}
                then 'Columns > ContractedUnitPrice: the product of ContractedUnitPrice and PricingQuantity '
                || 'MUST match the ContractedCost' end,
            case when {{ q('ListUnitPrice') }} < 0 or {{ q('ContractedUnitPrice') }} < 0
                then 'Columns > ListUnitPrice, ContractedUnitPrice: MUST be a non-negative decimal value' end,
            case when {{ q('x_PriceSource') }} = 'catalog' and {{ q('ContractedCost') }} <> {{ q('ListCost') }}
                then 'Columns > ContractedCost: ContractedCost MUST equal ListCost when no negotiated pricing '
                || 'terms apply' end,
            case when {{ q('ChargeCategory') }} = 'Credit'
                and ({{ q('ContractedCost') }} <> {{ q('BilledCost') }} or {{ q('ListCost') }} <> {{ q('BilledCost') }})
                then 'Columns > ContractedCost, ListCost: MUST equal (match) BilledCost when ChargeCategory is '
                || '"Credit"' end,
            case when {{ q('EffectiveCost') }} <> {{ q('BilledCost') }}
                then 'Columns > EffectiveCost: no amortized purchase or commitment discount applies, so '
                || 'EffectiveCost MUST match BilledCost' end,
            -- Allocated* (new in 1.3): data generator-calculated split cost allocation
            case when ({{ q('AllocatedMethodId') }} is null)
                <> ({{ q('x_AllocatedAt') }} in ('unattributed', 'not_allocated'))
                then 'Columns > AllocatedMethodId: MUST be null when a charge is not related to a split cost '
                || 'allocation and MUST NOT be null when it is' end,
            case when ({{ q('AllocatedResourceId') }} is null) <> ({{ q('AllocatedMethodId') }} is null)
                or ({{ q('AllocatedResourceName') }} is null) <> ({{ q('AllocatedResourceId') }} is null)
                then 'Columns > AllocatedResourceId, AllocatedResourceName: MUST NOT be null for the allocated '
                || 'portion of an origin charge, null otherwise' end,
            case when ({{ q('AllocatedTags') }} is null) <> ({{ q('AllocatedMethodId') }} is null)
                then 'Columns > AllocatedTags: AllocatedTags MUST be null when a charge is not related to a '
                || 'split cost allocation' end,
            case when {{ q('AllocatedMethodId') }} not in (
                {%- for basis in ['list_cost_share', 'token_share'] %}
                {%- set outer = loop %}
                {%- for level in range(5) %}
                '{{ basis }}/' || {{ allocated_at(level) }}{{ ',' if not (outer.last and loop.last) }}
                {%- endfor %}
                {%- endfor %}
            ) then 'Columns > AllocatedMethodId: the allocation method MUST be documented '
                || '(docs/focus_export.md)' end,
            case when not ({{ json_object_keys_are(
                q('AllocatedTags'), ['aispend/feature', 'aispend/prompt_template', 'aispend/tenant_id']
            ) }}) then 'Columns > AllocatedTags: AllocatedTags MUST conform to KeyValueFormat; data '
                || 'generator-defined tag keys MUST be prefixed' end
        {%- endcall %} as rules
    from export
),

row_rules as (
    select
        origin_charge_id,
        tenant_id,
        feature,
        prompt_template,
        {{ unnest_non_null('rules') }} as focus_rule
    from checks
),

origin_dimensions as (
    select distinct
        {{ q('x_OriginChargeId') }} as origin_charge_id,
        {%- for column in ['BillingAccountId', 'BillingCurrency', 'BillingPeriodStart', 'ChargeCategory', 'ChargeClass',
            'ChargeDescription', 'ChargePeriodStart', 'ChargePeriodEnd', 'HostProviderName', 'InvoiceIssuerName',
            'ServiceName', 'ServiceProviderName', 'SkuId', 'SkuMeter', 'SubAccountId', 'x_Model', 'x_TokenBucket',
            'x_ServiceTier'] %}
        {{ q(column) }}{{ ',' if not loop.last }}
        {%- endfor %}
    from export
),

origin_rules as (
    -- Data Generator-Calculated Split Cost Allocation Handling: FOCUS column values in allocated charges
    -- MUST match the corresponding value in the origin charge when the column represents a dimension
    select
        origin_charge_id,
        '' as tenant_id,
        '' as feature,
        '' as prompt_template,
        'Attributes > Data Generator-Calculated Split Cost Allocation Handling: dimension values in '
        || 'allocated charges MUST match the origin charge' as focus_rule
    from origin_dimensions
    group by origin_charge_id
    having count(*) > 1
),

final as (
    select * from row_rules
    union all
    select * from origin_rules
)

select * from final
