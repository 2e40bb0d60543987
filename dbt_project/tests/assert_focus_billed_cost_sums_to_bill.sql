{{ config(meta={"dagster": {"ref": {"name": "focus_cost_and_usage"}}}) }}
{%- set q = adapter.quote %}  {#- the export's PascalCase column names: "Name" on DuckDB, `Name` on Spark #}
-- FOCUS 1.3 BilledCost: "The sum of BilledCost for a given InvoiceId and InvoiceIssuerName MUST match the
-- payable amount provided on the corresponding issued invoice". The bills the warehouse loads carry no
-- invoice id (InvoiceId is null), so the invoice is the provider's bill of a billing account and
-- sub-account for a billing period (calendar month, UTC): per provider x BillingAccountId x SubAccountId,
-- per charge day and per billing period, sum(BilledCost) of the export equals the bill lines (usage,
-- credits, corrections: every line but usage reports) exactly. Over the billing periods the partition
-- window touches: every day the run built (fct_cost_daily) and every day the export holds. A day built
-- before the export existed (a warehouse upgraded to it) is not compared until it is rebuilt: `finops
-- export focus` refuses a month that lacks such a day. Returns the periods that break it.
with

export_days as (
    select distinct {{ q('x_ChargeDay') }} as cost_day from {{ ref('focus_cost_and_usage') }}
),

built_days as (
    select distinct cost_day from {{ ref('fct_cost_daily') }}
    where date_trunc('month', cost_day) >= date_trunc('month', {{ window_start() }})
        and cost_day < {{ window_end() }} + interval 1 month
        and ({{ in_window('cost_day') }} or cost_day in (select export_days.cost_day from export_days))
),

bill as (
    select provider, vendor_account_id, billing_account, charge_day, billed_cost
    from {{ ref('stg_raw__bill_lines') }}
    where not is_usage_report and charge_day in (select built_days.cost_day from built_days)
),

export as (
    select
        {{ q('x_Provider') }} as provider,
        {{ q('BillingAccountId') }} as vendor_account_id,
        {{ q('SubAccountId') }} as billing_account,
        {{ q('x_ChargeDay') }} as charge_day,
        {{ q('BilledCost') }} as billed_cost
    from {{ ref('focus_cost_and_usage') }}
    where {{ q('x_ChargeDay') }} in (select built_days.cost_day from built_days)
),

per_day as (
    select 'charge_day' as period_grain, provider, vendor_account_id, billing_account, charge_day as period_start,
        sum(billed_cost) as billed_total
    from bill
    group by all
),

export_per_day as (
    select 'charge_day' as period_grain, provider, vendor_account_id, billing_account, charge_day as period_start,
        sum(billed_cost) as exported_total
    from export
    group by all
),

per_period as (
    select 'billing_period' as period_grain, provider, vendor_account_id, billing_account,
        date_trunc('month', charge_day) as period_start, sum(billed_cost) as billed_total
    from bill
    group by all
),

export_per_period as (
    select 'billing_period' as period_grain, provider, vendor_account_id, billing_account,
        date_trunc('month', charge_day) as period_start, sum(billed_cost) as exported_total
    from export
    group by all
),

compared as (
    select *  -- both sides of the full outer join ... using -- noqa: RF02
    from per_day
    full outer join export_per_day using (period_grain, provider, vendor_account_id, billing_account, period_start)
    union all
    select *  -- noqa: RF02
    from per_period
    full outer join export_per_period
        using (period_grain, provider, vendor_account_id, billing_account, period_start)
),

final as (
    select * from compared
    where coalesce(billed_total, 0) <> coalesce(exported_total, 0)
)

select * from final
