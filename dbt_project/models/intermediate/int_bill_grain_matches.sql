{{ config(materialized='table') }}
-- Which billed usage grain covers which priced call bucket (rule: macro bill_grain_covers), with
-- both amounts in integer pico-dollars: the base of the allocation and of the bill-line
-- reconciliation. A bucket may be covered by a fine line and by a coarser 'unknown' line.
with

buckets as (
    select * from {{ ref('int_call_buckets_priced') }}
    where list_cost is not null
),

bill_grains as (
    select * from {{ ref('int_bill_usage_grains') }}
),

final as (
    select
        buckets.call_id,
        buckets.token_bucket,
        bill_grains.bill_grain_id,
        {{ to_pico('buckets.list_cost') }} as cost_pico,
        {{ to_pico('bill_grains.billed_cost') }} as bill_pico
    from buckets
    inner join bill_grains
        on {{ bill_grain_covers('bill_grains', 'buckets') }}
)

select * from final
