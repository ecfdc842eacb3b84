-- Accounts whose systems disagree, one row per account and kind of disagreement.
with identity as (
    select * from {{ ref('int_customer_identity') }}
),

links as (
    select * from {{ ref('int_customer_identity__links') }}
),

subscriptions as (
    select * from {{ ref('stg_stripe__subscriptions') }}
),

paying as (
    -- accounts with a subscription that bills now (trials do not count)
    select distinct links.customer_account_id
    from subscriptions
    inner join links
        on links.source_system = 'stripe' and links.source_id = subscriptions.stripe_customer_id
    where subscriptions.status in ('active', 'past_due')
),

claimed_domains as (
    select companies.domain, links.customer_account_id
    from links
    inner join {{ ref('stg_hubspot__companies') }} as companies
        on links.source_system = 'hubspot' and links.source_id = companies.hubspot_company_id
    where companies.domain is not null
),

domain_claims as (
    select domain, count(distinct customer_account_id) as accounts
    from claimed_domains
    group by domain
),

conflicts as (
    select identity.customer_account_id, 'crm_customer_not_paying' as conflict_type,
        'CRM lifecycle stage is customer but no Stripe subscription is active or past due' as detail
    from identity
    left join paying using (customer_account_id)
    where identity.crm_lifecycle_stage = 'customer' and paying.customer_account_id is null

    union all

    select identity.customer_account_id, 'paying_not_crm_customer',
        'a Stripe subscription bills the account but its CRM lifecycle stage is ' || coalesce(identity.crm_lifecycle_stage, 'missing')
    from identity
    inner join paying using (customer_account_id)
    where coalesce(identity.crm_lifecycle_stage, '') <> 'customer'

    union all

    select customer_account_id, 'duplicate_crm_companies',
        hubspot_company_count || ' CRM companies belong to this account'
    from identity
    where hubspot_company_count > 1

    union all

    select customer_account_id, 'several_stripe_customers',
        stripe_customer_count || ' Stripe customers belong to this account'
    from identity
    where stripe_customer_count > 1

    union all

    select identity.customer_account_id, 'crm_without_tenant_id',
        'the CRM company was matched by domain, not by the tenant id it should carry'
    from identity
    inner join links
        on links.source_system = 'hubspot' and links.source_id = identity.hubspot_company_id
    where identity.tenant_id is not null and links.match_method = 'domain'
),

final as (
    select customer_account_id, conflict_type, detail from conflicts

    union all

    select null, 'domain_claimed_by_several_accounts', domain || ' is the CRM domain of ' || accounts || ' accounts'
    from domain_claims
    where accounts > 1
)

select * from final
