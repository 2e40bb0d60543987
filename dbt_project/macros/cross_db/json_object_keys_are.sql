{#- Whether a text is a JSON object whose top-level keys are exactly `keys` (a list of strings, in
    sorted order); false for any other valid or invalid JSON, null for null. DuckDB json_valid,
    json_type and json_keys; Spark json_object_keys (null for anything but a JSON object). -#}
{% macro json_object_keys_are(json, keys) -%}
    {{ return(adapter.dispatch('json_object_keys_are', 'finops')(json, keys)) }}
{%- endmacro %}

{% macro default__json_object_keys_are(json, keys) -%}
    json_valid({{ json }}) and json_type({{ json }}) = 'OBJECT'
    and list_sort(json_keys({{ json }}))
    = [{% for key in keys %}'{{ key }}'{{ ', ' if not loop.last }}{% endfor %}]
{%- endmacro %}

{% macro spark__json_object_keys_are(json, keys) -%}
    case when {{ json }} is not null then coalesce(
        array_sort(json_object_keys({{ json }}))
        = array({% for key in keys %}'{{ key }}'{{ ', ' if not loop.last }}{% endfor %}),
        false
    ) end
{%- endmacro %}
