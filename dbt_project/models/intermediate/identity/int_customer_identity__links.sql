-- Every app tenant, Stripe customer and HubSpot company, with the customer account it belongs to
-- and how that was decided. Ids first (a tenant id or Stripe id written in the other system), then
-- normalised domains; free-mail domains never match. What matches no tenant forms an account of
-- its own (CRM leads by domain, then Stripe customers).
with tenants as (
    select tenant_id, domain, stripe_customer_id
    from {{ ref('stg_app__tenants') }}
    where tenant_id <> {{ var('penguinmails_tenant_id') }}
),

free_mail as (
    select domain from {{ ref('free_mail_domains') }}
),

tenant_domains as (
    -- a domain identifies a tenant only when exactly one tenant has it
    select domain, min(tenant_id) as tenant_id
    from tenants
    where domain is not null and domain not in (select domain from free_mail)
    group by domain
    having count(*) = 1
),

stripe_customers as (
    select
        stripe_customer_id,
        tenant_id as metadata_tenant_id,
        nullif(split_part(customer_email, '@', 2), '') as email_domain
    from {{ ref('stg_stripe__customers') }}
),

stripe_links as (
    select
        stripe_customers.stripe_customer_id,
        coalesce(by_metadata.tenant_id, by_app.tenant_id, by_domain.tenant_id) as tenant_id,
        case
            when by_metadata.tenant_id is not null then 'stripe_metadata_tenant_id'
            when by_app.tenant_id is not null then 'app_tenant_stripe_customer_id'
            when by_domain.tenant_id is not null then 'billing_email_domain'
        end as match_method,
        stripe_customers.email_domain
    from stripe_customers
    left join tenants as by_metadata
        on stripe_customers.metadata_tenant_id = by_metadata.tenant_id
    left join tenants as by_app
        on stripe_customers.stripe_customer_id = by_app.stripe_customer_id
    left join tenant_domains as by_domain
        on stripe_customers.email_domain = by_domain.domain
),

companies as (
    select hubspot_company_id, tenant_id as crm_tenant_id, stripe_customer_id, domain, created_at
    from {{ ref('stg_hubspot__companies') }}
),

hubspot_links as (
    select
        companies.hubspot_company_id,
        coalesce(by_tenant.tenant_id, by_stripe.tenant_id, by_domain.tenant_id) as tenant_id,
        case
            when by_tenant.tenant_id is not null then 'crm_tenant_id'
            when by_stripe.tenant_id is not null then 'crm_stripe_customer_id'
            when by_domain.tenant_id is not null then 'domain'
        end as match_method,
        companies.domain,
        companies.created_at
    from companies
    left join tenants as by_tenant
        on companies.crm_tenant_id = by_tenant.tenant_id
    left join stripe_links as by_stripe
        on companies.stripe_customer_id = by_stripe.stripe_customer_id
    left join tenant_domains as by_domain
        on companies.domain = by_domain.domain
),

crm_only as (
    -- companies of no tenant: one account per domain (duplicates share it), else per company
    select
        hubspot_company_id,
        'hs_' || first_value(hubspot_company_id) over (
            partition by coalesce(domain, hubspot_company_id) order by created_at, hubspot_company_id
        ) as customer_account_id,
        case when count(*) over (partition by coalesce(domain, hubspot_company_id)) > 1
            then 'domain' else 'crm_only' end as match_method
    from hubspot_links
    where tenant_id is null
),

crm_domains as (
    -- the domains of CRM-only accounts, for Stripe customers that match no tenant
    select distinct hubspot_links.domain, crm_only.customer_account_id
    from crm_only
    inner join hubspot_links using (hubspot_company_id)
    where hubspot_links.domain not in (select domain from free_mail)
),

final as (
    select 'app' as source_system, cast(tenant_id as varchar) as source_id, tenant_id,
        'acct_' || tenant_id as customer_account_id, 'tenant' as match_method
    from tenants

    union all

    select 'stripe', stripe_links.stripe_customer_id, stripe_links.tenant_id,
        coalesce('acct_' || stripe_links.tenant_id, crm_by_domain.customer_account_id, 'stripe_' || stripe_links.stripe_customer_id),
        coalesce(stripe_links.match_method, case when crm_by_domain.customer_account_id is not null then 'billing_email_domain' end, 'stripe_only')
    from stripe_links
    left join crm_domains as crm_by_domain
        on stripe_links.tenant_id is null and stripe_links.email_domain = crm_by_domain.domain

    union all

    select 'hubspot', hubspot_links.hubspot_company_id, hubspot_links.tenant_id,
        coalesce('acct_' || hubspot_links.tenant_id, crm_only.customer_account_id),
        coalesce(hubspot_links.match_method, crm_only.match_method)
    from hubspot_links
    left join crm_only using (hubspot_company_id)
)

select * from final
