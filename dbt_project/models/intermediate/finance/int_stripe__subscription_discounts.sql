-- Every discount a subscription had, with its coupon and the time it was in force. Stripe shows a
-- subscription's discount only while it lasts; invoices keep its id (`di_…`) but not its coupon.
-- The coupon is the subscription's when it still shows that discount. Otherwise the discount has
-- ended (so its coupon is not `forever`) and its coupon is the one that explains every invoice
-- carrying the discount to the cent (percent_off: each subscription line's discount = its amount ×
-- percent, rounded half away from zero; amount_off: the invoice's discount = the amount off, capped
-- at the subtotal and at the charged lines, in the coupon's currency) and its duration (`once`: one
-- invoice with something to pay; `repeating`: no invoice after its months); `unexplained_invoices`
-- counts the evidence against the chosen coupon (0 = certain).
-- In force from the subscription's creation (PenguinMails applies coupons at checkout): `forever`
-- until the subscription ends, `repeating` for `duration_in_months` months (Stripe adds calendar
-- months, clamped to the month's last day). A `once` coupon is used up by the first invoice with
-- something to pay (`used_at`); it is not recurring and never reduces MRR.
with subscriptions as (
    select stripe_subscription_id, stripe_customer_id, currency, created_at, stripe_discount_id, stripe_coupon_id
    from {{ ref('stg_stripe__subscriptions') }}
),

invoices as (
    select stripe_invoice_id, stripe_subscription_id, stripe_discount_id, currency, subtotal, total_discount, created_at
    from {{ ref('stg_stripe__invoices') }}
    where stripe_discount_id is not null
),

lines as (
    select stripe_invoice_id, line_type, amount, discount_amount
    from {{ ref('stg_stripe__invoice_lines') }}
),

coupons as (
    select stripe_coupon_id, duration, duration_in_months, percent_off, amount_off, currency as amount_off_currency
    from {{ ref('stg_stripe__coupons') }}
),

discounts as (
    select stripe_subscription_id, stripe_discount_id
    from subscriptions
    where stripe_discount_id is not null
    union
    select stripe_subscription_id, stripe_discount_id
    from invoices
    where stripe_subscription_id is not null
),

invoice_totals as (
    select
        invoices.stripe_invoice_id,
        invoices.stripe_discount_id,
        invoices.currency,
        invoices.subtotal,
        invoices.total_discount,
        sum(case when lines.line_type = 'subscription' and lines.amount > 0 then lines.amount else 0 end) as charged_amount
    from invoices
    inner join lines on invoices.stripe_invoice_id = lines.stripe_invoice_id
    group by all
),

percent_fits as (
    -- does `percent_off` explain the discount of every subscription line of the invoice?
    select
        invoices.stripe_invoice_id,
        coupons.stripe_coupon_id,
        bool_and(lines.discount_amount = round(lines.amount * cast(coupons.percent_off as decimal(9, 4)) * 0.01, 2))
            as all_lines_fit
    from invoices
    inner join lines on invoices.stripe_invoice_id = lines.stripe_invoice_id and lines.line_type = 'subscription'
    cross join coupons
    where coupons.percent_off is not null
    group by all
),

fits as (
    -- per discount and candidate coupon: how many of the discount's invoices the coupon does not explain
    select
        invoice_totals.stripe_discount_id,
        coupons.stripe_coupon_id,
        count(*) filter (where not coalesce(
            case
                when coupons.percent_off is not null then percent_fits.all_lines_fit
                else invoice_totals.currency = coupons.amount_off_currency
                    and invoice_totals.total_discount
                        = least(coupons.amount_off, greatest(invoice_totals.subtotal, 0), invoice_totals.charged_amount)
            end, false)) as unexplained_invoices
    from invoice_totals
    cross join coupons
    left join percent_fits
        on invoice_totals.stripe_invoice_id = percent_fits.stripe_invoice_id
        and coupons.stripe_coupon_id = percent_fits.stripe_coupon_id
    group by all
),

discount_facts as (
    select
        invoices.stripe_discount_id,
        min(subscriptions.created_at) as starts_at,
        max(invoices.created_at) as last_invoice_at,
        count(*) filter (where invoices.subtotal > 0) as paying_invoices
    from invoices
    inner join subscriptions on invoices.stripe_subscription_id = subscriptions.stripe_subscription_id
    group by invoices.stripe_discount_id
),

candidates as (
    -- a discount the subscription no longer shows has ended, so its coupon is not `forever`; a `once`
    -- coupon discounts one invoice with something to pay; a `repeating` one no invoice after its months
    select
        fits.stripe_discount_id,
        fits.stripe_coupon_id,
        fits.unexplained_invoices,
        case coupons.duration
            when 'forever' then false
            when 'once' then discount_facts.paying_invoices <= 1
            when 'repeating' then discount_facts.last_invoice_at < discount_facts.starts_at + to_months(coupons.duration_in_months)
            else true
        end as duration_fits
    from fits
    inner join coupons on fits.stripe_coupon_id = coupons.stripe_coupon_id
    inner join discount_facts on fits.stripe_discount_id = discount_facts.stripe_discount_id
),

best_fit as (
    select stripe_discount_id, stripe_coupon_id, unexplained_invoices + case when duration_fits then 0 else 1 end as unexplained_invoices
    from candidates
    qualify row_number() over (
        partition by stripe_discount_id order by duration_fits desc, unexplained_invoices, stripe_coupon_id
    ) = 1
),

used as (
    select stripe_discount_id, min(created_at) as used_at, count(*) as invoices_discounted
    from invoices
    group by stripe_discount_id
),

first_paying_invoice as (
    select stripe_discount_id, min(created_at) as used_at
    from invoices
    where subtotal > 0
    group by stripe_discount_id
),

final as (
    select
        discounts.stripe_discount_id,
        discounts.stripe_subscription_id,
        coalesce(current_discount.stripe_coupon_id, best_fit.stripe_coupon_id) as stripe_coupon_id,
        case when current_discount.stripe_coupon_id is not null then 'subscription' else 'invoices' end as coupon_source,
        coupons.duration,
        coupons.duration_in_months,
        cast(coupons.percent_off as decimal(9, 4)) as percent_off,
        coupons.amount_off,
        coupons.amount_off_currency,
        coupons.duration <> 'once' as is_recurring,
        subscriptions.created_at as starts_at,
        case
            when coupons.duration = 'repeating' then subscriptions.created_at + to_months(coupons.duration_in_months)
            when coupons.duration = 'once' then first_paying_invoice.used_at
        end as ends_at,
        coalesce(used.invoices_discounted, 0) as invoices_discounted,
        case when current_discount.stripe_coupon_id is null then best_fit.unexplained_invoices end as unexplained_invoices
    from discounts
    inner join subscriptions on discounts.stripe_subscription_id = subscriptions.stripe_subscription_id
    left join subscriptions as current_discount
        on discounts.stripe_subscription_id = current_discount.stripe_subscription_id
        and discounts.stripe_discount_id = current_discount.stripe_discount_id
    left join best_fit on discounts.stripe_discount_id = best_fit.stripe_discount_id
    left join coupons on coalesce(current_discount.stripe_coupon_id, best_fit.stripe_coupon_id) = coupons.stripe_coupon_id
    left join used on discounts.stripe_discount_id = used.stripe_discount_id
    left join first_paying_invoice on discounts.stripe_discount_id = first_paying_invoice.stripe_discount_id
)

select * from final
