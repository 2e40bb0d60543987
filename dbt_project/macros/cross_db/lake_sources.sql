{#- Pre-hook of the staging models: the raw tables they read as dbt sources. DuckDB reads its own raw
    schema (the loaders write it); on Spark each raw source the model reads is an external table over
    its Parquet files in the lake (FINOPS_LAKE_DIR/raw/<table>/, by UTC day for calls and bill lines:
    ingest/lake.py), registered again at every build of the model (dropping an external table leaves
    its files; new day folders are listed at each query). -#}
{% macro register_lake_sources(model) -%}
    {{ return(adapter.dispatch('register_lake_sources', 'finops')(model)) }}
{%- endmacro %}

{% macro default__register_lake_sources(model) -%} {%- endmacro %}

{% macro spark__register_lake_sources(model) -%}
    {%- if execute -%}
        {%- set lake = env_var('FINOPS_LAKE_DIR', '') -%}
        {%- if not lake -%}
            {{ exceptions.raise_compiler_error("FINOPS_ENGINE=spark reads the raw tables from FINOPS_LAKE_DIR, which is not set") }}
        {%- endif -%}
        {%- for source_name, name in model.sources if source_name == 'raw' -%}
            {%- if loop.first %}{% do run_query('create database if not exists raw') %}{% endif -%}
            {%- do run_query('drop table if exists raw.' ~ name) -%}
            {%- do run_query("create table raw." ~ name ~ " using parquet location '" ~ lake ~ "/raw/" ~ name ~ "'") -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
