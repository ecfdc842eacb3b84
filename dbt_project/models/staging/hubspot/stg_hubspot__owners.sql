-- Every owner, deactivated ones too (flagged): deals and contacts they owned still name them.
with source as (
    select * from {{ source('hubspot', 'owners') }}
),

final as (
    select
        id as hubspot_owner_id,
        lower(trim(email)) as email,
        first_name,
        last_name,
        trim(concat_ws(' ', first_name, last_name)) as full_name,
        user_id as hubspot_user_id,
        type as owner_type,
        not coalesce(_deleted, false) as is_active,
        timezone('UTC', created_at) as created_at,
        timezone('UTC', updated_at) as updated_at
    from source
)

select * from final
