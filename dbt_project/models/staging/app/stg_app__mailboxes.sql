with source as (
    select * from {{ source('app', 'mailboxes') }}
),

final as (
    select
        id as mailbox_id,
        tenant_id,
        lower(address) as address,
        provider,
        warmup_status,
        daily_limit,
        {{ to_utc('created_at') }} as created_at,
        {{ to_utc('updated_at') }} as updated_at
    from source
    where not coalesce(_deleted, false)
)

select * from final
