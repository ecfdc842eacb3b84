-- top_reasons holds at most three reasons, and is empty exactly when no component lost a point or
-- more (weights: usage 30, billing 30, support 15, deliverability 15, engagement 10).
with health as (
    select
        *,
        greatest(
            30 * (100 - usage_score), 30 * (100 - billing_score), 15 * (100 - support_score),
            15 * (100 - deliverability_score), 10 * (100 - engagement_score)
        ) / 100.0 as most_points_lost
    from {{ ref('fct_health_daily') }}
),

final as (
    select customer_account_id, date, most_points_lost, top_reasons
    from health
    where len(string_split(coalesce(top_reasons, ''), '; ')) > 3
        -- component scores are rounded to one decimal: leave a margin around the one-point line
        or (top_reasons is null and most_points_lost >= 1.05)
        or (top_reasons is not null and most_points_lost < 0.95)
)

select * from final
