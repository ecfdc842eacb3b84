-- Live companies only: archived ones are merged duplicates (the survivor lists them in
-- `merged_company_ids`) whose associations HubSpot moved away.
with source as (
    select * from {{ source('hubspot', 'companies') }}
),

final as (
    select
        id as hubspot_company_id,
        name as company_name,
        domain as domain_raw,
        -- the domain as the other systems write it: lower case, without `www.` / `app.`
        nullif(regexp_replace(lower(trim(domain)), '^(www|app)\.', ''), '') as domain,
        industry,
        numberofemployees as number_of_employees,
        country,
        lifecyclestage as lifecycle_stage,
        hubspot_owner_id,
        penguinmails_tenant_id as tenant_id,
        nullif(trim(stripe_customer_id), '') as stripe_customer_id,
        nullif(hs_merged_object_ids, '') as merged_company_ids,
        timezone('UTC', createdate) as created_at,
        timezone('UTC', hs_lastmodifieddate) as updated_at
    from source
    where not coalesce(_deleted, false)
)

select * from final
