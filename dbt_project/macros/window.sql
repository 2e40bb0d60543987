{#- The partition window, the vars start_day / end_day: UTC days, start inclusive, end exclusive.
    Read only when dbt executes, so that no file depends on them when dbt parses the project and a
    new window keeps dbt's partial parsing (dbt_project.yml). -#}
{% macro window_start() -%} cast('{{ var("start_day") if execute else "1900-01-01" }}' as date) {%- endmacro %}
{% macro window_end() -%} cast('{{ var("end_day") if execute else "2999-12-31" }}' as date) {%- endmacro %}

{% macro in_window(day_column) -%}
    {{ day_column }} >= {{ window_start() }} and {{ day_column }} < {{ window_end() }}
{%- endmacro %}

{#- Incremental models replace the window's days: delete them first, then append the rebuilt rows. -#}
{% macro delete_window(day_column) -%}
    {% if is_incremental() %}
        delete from {{ this }} where {{ in_window(day_column) }}
    {% else %}
        select 1
    {% endif %}
{%- endmacro %}

{#- An effective-dated row (valid_from inclusive, valid_to exclusive, null = open) applies on `day`. -#}
{% macro valid_on(relation, day) -%}
    {{ day }} >= {{ relation }}.valid_from and ({{ relation }}.valid_to is null or {{ day }} < {{ relation }}.valid_to)
{%- endmacro %}
