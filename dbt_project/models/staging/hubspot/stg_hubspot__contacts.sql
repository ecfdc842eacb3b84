-- Live contacts only: archived ones left their company or asked to be deleted.
with source as (
    select * from {{ source('hubspot', 'contacts') }}
),

free_mail_domains as (
    select * from (values
        ('gmail.com'), ('googlemail.com'), ('yahoo.com'), ('yahoo.co.uk'), ('outlook.com'), ('hotmail.com'),
        ('live.com'), ('msn.com'), ('icloud.com'), ('me.com'), ('aol.com'), ('proton.me'), ('protonmail.com'),
        ('gmx.de'), ('gmx.net'), ('web.de'), ('yandex.ru'), ('mail.ru')
    ) as t (domain)
),

contacts as (
    select
        *,
        nullif(lower(trim(email)), '') as email_normalized
    from source
    where not coalesce(_deleted, false)
),

final as (
    select
        contacts.id as hubspot_contact_id,
        contacts.email_normalized as email,
        split_part(contacts.email_normalized, '@', 2) as email_domain,
        free_mail_domains.domain is not null as is_free_mail,
        contacts.firstname as first_name,
        contacts.lastname as last_name,
        contacts.phone,
        contacts.jobtitle as job_title,
        contacts.company as company_name,
        contacts.associatedcompanyid as hubspot_company_id,
        contacts.lifecyclestage as lifecycle_stage,
        contacts.hubspot_owner_id,
        contacts.hs_analytics_source as analytics_source,
        contacts.hs_analytics_source_data_1 as analytics_source_detail_1,
        contacts.hs_analytics_source_data_2 as analytics_source_detail_2,
        contacts.utm_campaign,
        contacts.utm_source,
        contacts.utm_medium,
        timezone('UTC', contacts.createdate) as created_at,
        timezone('UTC', contacts.lastmodifieddate) as updated_at
    from contacts
    left join free_mail_domains
        on split_part(contacts.email_normalized, '@', 2) = free_mail_domains.domain
)

select * from final
