-- Bill amounts that are not allocated onto calls, as explicit rows so that attributed cost sums
-- to the bill exactly: billed usage grains with no logged call on their provider-day at any grain
-- (int_bill_allocation_grains level 5: unattributed_usage), and every non-usage line (credits,
-- refunds, corrections, adjustments, taxes) kept visible with its own kind. Only the window's days.
with

bill_grains as (
    select * from {{ ref('int_bill_allocation_grains') }}
),

other_lines as (
    select * from {{ ref('stg_raw__bill_lines') }}
    where not is_usage and not is_usage_report and {{ in_window('charge_day') }}
),

unattributed_usage as (
    select
        provider, billing_account, cost_day, model, token_bucket, service_tier,
        'unattributed_usage' as cost_kind,
        billed_cost
    from bill_grains
    where allocated_at = 'unattributed'
),

non_usage as (
    select
        provider, billing_account, charge_day as cost_day, model, token_bucket, service_tier,
        {{ bill_cost_kind('charge_category', 'charge_class') }} as cost_kind,
        {{ money('sum(billed_cost)') }} as billed_cost
    from other_lines
    group by all
),

final as (
    select * from unattributed_usage
    union all
    select * from non_usage
)

select * from final
