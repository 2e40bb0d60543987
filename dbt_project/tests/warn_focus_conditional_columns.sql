{{ config(
    enabled=target.type != "spark", severity='warn', meta={"dagster": {"ref": {"name": "focus_cost_and_usage"}}}
) }}
-- Warning: usage rows of the partition window without the unit prices and quantities FOCUS asks of a
-- Usage charge that is not a correction (Columns > SkuPriceId, ListUnitPrice, ContractedUnitPrice,
-- PricingQuantity, ConsumedQuantity: "MUST NOT be null when ChargeCategory is "Usage" ... and ChargeClass is
-- not "Correction""). Expected for two kinds of rows, which the warehouse cannot price per unit: usage of a
-- model neither the catalog nor the overrides price (x_PriceSource unpriced: it was allocated by tokens), and
-- bill lines no logged call explains (x_CostKind unattributed_usage: a cost report without token quantities,
-- e.g. OpenAI's Costs API). A warning, not an error: such rows still carry the exact BilledCost.
select
    "x_OriginChargeId" as origin_charge_id,
    "x_CostKind" as cost_kind,
    "x_PriceSource" as price_source,
    "ListUnitPrice" as list_unit_price,
    "ContractedUnitPrice" as contracted_unit_price,
    "PricingQuantity" as pricing_quantity,
    "ConsumedQuantity" as consumed_quantity,
    "SkuPriceId" as sku_price_id
from {{ ref('focus_cost_and_usage') }}
where {{ in_window('"x_ChargeDay"') }}
    and "ChargeCategory" = 'Usage' and "ChargeClass" is null
    and ("SkuPriceId" is null or "ListUnitPrice" is null or "ContractedUnitPrice" is null
        or "PricingQuantity" is null or "ConsumedQuantity" is null)
