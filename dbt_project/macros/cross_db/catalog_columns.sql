{#- The columns of a table as the database's catalog has them, as a query of (column_name, data_type)
    in the engine's own type names (DuckDB VARCHAR / DECIMAL(38,12) / TIMESTAMP; Spark string /
    decimal(38,12) / timestamp). DuckDB: information_schema.columns. Spark has no information_schema:
    the columns are read at compile time (adapter.get_columns_in_relation, DESCRIBE) into a values list. -#}
{% macro catalog_columns(relation) -%}
    {{ return(adapter.dispatch('catalog_columns', 'finops')(relation)) }}
{%- endmacro %}

{% macro default__catalog_columns(relation) -%}
    select column_name, data_type
    from information_schema.columns
    where table_schema = '{{ relation.schema }}'
        and table_name = '{{ relation.identifier }}'
{%- endmacro %}

{% macro spark__catalog_columns(relation) -%}
    {%- set columns = adapter.get_columns_in_relation(relation) if execute else [] -%}
    select column_name, data_type
    from (
        values
        {%- for column in columns %}
        ('{{ column.name }}', '{{ column.data_type }}'){{ ',' if not loop.last }}
        {%- else %}
        (cast(null as string), cast(null as string))
        {%- endfor %}
    ) as catalog_columns (column_name, data_type)
    where column_name is not null
{%- endmacro %}
