-- Current associations only (the raw table holds no removed ones), both directions.
with source as (
    select * from {{ source('hubspot', 'associations') }}
),

final as (
    select
        from_type as from_object_type,
        from_id as from_object_id,
        to_type as to_object_type,
        to_id as to_object_id,
        type_id as association_type_id,
        label as association_label,
        category as association_category,
        coalesce(label = 'Primary', false) as is_primary
    from source
    where not coalesce(_deleted, false)
)

select * from final
