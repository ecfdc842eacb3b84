"""The world's catalog as Stripe products, prices and coupons, rendered once (they never change).

Prices exist per item × billing interval × currency (`growth_month_usd`, `seat_quarter_eur`…):
licensed plans and add-ons, metered extra sends (per 1,000) and the one-off onboarding package.
"""
from __future__ import annotations

from dataclasses import dataclass

from sandbox.ids import token
from sandbox.store import Record
from sandbox.timeutil import DAY
from sandbox.world.catalog import (
    COUPONS,
    CURRENCIES,
    EXTRA_SENDS_CENTS_PER_1000,
    INTERVALS,
    ONBOARDING_CENTS,
    PLANS,
    PRODUCT_NAMES,
    unit_amount,
)
from sandbox.world.model import WORLD_START

CATALOG_CREATED = WORLD_START - 30 * DAY  # the account was set up a month before the first customer
RECURRING = PLANS + ("seat", "dedicated_ip")
DESCRIPTIONS = {
    "starter": "Cold-email sending for small teams: 1 seat, shared IPs.",
    "growth": "For growing outbound teams: warm-up, A/B tests, CRM sync.",
    "scale": "High-volume sending with deliverability monitoring and SSO.",
    "seat": "One more sending seat on your workspace.",
    "dedicated_ip": "A dedicated sending IP, warmed up for you.",
    "extra_sends": "Sends beyond your plan's monthly allowance, per 1,000.",
    "onboarding": "Guided set-up of domains, warm-up and sequences.",
}


@dataclass(frozen=True, slots=True, eq=False)  # compared by identity: one object per price
class Price:
    id: str
    item: str  # starter | growth | scale | seat | dedicated_ip | extra_sends | onboarding
    product: str
    currency: str
    interval: str | None  # month | quarter | year; None for the one-off onboarding price
    unit_amount: int
    usage_type: str | None  # licensed | metered; None for one-off
    lookup_key: str
    body: dict  # the rendered price object
    plan: dict | None  # the legacy plan object subscription items still carry


class Catalog:
    """Products, prices and coupons of the sandbox's Stripe account."""

    def __init__(self, seed: int):
        self.meter = f"mtr_{token('stripe-meter', seed, length=24)}"
        self.product_ids = {item: f"prod_{token('stripe-product', seed, item)}" for item in PRODUCT_NAMES}
        self.prices: dict[str, Price] = {}
        self.price_by_key: dict[str, Price] = {}
        for item in RECURRING + ("extra_sends",):
            for interval in INTERVALS:
                for cur in CURRENCIES:
                    metered = item == "extra_sends"
                    amount = EXTRA_SENDS_CENTS_PER_1000[cur] if metered else unit_amount(item, cur, interval)
                    self._add_price(seed, item, cur, interval, amount, "metered" if metered else "licensed")
        for cur in CURRENCIES:
            self._add_price(seed, "onboarding", cur, None, ONBOARDING_CENTS[cur], None)
        self.default_price = {item: self.price_by_key[f"{item}_month_usd" if item != "onboarding" else "onboarding_usd"].id
                              for item in PRODUCT_NAMES}
        self.product_records = [Record(pid, CATALOG_CREATED, [(CATALOG_CREATED, self._product(item, pid))])
                                for item, pid in self.product_ids.items()]
        self.price_records = [Record(p.id, CATALOG_CREATED, [(CATALOG_CREATED, p.body)]) for p in self.prices.values()]
        self.coupon_records = [Record(c.id, CATALOG_CREATED, [(CATALOG_CREATED, c)]) for c in COUPONS.values()]

    def price(self, item: str, currency: str, interval: str) -> Price:
        return self.price_by_key[f"{item}_{interval}_{currency}"]

    def onboarding(self, currency: str) -> Price:
        return self.price_by_key[f"onboarding_{currency}"]

    def _add_price(self, seed, item, currency, interval, amount, usage_type) -> None:
        key = f"{item}_{interval}_{currency}" if interval else f"{item}_{currency}"
        pid = f"price_1{token('stripe-price', seed, key, length=21)}"
        recurring = plan = None
        if interval:
            stripe_interval, count, _ = INTERVALS[interval]
            recurring = {"interval": stripe_interval, "interval_count": count,
                         "meter": self.meter if usage_type == "metered" else None,
                         "trial_period_days": None, "usage_type": usage_type}
            plan = {
                "id": pid, "object": "plan", "active": True, "amount": amount, "amount_decimal": str(amount),
                "billing_scheme": "per_unit", "created": CATALOG_CREATED, "currency": currency,
                "interval": stripe_interval, "interval_count": count, "livemode": False, "metadata": {},
                "meter": recurring["meter"], "nickname": key, "product": self.product_ids[item], "tiers_mode": None,
                "transform_usage": None, "trial_period_days": None, "usage_type": usage_type,
            }
        body = {
            "id": pid, "object": "price", "active": True, "billing_scheme": "per_unit", "created": CATALOG_CREATED,
            "currency": currency, "custom_unit_amount": None, "livemode": False, "lookup_key": key, "metadata": {},
            "nickname": key, "product": self.product_ids[item], "recurring": recurring, "tax_behavior": "exclusive",
            "tiers_mode": None, "transform_quantity": None, "type": "recurring" if interval else "one_time",
            "unit_amount": amount, "unit_amount_decimal": str(amount),
        }
        price = Price(pid, item, self.product_ids[item], currency, interval, amount, usage_type, key, body, plan)
        self.prices[pid] = price
        self.price_by_key[key] = price

    def _product(self, item: str, pid: str) -> dict:
        return {
            "id": pid, "object": "product", "active": True, "created": CATALOG_CREATED,
            "default_price": self.default_price[item], "description": DESCRIPTIONS[item], "images": [],
            "livemode": False, "marketing_features": [], "metadata": {"item": item}, "name": PRODUCT_NAMES[item],
            "package_dimensions": None, "shippable": None, "statement_descriptor": None, "tax_code": "txcd_10103001",
            "unit_label": "1,000 sends" if item == "extra_sends" else ("seat" if item == "seat" else None),
            "updated": CATALOG_CREATED, "url": "https://penguinmails.com/pricing", "type": "service",
        }
