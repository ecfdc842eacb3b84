{#- A UTC timestamp without time zone from either kind the sources load: the app database's columns
    arrive as `timestamp` from SQLite and as `timestamptz` from PostgreSQL (the profile's session
    time zone is UTC, so a naive value is read as UTC). -#}
{% macro to_utc(column) -%}
timezone('UTC', cast({{ column }} as timestamptz))
{%- endmacro %}
