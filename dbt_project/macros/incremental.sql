{% macro drop_incremental_temp_table() %}
    {#- dbt-duckdb builds an incremental model's new rows in a temporary table `<model>__dbt_tmp...` and
        drops it only at the end of the dbt session (it drops non-temporary ones only), so one dbt
        build kept every incremental model's window in memory: at 30M calls the whole window of
        fct_llm_calls, and the next models ran out of memory. A post-hook of every model (see
        dbt_project.yml) drops it as soon as its rows are inserted. -#}
    {% if execute and model.config.materialized == 'incremental' %}
        {% set temp_tables = run_query(
            "select table_name from duckdb_tables() where temporary and starts_with(table_name, '"
            ~ this.identifier ~ "__dbt_tmp')"
        ) %}
        {% for table_name in temp_tables.columns[0].values() %}
            {% do run_query('drop table if exists temp.main."' ~ table_name ~ '"') %}
        {% endfor %}
    {% endif %}
{% endmacro %}
