-- Messages still in the mailboxes (deleted ones dropped), with addresses parsed from the headers.
-- Metadata only: the raw table never holds bodies or snippets.
with source as (
    select * from {{ source('google', 'gmail_messages') }}
),

parsed as (
    select
        *,
        cast(label_ids as varchar[]) as labels,
        lower(regexp_extract(from_header, '[A-Za-z0-9._%+''-]+@[A-Za-z0-9.-]+')) as sender_email
    from source
    where not coalesce(_deleted, false)
),

final as (
    select
        id as gmail_message_id,
        thread_id as gmail_thread_id,
        lower(mailbox) as mailbox,
        timezone('UTC', internal_date) as sent_at,
        subject,
        nullif(trim(regexp_extract(from_header, '^\s*"?([^"<]*?)"?\s*<', 1)), '') as sender_name,
        sender_email,
        split_part(sender_email, '@', 2) as sender_domain,
        list_transform(regexp_extract_all(to_header, '[A-Za-z0-9._%+''-]+@[A-Za-z0-9.-]+'), e -> lower(e)) as to_emails,
        list_transform(regexp_extract_all(coalesce(cc_header, ''), '[A-Za-z0-9._%+''-]+@[A-Za-z0-9.-]+'), e -> lower(e)) as cc_emails,
        list_contains(labels, 'SENT') as is_outbound,
        list_contains(labels, 'UNREAD') as is_unread,
        list_contains(labels, 'IMPORTANT') as is_important,
        labels as label_ids
    from parsed
)

select * from final
