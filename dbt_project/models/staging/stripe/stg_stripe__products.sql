-- Deleted products are kept (flagged `is_deleted`): past invoice lines still name them.
with source as (
    select * from {{ source('stripe', 'products') }}
),

final as (
    select
        id as stripe_product_id,
        name as product_name,
        type as product_type,
        default_price as default_stripe_price_id,
        unit_label,
        active as is_active,
        timezone('UTC', created) as created_at,
        coalesce(_deleted, false) as is_deleted
    from source
)

select * from final
