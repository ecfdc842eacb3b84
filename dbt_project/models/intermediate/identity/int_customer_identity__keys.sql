-- Every value that identifies a customer account, for the models that only hold an email, a
-- domain or another system's id (Jira reporters, meeting attendees, contacts…). A domain or an
-- email that would point at two accounts is left out (it identifies neither).
with links as (
    select * from {{ ref('int_customer_identity__links') }}
),

free_mail as (
    select domain from {{ ref('free_mail_domains') }}
),

id_keys as (
    select
        case source_system
            when 'app' then 'tenant_id'
            when 'stripe' then 'stripe_customer_id'
            else 'hubspot_company_id'
        end as key_type,
        source_id as key_value,
        customer_account_id,
        match_method
    from links
),

domains as (
    select 'domain' as key_type, tenants.domain as key_value, links.customer_account_id, 'app_tenant_domain' as match_method
    from links
    inner join {{ ref('stg_app__tenants') }} as tenants
        on links.source_system = 'app' and links.source_id = cast(tenants.tenant_id as varchar)
    union all
    select 'domain', companies.domain, links.customer_account_id, 'crm_company_domain'
    from links
    inner join {{ ref('stg_hubspot__companies') }} as companies
        on links.source_system = 'hubspot' and links.source_id = companies.hubspot_company_id
),

emails as (
    select 'email' as key_type, users.email as key_value, links.customer_account_id, 'app_user' as match_method
    from links
    inner join {{ ref('stg_app__users') }} as users
        on links.source_system = 'app' and links.source_id = cast(users.tenant_id as varchar)
    union all
    select 'email', contacts.email, links.customer_account_id, 'crm_contact'
    from links
    inner join {{ ref('stg_hubspot__contacts') }} as contacts
        on links.source_system = 'hubspot' and links.source_id = contacts.hubspot_company_id
    union all
    select 'email', customers.customer_email, links.customer_account_id, 'stripe_billing_email'
    from links
    inner join {{ ref('stg_stripe__customers') }} as customers
        on links.source_system = 'stripe' and links.source_id = customers.stripe_customer_id
),

candidates as (
    select key_type, lower(key_value) as key_value, customer_account_id, match_method
    from (
        select * from id_keys
        union all
        select * from domains where key_value is not null and lower(key_value) not in (select domain from free_mail)
        union all
        select * from emails where key_value is not null
    ) as all_keys
),

unambiguous as (
    select key_type, key_value
    from candidates
    group by key_type, key_value
    having count(distinct customer_account_id) = 1
),

final as (
    -- one row per key; where two methods found the same key, the first in name order is kept
    select
        candidates.key_type,
        candidates.key_value,
        min(candidates.customer_account_id) as customer_account_id,
        min(candidates.match_method) as match_method
    from candidates
    inner join unambiguous using (key_type, key_value)
    group by candidates.key_type, candidates.key_value
)

select * from final
