-- How the records of each system were tied to a customer account, and what share each rule took.
with links as (
    select * from {{ ref('int_customer_identity__links') }}
),

counts as (
    select source_system, match_method, count(*) as records
    from links
    group by source_system, match_method
),

final as (
    select
        source_system,
        match_method,
        match_method in ('tenant', 'stripe_metadata_tenant_id', 'app_tenant_stripe_customer_id',
                         'crm_tenant_id', 'crm_stripe_customer_id') as is_id_match,
        match_method in ('stripe_only', 'crm_only') as is_unmatched,
        cast(records as bigint) as records,
        cast(round(records / sum(records) over (partition by source_system), 4) as decimal(6, 4)) as share_of_system
    from counts
)

select * from final
