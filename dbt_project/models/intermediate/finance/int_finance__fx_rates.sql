-- The seed `fx_rates` as validity ranges: a rate applies to the dates from its `valid_from` up to the
-- next `valid_from` of the same currency (the latest `valid_from` on or before a date wins).
with rates as (
    select
        lower(currency) as currency,
        cast(usd_per_unit as decimal(18, 6)) as usd_per_unit,
        cast(valid_from as date) as valid_from
    from {{ ref('fx_rates') }}
),

final as (
    select
        currency,
        usd_per_unit,
        valid_from,
        lead(valid_from) over (partition by currency order by valid_from) as valid_to
    from rates
)

select * from final
