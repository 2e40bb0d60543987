{{ config(
    severity='warn', meta={"dagster": {"ref": {"name": "focus_cost_and_usage"}}}
) }}
{%- set q = adapter.quote %}  {#- the export's PascalCase column names: "Name" on DuckDB, `Name` on Spark #}
-- Warning: usage rows of the partition window without the unit prices and quantities FOCUS asks of a
-- Usage charge that is not a correction (Columns > SkuPriceId, ListUnitPrice, ContractedUnitPrice,
-- PricingQuantity, ConsumedQuantity: "MUST NOT be null when ChargeCategory is "Usage" ... and ChargeClass is
-- not "Correction""). Expected for two kinds of rows, which the warehouse cannot price per unit: usage of a
-- model neither the catalog nor the overrides price (x_PriceSource unpriced: it was allocated by tokens), and
-- bill lines no logged call explains (x_CostKind unattributed_usage: a cost report without token quantities,
-- e.g. OpenAI's Costs API). A warning, not an error: such rows still carry the exact BilledCost.
select
    {{ q('x_OriginChargeId') }} as origin_charge_id,
    {{ q('x_CostKind') }} as cost_kind,
    {{ q('x_PriceSource') }} as price_source,
    {{ q('ListUnitPrice') }} as list_unit_price,
    {{ q('ContractedUnitPrice') }} as contracted_unit_price,
    {{ q('PricingQuantity') }} as pricing_quantity,
    {{ q('ConsumedQuantity') }} as consumed_quantity,
    {{ q('SkuPriceId') }} as sku_price_id
from {{ ref('focus_cost_and_usage') }}
where {{ in_window(q('x_ChargeDay')) }}
    and {{ q('ChargeCategory') }} = 'Usage' and {{ q('ChargeClass') }} is null
    and ({{ q('SkuPriceId') }} is null or {{ q('ListUnitPrice') }} is null
        or {{ q('ContractedUnitPrice') }} is null
        or {{ q('PricingQuantity') }} is null or {{ q('ConsumedQuantity') }} is null)
