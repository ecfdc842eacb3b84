{#
  Money arithmetic of the finance marts, exact to the cent.

  DuckDB divides DECIMALs in floating point, where a value such as 41.275 can land a hair under the
  half cent. MRR therefore carries exact DECIMAL numerators (amounts, percentages and rates only
  multiply) and divides once, at the end, on integers.
#}

{# `amount` ÷ `divisor`, rounded to the cent half away from zero (Stripe's rule), as DECIMAL(18, 2).
   `amount`: a DECIMAL expression with at most 12 decimals (below 10^10 in absolute value);
   `divisor`: a positive integer expression. #}
{% macro divide_to_cents(amount, divisor) -%}
cast(
    cast(
        sign({{ amount }})
        * ((cast(abs({{ amount }}) * 100000000000000 as hugeint) * 2 + cast({{ divisor }} as hugeint) * 1000000000000)
           // (cast({{ divisor }} as hugeint) * 2000000000000))
        as decimal(38, 0)
    ) * 0.01
    as decimal(18, 2)
)
{%- endmacro %}

{# How many `recurring_interval`s make a year: monthly amount = period amount × this ÷ (12 × interval_count).
   Weeks: 52 a year (Stripe's own MRR convention); days: 365. #}
{% macro intervals_per_year(recurring_interval) -%}
case {{ recurring_interval }} when 'month' then 12 when 'year' then 1 when 'week' then 52 when 'day' then 365 end
{%- endmacro %}
