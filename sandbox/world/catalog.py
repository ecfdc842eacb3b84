"""What PenguinMails sells: plans, add-ons, one-off and metered items, coupons and their prices.

Prices are in the smallest currency unit (cents). Yearly prices are ten monthly ones (two months
free); quarterly prices are three monthly ones less 5 %. The catalog does not depend on the seed.
"""
from __future__ import annotations

from dataclasses import dataclass

CURRENCIES = ("usd", "eur", "gbp")
PLANS = ("starter", "growth", "scale")
# interval name -> (Stripe recurring.interval, interval_count, months per period)
INTERVALS = {"month": ("month", 1, 1), "quarter": ("month", 3, 3), "year": ("year", 1, 12)}

MONTHLY_CENTS = {
    "starter": {"usd": 4900, "eur": 4500, "gbp": 3900},
    "growth": {"usd": 14900, "eur": 13900, "gbp": 11900},
    "scale": {"usd": 39900, "eur": 36900, "gbp": 31900},
    "seat": {"usd": 1500, "eur": 1400, "gbp": 1200},
    "dedicated_ip": {"usd": 5900, "eur": 5500, "gbp": 4700},
}
PRODUCT_NAMES = {
    "starter": "PenguinMails Starter",
    "growth": "PenguinMails Growth",
    "scale": "PenguinMails Scale",
    "seat": "Additional seat",
    "dedicated_ip": "Dedicated sending IP",
    "extra_sends": "Extra sends (per 1,000)",
    "onboarding": "Onboarding package",
}
ONBOARDING_CENTS = {"usd": 50000, "eur": 45000, "gbp": 40000}
EXTRA_SENDS_CENTS_PER_1000 = {"usd": 80, "eur": 75, "gbp": 65}


@dataclass(frozen=True, slots=True)
class Coupon:
    id: str
    name: str
    duration: str  # once | repeating | forever
    percent_off: float | None = None
    amount_off: int | None = None  # cents, in `currency`
    currency: str | None = None
    duration_in_months: int | None = None


COUPONS = {
    c.id: c
    for c in (
        Coupon("LAUNCH20", "Launch 20% off for 3 months", "repeating", percent_off=20.0, duration_in_months=3),
        Coupon("ANNUAL10", "10% off forever", "forever", percent_off=10.0),
        Coupon("PARTNER50", "$50 off forever (partners)", "forever", amount_off=5000, currency="usd"),
        Coupon("WELCOME100", "First invoice free", "once", percent_off=100.0),
    )
}


def unit_amount(item: str, currency: str, interval: str) -> int:
    """Price of one unit of `item` per billing period of `interval`, in cents."""
    monthly = MONTHLY_CENTS[item][currency]
    if interval == "year":
        return monthly * 10
    if interval == "quarter":
        return round(monthly * 3 * 0.95)
    return monthly
