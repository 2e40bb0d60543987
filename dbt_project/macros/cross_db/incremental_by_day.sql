{#- The config of a model rebuilt by UTC day (`{{ config(**incremental_by_day('call_day')) }}`).
    DuckDB: append after deleting the window's days (pre-hook `delete`, or `delete_hook` when given).
    Spark (Parquet tables have no DELETE): the table is partitioned by the day column and each build
    overwrites the partitions of the days it produced (insert_overwrite, dynamic partition overwrite). -#}
{% macro incremental_by_day(day_column, delete_hook=none) -%}
    {{ return(adapter.dispatch('incremental_by_day', 'finops')(day_column, delete_hook)) }}
{%- endmacro %}

{% macro default__incremental_by_day(day_column, delete_hook) -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'append',
        'pre_hook': delete_hook or ("{{ delete_window('" ~ day_column ~ "') }}"),
        'on_schema_change': 'fail',
    }) }}
{%- endmacro %}

{% macro spark__incremental_by_day(day_column, delete_hook) -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'insert_overwrite',
        'file_format': 'parquet',
        'partition_by': [day_column],
        'on_schema_change': 'fail',
    }) }}
{%- endmacro %}
