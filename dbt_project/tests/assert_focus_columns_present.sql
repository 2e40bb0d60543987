{{ config(meta={"dagster": {"ref": {"name": "focus_cost_and_usage"}}}) }}
-- FOCUS 1.3 columns of focus_cost_and_usage, from the database's catalog: every column the spec makes
-- Mandatory for a Cost and Usage dataset (and the Conditional ones the export supports: sub accounts, SKUs,
-- unit prices, quantities, split cost allocation) is present with its FOCUS data type (Decimal, String,
-- Date/Time), and every other column is a custom column whose name starts with "x_" (Attributes > Column
-- Naming and Ordering / Custom Column Handling: custom columns MUST be prefixed "x_"). Returns each column
-- that is missing, mistyped or unprefixed.
with

actual as (
    -- type names as the engine spells them: DuckDB VARCHAR, DECIMAL(38,12), TIMESTAMP; Spark string,
    -- decimal(38,12), timestamp
    {{ catalog_columns(ref('focus_cost_and_usage')) }}
),

expected as (
    select focus_columns.column_name, focus_columns.focus_type
    from (
        values
        {%- set decimals = ['BilledCost', 'ContractedCost', 'EffectiveCost', 'ListCost', 'ConsumedQuantity',
            'PricingQuantity', 'ListUnitPrice', 'ContractedUnitPrice'] %}
        {%- set datetimes = ['BillingPeriodEnd', 'BillingPeriodStart', 'ChargePeriodEnd', 'ChargePeriodStart'] %}
        {%- set strings = ['BillingAccountId', 'BillingAccountName', 'BillingCurrency', 'ChargeCategory',
            'ChargeClass', 'ChargeDescription', 'ChargeFrequency', 'HostProviderName', 'InvoiceId',
            'InvoiceIssuerName', 'PricingCategory', 'PricingUnit', 'ProviderName', 'PublisherName',
            'ServiceCategory', 'ServiceName', 'ServiceProviderName', 'ServiceSubcategory', 'SkuId', 'SkuMeter',
            'SkuPriceId', 'SubAccountId', 'SubAccountName', 'ConsumedUnit', 'AllocatedMethodId',
            'AllocatedResourceId', 'AllocatedResourceName', 'AllocatedTags', 'Tags', 'AvailabilityZone',
            'CommitmentDiscountCategory', 'CommitmentDiscountId', 'CommitmentDiscountName',
            'CommitmentDiscountStatus', 'CommitmentDiscountType', 'RegionId', 'RegionName', 'ResourceId',
            'ResourceName', 'ResourceType'] %}
        {%- for column in decimals %}
        ('{{ column }}', 'decimal'),
        {%- endfor %}
        {%- for column in datetimes %}
        ('{{ column }}', 'datetime'),
        {%- endfor %}
        {%- for column in strings %}
        ('{{ column }}', 'string'){{ ',' if not loop.last }}
        {%- endfor %}
    ) as focus_columns (column_name, focus_type)
),

final as (
    select
        coalesce(expected.column_name, actual.column_name) as column_name,
        expected.focus_type,
        actual.data_type,
        case
            when actual.column_name is null then 'missing: a FOCUS 1.3 column of the export'
            when expected.column_name is null and left(actual.column_name, 2) <> 'x_'
                then 'Custom Column Handling: a column the spec does not define MUST be prefixed x_'
            when expected.focus_type = 'decimal' and lower(actual.data_type) not like 'decimal%'
                then 'Numeric Format: a Decimal column MUST be an exact decimal'
            when expected.focus_type = 'datetime'
                and lower(actual.data_type) not in ('timestamp', 'timestamp with time zone', 'timestamp_ntz')
                then 'Date/Time Format: a date/time column MUST hold date/time values'
            when expected.focus_type = 'string' and lower(actual.data_type) not in ('varchar', 'string')
                then 'String Handling: a String column MUST be of type String'
        end as focus_rule
    from expected
    full outer join actual on actual.column_name = expected.column_name
)

select * from final
where focus_rule is not null
