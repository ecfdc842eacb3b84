-- When each raw Stripe table was last loaded, in Stripe's clock: every row carries `_synced_at`, the
-- `Date` of Stripe's first answer in the sync that loaded it. The newest one is "now" for Stripe data.
-- A table loaded only before `_synced_at` existed (and unchanged since) has no such column yet: null.
{% set tables = ['customers', 'subscriptions', 'subscription_items', 'invoices', 'invoice_lines', 'charges',
                 'refunds', 'credit_notes', 'balance_transactions', 'products', 'prices', 'coupons'] %}
with
{% for table in tables %}
{%- set columns = adapter.get_columns_in_relation(source('stripe', table)) | map(attribute='name') | map('lower') | list if execute else [] %}
{{ table }} as (
    select '{{ table }}' as table_name, {% if '_synced_at' in columns %}max(_synced_at){% else %}max(cast(null as timestamptz)){% endif %} as synced_at
    from {{ source('stripe', table) }}
),
{% endfor %}

unioned as (
    {% for table in tables %}
    select * from {{ table }}{% if not loop.last %} union all{% endif %}
    {% endfor %}
),

final as (
    select table_name, timezone('UTC', synced_at) as synced_at
    from unioned
)

select * from final
