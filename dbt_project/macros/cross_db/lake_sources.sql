{#- on-run-start: the raw tables as dbt sources. DuckDB reads its own raw schema (the loaders write
    it); on Spark each raw source is an external table over its Parquet files in the lake
    (FINOPS_LAKE_DIR/raw/<table>/, by UTC day for calls and bill lines: ingest/lake.py), registered
    again at every run (dropping an external table leaves its files). -#}
{% macro register_lake_sources() -%}
    {{ return(adapter.dispatch('register_lake_sources', 'finops')()) }}
{%- endmacro %}

{% macro default__register_lake_sources() -%} {%- endmacro %}

{% macro spark__register_lake_sources() -%}
    {%- if execute -%}
        {%- set lake = env_var('FINOPS_LAKE_DIR', '') -%}
        {%- if not lake -%}
            {{ exceptions.raise_compiler_error("FINOPS_ENGINE=spark reads the raw tables from FINOPS_LAKE_DIR, which is not set") }}
        {%- endif -%}
        {%- set names = [] -%}
        {%- for source in graph.sources.values() if source.source_name == 'raw' -%}
            {%- do names.append(source.name) -%}
        {%- endfor -%}
        {%- do run_query('create database if not exists raw') -%}
        {%- for name in names | sort -%}
            {%- set path = lake ~ '/raw/' ~ name -%}
            {%- do run_query('drop table if exists raw.' ~ name) -%}
            {%- do run_query("create table raw." ~ name ~ " using parquet location '" ~ path ~ "'") -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
