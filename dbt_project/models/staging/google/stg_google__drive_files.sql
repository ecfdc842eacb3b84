-- Files that still exist (deleted-for-good ones dropped); trashed files stay, flagged.
with source as (
    select * from {{ source('google', 'drive_files') }}
),

final as (
    select
        id as drive_file_id,
        name as file_name,
        mime_type,
        case mime_type
            when 'application/vnd.google-apps.document' then 'document'
            when 'application/vnd.google-apps.spreadsheet' then 'spreadsheet'
            when 'application/vnd.google-apps.presentation' then 'presentation'
            when 'application/pdf' then 'pdf'
            else 'other'
        end as file_type,
        lower(owner_email) as owner_email,
        coalesce(trashed, false) as is_trashed,
        version as file_version,
        size as size_bytes,
        web_view_link,
        timezone('UTC', created_time) as created_at,
        timezone('UTC', modified_time) as modified_at
    from source
    where not coalesce(_deleted, false)
)

select * from final
