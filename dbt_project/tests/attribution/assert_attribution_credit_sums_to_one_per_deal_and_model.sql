-- Every won deal is attributed under every model, and its credits add up to 1 in each.
{{ config(meta={'dagster': {'ref': {'name': 'fct_attribution'}}}) }}

with conversions as (
    select hubspot_deal_id from {{ ref('int_attribution__conversions') }}
),

models as (
    select * from (values ('first_touch'), ('last_touch'), ('linear'), ('time_decay'), ('position_based')) as t (attribution_model)
),

credit_sums as (
    select
        hubspot_deal_id,
        attribution_model,
        sum(credit) as total_credit,
        min(credit) as min_credit,
        max(credit) as max_credit
    from {{ ref('fct_attribution') }}
    group by hubspot_deal_id, attribution_model
),

final as (
    select
        conversions.hubspot_deal_id,
        models.attribution_model,
        credit_sums.total_credit,
        credit_sums.min_credit,
        credit_sums.max_credit
    from conversions
    cross join models
    left join credit_sums
        on conversions.hubspot_deal_id = credit_sums.hubspot_deal_id
        and models.attribution_model = credit_sums.attribution_model
    where credit_sums.total_credit is null
        or abs(credit_sums.total_credit - 1) > 1e-9
        or credit_sums.min_credit < 0
        or credit_sums.max_credit > 1 + 1e-9
)

select * from final
