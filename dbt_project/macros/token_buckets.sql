{#- The four exclusive token buckets of a call, in this order; a call's tokens in a bucket are the
    column <bucket>_tokens (ingest.schemas) and bill lines name the bucket (or leave it 'unknown'). -#}
{% macro token_buckets() -%}
    {{ return(var('token_buckets')) }}
{%- endmacro %}
