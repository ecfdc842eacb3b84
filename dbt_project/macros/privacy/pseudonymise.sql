{#- The keyed hash (HMAC-SHA256 under PENGUIN_PII_KEY, 64 hex digits) of a trimmed, lower-cased value:
    a join key for emails, names or phones that reveals none of them. `pii_pseudonymise` is defined on
    every connection by the plugin pipelines/privacy/dbt_plugin.py, which keeps the key out of the SQL.
    Building a model that uses it (run, build) fails with one line naming the variable when the key is
    missing or too short; compiling it (compile, docs generate) needs no key. -#}
{% macro pseudonymise(column) -%}
    {%- if execute and flags.WHICH in ('run', 'build') -%}
        {%- set problem = run_query("select getvariable('pii_key_error')").columns[0].values()[0] -%}
        {%- if problem -%}
            {{ exceptions.raise_compiler_error(problem) }}
        {%- endif -%}
    {%- endif -%}
    pii_pseudonymise({{ column }})
{%- endmacro %}
