-- One row per won HubSpot deal (the conversion attribution credits): the CRM amount as won revenue,
-- and, as a second measure, the Stripe revenue the deal's customer account paid in the 12 months from
-- the close. An invoice counts for one deal only: the latest won deal of the account closed before it.
with deals as (
    select * from {{ ref('stg_hubspot__deals') }}
    where is_closed_won
),

pipelines as (
    select distinct pipeline_id, pipeline_label from {{ ref('stg_hubspot__deal_stages') }}
),

deal_companies as (
    select
        from_object_id as hubspot_deal_id,
        to_object_id as hubspot_company_id
    from {{ ref('stg_hubspot__associations') }}
    where from_object_type = 'deals'
        and to_object_type = 'companies'
        and is_primary
    qualify row_number() over (partition by from_object_id order by to_object_id) = 1
),

links as (
    select * from {{ ref('int_customer_identity__links') }}
),

invoices as (
    select * from {{ ref('stg_stripe__invoices') }}
    where status = 'paid'
        and paid_at is not null
        and amount_paid > 0
),

fx_rates as (
    select
        lower(currency) as currency,
        cast(usd_per_unit as decimal(18, 6)) as usd_per_unit,
        cast(valid_from as date) as valid_from
    from {{ ref('fx_rates') }}
),

won_deals as (
    select
        deals.hubspot_deal_id,
        deals.deal_name,
        deals.pipeline_id,
        pipelines.pipeline_label,
        deals.deal_type,
        deal_companies.hubspot_company_id,
        company_links.customer_account_id,
        deals.created_at,
        -- a won deal's close date is the close time; a missing one falls back to the last change
        coalesce(deals.close_date, deals.updated_at) as closed_at,
        coalesce(deals.amount_usd, 0) as won_amount_usd
    from deals
    left join pipelines
        on deals.pipeline_id = pipelines.pipeline_id
    left join deal_companies
        on deals.hubspot_deal_id = deal_companies.hubspot_deal_id
    left join links as company_links
        on company_links.source_system = 'hubspot'
        and deal_companies.hubspot_company_id = company_links.source_id
),

invoices_usd as (
    select
        invoices.stripe_invoice_id,
        stripe_links.customer_account_id,
        invoices.paid_at,
        cast(invoices.amount_paid * fx_rates.usd_per_unit as decimal(18, 2)) as amount_paid_usd
    from invoices
    inner join links as stripe_links
        on stripe_links.source_system = 'stripe'
        and invoices.stripe_customer_id = stripe_links.source_id
    asof left join fx_rates
        on lower(invoices.currency) = fx_rates.currency
        and cast(invoices.paid_at as date) >= fx_rates.valid_from
),

invoice_deals as (
    select
        invoices_usd.stripe_invoice_id,
        invoices_usd.amount_paid_usd,
        won_deals.hubspot_deal_id
    from invoices_usd
    inner join won_deals
        on invoices_usd.customer_account_id = won_deals.customer_account_id
        and invoices_usd.paid_at >= won_deals.closed_at
        and invoices_usd.paid_at < won_deals.closed_at + interval {{ var('attribution_revenue_months', 12) }} month
    qualify row_number() over (
        partition by invoices_usd.stripe_invoice_id
        order by won_deals.closed_at desc, won_deals.hubspot_deal_id desc
    ) = 1
),

deal_revenue as (
    select
        hubspot_deal_id,
        count(*) as stripe_paid_invoices,
        sum(amount_paid_usd) as stripe_revenue_usd
    from invoice_deals
    group by hubspot_deal_id
),

final as (
    select
        won_deals.hubspot_deal_id,
        won_deals.deal_name,
        won_deals.pipeline_id,
        won_deals.pipeline_label,
        won_deals.deal_type,
        won_deals.hubspot_company_id,
        won_deals.customer_account_id,
        won_deals.created_at,
        won_deals.closed_at,
        won_deals.won_amount_usd,
        coalesce(deal_revenue.stripe_paid_invoices, 0) as stripe_paid_invoices,
        cast(coalesce(deal_revenue.stripe_revenue_usd, 0) as decimal(18, 2)) as stripe_revenue_12m_usd
    from won_deals
    left join deal_revenue
        on won_deals.hubspot_deal_id = deal_revenue.hubspot_deal_id
)

select * from final
