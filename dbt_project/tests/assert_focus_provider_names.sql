{{ config(meta={"dagster": {"ref": {"name": "focus_cost_and_usage"}}}) }}
{%- set q = adapter.quote %}  {#- the export's PascalCase column names: "Name" on DuckDB, `Name` on Spark #}
-- FOCUS 1.3 ServiceProviderName, HostProviderName and InvoiceIssuerName (and the deprecated ProviderName and
-- PublisherName), for the rows of the partition window (the names: macro focus_providers; the dbt unit test
-- focus_cost_and_usage::bedrock_and_azure_are_hosts pins them for Bedrock and Azure):
-- - each MUST NOT be null (ServiceProviderName, HostProviderName, InvoiceIssuerName, ProviderName,
--   PublisherName: "MUST NOT be null"), and none is the warehouse's 'unknown';
-- - ProviderName is deprecated in 1.3 and "Replaced by ServiceProviderName": the two are equal, and so is
--   PublisherName;
-- - a model vendor's own API is its own service provider, host and invoice issuer;
-- - Amazon Bedrock and Azure are hosts (HostProviderName "the entity whose resources are used by the
--   Service Provider"): the cloud hosts and invoices every line of theirs (InvoiceIssuerName = HostProviderName
--   = the cloud), whoever the service provider is (a marketplace seller on Bedrock).
-- Returns the rows that break a rule, with the rule.
with

export as (
    select * from {{ ref('focus_cost_and_usage') }}
    where {{ in_window(q('x_ChargeDay')) }}
),

provider_names as (
    select distinct
        {{ q('x_Provider') }} as provider,
        {{ q('x_Model') }} as model,
        coalesce({{ q('ServiceProviderName') }}, 'unknown') as service_provider_name,
        coalesce({{ q('HostProviderName') }}, 'unknown') as host_provider_name,
        coalesce({{ q('InvoiceIssuerName') }}, 'unknown') as invoice_issuer_name,
        coalesce({{ q('ProviderName') }}, 'unknown') as provider_name,
        coalesce({{ q('PublisherName') }}, 'unknown') as publisher_name
    from export
),

checks as (
    select
        *,
        case
            when 'unknown' in (service_provider_name, host_provider_name, invoice_issuer_name)
                then 'ServiceProviderName, HostProviderName, InvoiceIssuerName MUST NOT be null'
            when provider_name <> service_provider_name or publisher_name <> service_provider_name
                then 'ProviderName (deprecated in 1.3) is replaced by ServiceProviderName: equal values'
            when provider in ('openai', 'anthropic', 'google')
                and (host_provider_name <> service_provider_name or invoice_issuer_name <> service_provider_name)
                then 'a model vendor''s own API: service provider = host provider = invoice issuer'
            when provider = 'aws_bedrock'
                and (host_provider_name <> 'Amazon Web Services' or invoice_issuer_name <> 'Amazon Web Services')
                then 'Amazon Bedrock: AWS is the host provider and the invoice issuer'
            when provider = 'azure_openai'
                and (host_provider_name <> 'Microsoft' or invoice_issuer_name <> 'Microsoft')
                then 'Azure: Microsoft is the host provider and the invoice issuer'
        end as focus_rule
    from provider_names
),

final as (
    select * from checks
    where focus_rule is not null
)

select * from final
