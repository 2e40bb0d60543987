{#- The per-call money models (int_calls_keyed, int_call_bucket_scenarios_priced, int_bill_grain_matches,
    int_call_buckets_allocated, fct_llm_calls) are built one UTC day at a time: each day of the run's
    window is its own query, so a query's working set is one day of calls whatever the window's length
    (a 10-day window built at once passed DuckDB's memory cap and spilled: 211 s at 10M calls against
    108 s day by day; a 30-day window spilled past the disk).

    `{{ config(**by_day('call_day')) }}` keeps a table of the window's days only (the window's rows, as a
    table materialization does; its readers need no filter); `by_day('call_day', history=true)` keeps
    every day, replacing the window's days (fct_llm_calls).

    DuckDB: dbt's microbatch strategy, one batch per day of --event-time-start / --event-time-end, which
    the run sets to the window (dagster_project/dbt_assets.py); a model it reads with an `event_time`
    config is filtered to the batch's day. The pre-hook (run once, before the first day) empties the
    table, or for a history table deletes the window's days (a day that lost all its rows is emptied
    too), and stops a run whose batches are not the window's days.
    Spark: as before (a table; fct_llm_calls incremental_by_day): Spark spreads a window over its
    executors rather than spilling. -#}
{% macro by_day(day_column, history=false) -%}
    {{ return(adapter.dispatch('by_day', 'finops')(day_column, history)) }}
{%- endmacro %}

{% macro default__by_day(day_column, history) -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'microbatch',
        'event_time': day_column,
        'batch_size': 'day',
        'begin': '2000-01-01',
        'lookback': 0,
        'concurrent_batches': false,
        'pre_hook': "{{ start_by_day('" ~ day_column ~ "', " ~ (history | string | lower) ~ ") }}",
        'on_schema_change': 'fail' if history else 'sync_all_columns',
    }) }}
{%- endmacro %}

{% macro spark__by_day(day_column, history) -%}
    {%- if history -%}
        {{ return(incremental_by_day(day_column)) }}
    {%- endif -%}
    {{ return({'materialized': 'table', 'event_time': day_column}) }}
{%- endmacro %}

{#- The pre-hook of a by_day model: the batches must be the window's days, or a window table would
    hold other days than its readers expect; then the table is emptied (history: the window's days). -#}
{% macro start_by_day(day_column, history) -%}
    {%- set batches = [] -%}
    {%- for arg in ['event_time_start', 'event_time_end'] -%}
        {%- do batches.append((invocation_args_dict.get(arg) or 'none') | string) -%}
    {%- endfor -%}
    {%- set window = [var('start_day') | string, var('end_day') | string] -%}
    {%- if execute and (batches[0][:10] != window[0] or batches[1][:10] != window[1]) -%}
        {{ exceptions.raise_compiler_error(
            this.identifier ~ " is built one UTC day at a time, over the window start_day / end_day (" ~ window | join(' to ') ~
            "), so dbt needs --event-time-start " ~ window[0] ~ " --event-time-end " ~ window[1] ~
            " (or DBT_EVENT_TIME_START / DBT_EVENT_TIME_END); it got " ~ batches | join(' to ') ~
            ". finops materialize sets both.") }}
    {%- endif -%}
    {%- if not is_incremental() -%}
        select 1
    {%- elif history -%}
        {{ delete_window(day_column) }}
    {%- else -%}
        {#- a new empty table rather than `delete`: DuckDB scanned a table whose rows were all deleted and
            then appended ~4x slower (1M calls: 1.7 s against 0.44 s), even after a checkpoint -#}
        create or replace table {{ this }} as select * from {{ this }} limit 0
    {%- endif -%}
{%- endmacro %}

{#- A by_day batch is inserted straight from its query. dbt-duckdb's incremental materialization writes a
    batch to a temporary table and then inserts that table into the model's: each day's rows written
    twice. For a microbatch model the temporary relation is a view of the batch's query instead (one
    write; the money models of a 1M-call day 13.3 s -> 10.8 s); every other table, temporary or not, is
    dbt-duckdb's own `create_table_as`. -#}
{% macro duckdb__create_table_as(temporary, relation, compiled_code, language='sql', partitioned_by=none, sorted_by=none) -%}
    {%- if temporary and language == 'sql' and config.get('incremental_strategy') == 'microbatch' -%}
        create or replace temporary view {{ relation.include(database=false, schema=false) }} as (
            {{ compiled_code }}
        )
    {%- else -%}
        {{ dbt.duckdb__create_table_as(temporary, relation, compiled_code, language, partitioned_by, sorted_by) }}
    {%- endif -%}
{%- endmacro %}
