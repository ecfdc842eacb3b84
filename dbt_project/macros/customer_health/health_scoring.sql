{# Scaling rules of the customer health score (models/intermediate/customer_health). One place, so the
   component models and their docs say the same thing. #}

{# A measure scaled linearly to 0–100: 0 at `zero_at` (or beyond), 100 at `full_at` (or beyond), rounded
   to two decimals. Works in both directions: a bounce rate is scored with zero_at 0.05 and full_at 0.02.
   Null stays null. #}
{% macro health_linear_score(value, zero_at, full_at) -%}
    round(least(100.0, greatest(0.0, 100.0 * (({{ value }}) - ({{ zero_at }})) / (({{ full_at }}) - ({{ zero_at }})))), 2)
{%- endmacro %}

{# A trend: the last 30 days against the 30 days before, with a small-count allowance `allowance` added to
   both windows (3 logins after 7 is noise, not a 57 % drop): change = (current + allowance) /
   (prior + allowance) − 1. Full marks while the change is −10 % or better, 0 at −60 % or worse, linear
   between. Nothing in either window = 0 (a paying account that does nothing at all). #}
{% macro health_trend_score(current, prior, allowance=0) -%}
    case
        when coalesce({{ prior }}, 0) = 0 and coalesce({{ current }}, 0) = 0 then 0.0
        when coalesce({{ prior }}, 0) = 0 and {{ allowance }} = 0 then 100.0
        else {{ health_linear_score(
            '1.0 * (coalesce(' ~ current ~ ', 0) + ' ~ allowance ~ ') / (coalesce(' ~ prior ~ ', 0) + ' ~ allowance ~ ') - 1',
            -0.6, -0.1) }}
    end
{%- endmacro %}

{# The phrase a CSM reads for a trend, e.g. "sends down 62% vs prior 30 days (1,230 vs 3,240)". #}
{% macro health_trend_phrase(label, current, prior) -%}
    case
        when coalesce({{ prior }}, 0) = 0 and coalesce({{ current }}, 0) = 0 then 'no {{ label }} in 60 days'
        when coalesce({{ prior }}, 0) = 0 then '{{ label }} started in the last 30 days'
        when {{ current }} >= {{ prior }} then '{{ label }} up '
            || cast(round(100.0 * ({{ current }}) / ({{ prior }}) - 100) as integer) || '% vs prior 30 days'
        else '{{ label }} down '
            || cast(round(100 - 100.0 * ({{ current }}) / ({{ prior }})) as integer) || '% vs prior 30 days ('
            || format('{:,}', cast({{ current }} as bigint)) || ' vs ' || format('{:,}', cast({{ prior }} as bigint)) || ')'
    end
{%- endmacro %}

{# Dense days per account, from the history start to the as-of date of int_health__window: the frame the
   rolling windows (`rows between 29 preceding and current row`) run over. `accounts` is a relation or CTE
   with `customer_account_id` (and any other columns to carry). #}
{% macro health_account_calendar(accounts, window_relation) -%}
    select
        {{ accounts }}.*,
        cast(unnest(generate_series(
            cast({{ window_relation }}.history_start_date as timestamp),
            cast({{ window_relation }}.as_of_date as timestamp),
            interval 1 day
        )) as date) as date
    from {{ accounts }}
    cross join {{ window_relation }}
{%- endmacro %}

{# The components of the health score, their weights (points out of 100) and the order reasons are
   listed in on a tie. Changing a weight here changes the score; the docs of fct_health_daily say the same. #}
{% macro health_components() -%}
    {{ return([
        {"name": "usage", "weight": 30},
        {"name": "billing", "weight": 30},
        {"name": "support", "weight": 15},
        {"name": "deliverability", "weight": 15},
        {"name": "engagement", "weight": 10},
    ]) }}
{%- endmacro %}

{# Risk tier of a 0–100 score: healthy at 75 and above, watch from 50, at_risk below 50. #}
{% macro health_risk_tier(score) -%}
    case when {{ score }} >= 75 then 'healthy' when {{ score }} >= 50 then 'watch' else 'at_risk' end
{%- endmacro %}
