{#- The partition window Dagster passes as vars: UTC days, start inclusive, end exclusive. -#}
{% macro window_start() -%} cast('{{ var("start_day") }}' as date) {%- endmacro %}
{% macro window_end() -%} cast('{{ var("end_day") }}' as date) {%- endmacro %}

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
