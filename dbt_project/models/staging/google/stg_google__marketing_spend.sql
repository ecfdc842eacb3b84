-- Spend per month and campaign as the sheet has it now (rows removed from the sheet dropped); the
-- running month is month-to-date.
with source as (
    select * from {{ source('google', 'marketing_spend') }}
),

final as (
    select
        cast(month || '-01' as date) as month,
        campaign,
        lower(channel) as channel,
        lower(source) as utm_source,
        lower(medium) as utm_medium,
        cast(spend_usd as decimal(14, 2)) as spend_usd,
        coalesce(lower(notes) like '%month to date%', false) as is_month_to_date,
        notes
    from source
    where not coalesce(_deleted, false)
)

select * from final
