-- One row per customer account: the golden ids and names other models join on.
with links as (
    select * from {{ ref('int_customer_identity__links') }}
),

tenants as (
    select * from {{ ref('stg_app__tenants') }}
),

stripe_customers as (
    select * from {{ ref('stg_stripe__customers') }}
),

companies as (
    select * from {{ ref('stg_hubspot__companies') }}
),

free_mail as (
    select domain from {{ ref('free_mail_domains') }}
),

stripe_ranked as (
    -- the account's live Stripe customer, oldest first, when it has several
    select
        links.customer_account_id,
        stripe_customers.*,
        row_number() over (
            partition by links.customer_account_id
            order by stripe_customers.is_deleted, stripe_customers.created_at, stripe_customers.stripe_customer_id
        ) as rank_in_account,
        count(*) over (partition by links.customer_account_id) as customers_in_account
    from links
    inner join stripe_customers
        on links.source_system = 'stripe' and links.source_id = stripe_customers.stripe_customer_id
),

companies_ranked as (
    -- the canonical CRM company: one linked by id first, then the oldest
    select
        links.customer_account_id,
        links.match_method,
        companies.*,
        row_number() over (
            partition by links.customer_account_id
            order by links.match_method in ('domain', 'crm_only'), companies.created_at, companies.hubspot_company_id
        ) as rank_in_account,
        count(*) over (partition by links.customer_account_id) as companies_in_account
    from links
    inner join companies
        on links.source_system = 'hubspot' and links.source_id = companies.hubspot_company_id
),

accounts as (
    select distinct customer_account_id from links
),

final as (
    select
        accounts.customer_account_id,
        coalesce(tenants.tenant_name, companies_ranked.company_name, stripe_ranked.customer_name) as account_name,
        coalesce(
            tenants.domain,
            companies_ranked.domain,
            case when split_part(stripe_ranked.customer_email, '@', 2) not in (select domain from free_mail)
                then split_part(stripe_ranked.customer_email, '@', 2) end
        ) as primary_domain,
        tenants.tenant_id,
        stripe_ranked.stripe_customer_id,
        companies_ranked.hubspot_company_id,
        coalesce(stripe_ranked.customers_in_account, 0) as stripe_customer_count,
        coalesce(companies_ranked.companies_in_account, 0) as hubspot_company_count,
        companies_ranked.lifecycle_stage as crm_lifecycle_stage,
        coalesce(tenants.country, companies_ranked.country, stripe_ranked.country) as country,
        least(tenants.created_at, companies_ranked.created_at, stripe_ranked.created_at) as first_seen_at
    from accounts
    left join tenants
        on accounts.customer_account_id = 'acct_' || tenants.tenant_id
    left join stripe_ranked
        on accounts.customer_account_id = stripe_ranked.customer_account_id and stripe_ranked.rank_in_account = 1
    left join companies_ranked
        on accounts.customer_account_id = companies_ranked.customer_account_id and companies_ranked.rank_in_account = 1
)

select * from final
