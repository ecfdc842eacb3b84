-- The dates the health score covers: the as-of date is the last day the app's nightly usage rollup
-- has written (the newest complete day of product data), unless the `health_as_of_date` var pins it
-- (backfills, reproducible runs); the scored window is the `health_window_days` (default 180) days
-- up to it; the history start leaves 89 more days before the window for the rolling 90-day measures
-- (and the 30 + 30 days of the trends).
with usage as (
    select max(usage_date) as latest_usage_date
    from {{ ref('stg_app__daily_usage') }}
),

as_of as (
    select
        {% if var('health_as_of_date', none) -%}
        cast('{{ var("health_as_of_date") }}' as date)
        {%- else -%}
        coalesce(latest_usage_date, current_date - 1)
        {%- endif %} as as_of_date
    from usage
),

final as (
    select
        as_of_date,
        cast(as_of_date - {{ var('health_window_days', 180) - 1 }} as date) as window_start_date,
        cast(as_of_date - {{ var('health_window_days', 180) - 1 + 89 }} as date) as history_start_date
    from as_of
)

select * from final
