-- Variances a person explained (config dir acknowledged_variances.csv): a period of this provider and
-- account ('*' = every account) beyond tolerance inside [period_start, period_end] is 'acknowledged'.
with

source as (
    select * from {{ source('raw', 'config_acknowledged_variances') }}
),

final as (
    select
        lower(trim(provider)) as provider,
        billing_account,
        period_start,
        period_end,
        reason
    from source
)

select * from final
