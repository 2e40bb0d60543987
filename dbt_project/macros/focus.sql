{#-
  FOCUS 1.3 names of the parties of a charge, per warehouse provider key, written once here
  (focus_cost_and_usage; docs/focus_export.md explains each choice):
  - ServiceProviderName: the entity that makes the service available (in a marketplace, the seller);
  - HostProviderName: the entity whose infrastructure the service runs on;
  - InvoiceIssuerName: the entity that invoices it.
  A model vendor's own API (OpenAI, Anthropic, Google) is all three. Amazon Bedrock and Azure are hosts:
  AWS hosts and invoices every Bedrock model and is the service provider of the models it sells itself;
  Anthropic's models on Bedrock are sold through AWS Marketplace ("<Model> (Amazon Bedrock Edition)",
  ingest/adapters/focus_skus.py), so Anthropic, the seller, is their service provider (FOCUS 1.3
  ServiceProviderName: "In marketplace scenarios, the Service Provider represents the seller rather than
  the marketplace operator"). Azure OpenAI and the Foundry Models sold by Azure are Microsoft's service,
  hosted and invoiced by Microsoft. A provider key not listed here names itself in all three columns.
-#}
{% macro focus_providers() -%}
    {{ return({
        'openai': {'service_provider': 'OpenAI', 'host_provider': 'OpenAI', 'invoice_issuer': 'OpenAI',
                   'service_name': 'OpenAI API'},
        'anthropic': {'service_provider': 'Anthropic', 'host_provider': 'Anthropic', 'invoice_issuer': 'Anthropic',
                      'service_name': 'Claude API'},
        'google': {'service_provider': 'Google Cloud', 'host_provider': 'Google Cloud',
                   'invoice_issuer': 'Google Cloud', 'service_name': 'Vertex AI'},
        'aws_bedrock': {'service_provider': 'Amazon Web Services', 'host_provider': 'Amazon Web Services',
                        'invoice_issuer': 'Amazon Web Services', 'service_name': 'Amazon Bedrock',
                        'marketplace_sellers': {'claude': 'Anthropic'}},
        'azure_openai': {'service_provider': 'Microsoft', 'host_provider': 'Microsoft',
                         'invoice_issuer': 'Microsoft', 'service_name': 'Azure AI Services'},
    }) }}
{%- endmacro %}

{#- One of the names above (service_name, host_provider, invoice_issuer) for a provider column. -#}
{% macro focus_provider_name(provider, role) -%}
    case {{ provider }}
        {%- for key, names in focus_providers().items() %}
        when '{{ key }}' then '{{ names[role] }}'
        {%- endfor %}
        else {{ provider }}
    end
{%- endmacro %}

{#- ServiceProviderName: the provider's, or a marketplace seller's when the billed model is theirs. -#}
{% macro focus_service_provider_name(provider, model) -%}
    case
        {%- for key, names in focus_providers().items() %}
        {%- for model_part, seller in (names.get('marketplace_sellers') or {}).items() %}
        when {{ provider }} = '{{ key }}' and lower({{ model }}) like '%{{ model_part }}%' then '{{ seller }}'
        {%- endfor %}
        {%- endfor %}
        else {{ focus_provider_name(provider, 'service_provider') }}
    end
{%- endmacro %}

{#- SkuMeter of a token bucket (FOCUS: the functionality a SKU meters). -#}
{% macro focus_sku_meter(token_bucket) -%}
    case {{ token_bucket }}
        when 'input_uncached' then 'Input Tokens'
        when 'cache_read' then 'Cache Read Input Tokens'
        when 'cache_write' then 'Cache Write Input Tokens'
        when 'output' then 'Output Tokens'
        else 'Tokens'
    end
{%- endmacro %}
