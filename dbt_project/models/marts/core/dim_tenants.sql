-- Tenants (customers) with their plan and monthly revenue, from the tenants seed.
with

tenants as (
    select * from {{ ref('tenants') }}
),

final as (
    select
        tenant_id,
        tenant_name,
        plan,
        monthly_revenue_usd
    from tenants
)

select * from final
