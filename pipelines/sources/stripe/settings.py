"""Stripe: API constants, the events that follow each object type, and the `TableSpec` of every table.

Amounts stay integers in the currency's minor unit (cents), as Stripe sends them; epoch fields become
UTC timestamps; nested objects are JSON columns, with the paths analysts and marts need flattened
next to them (`metadata.tenant_id`, a price's interval, an invoice's payment intent…).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import pyarrow as pa

from pipelines.sources.common.arrow import JSON, TIMESTAMP, Column, TableSpec

API_BASE = "https://api.stripe.com"
PAGE_SIZE = 100  # Stripe's maximum `limit`
EVENT_RETENTION = 30 * 86_400  # /v1/events lists the last 30 days only
# a cursor this close to the retention edge could lose events while we page: refresh fully instead
RETENTION_MARGIN = 3_600
MAX_LIST_RESTARTS = 20  # restarts of one listing after its cursor object vanished (400 resource_missing)

# The events whose `data.object` is each object type (`types[]` takes at most 20 and no wildcards).
CUSTOMER_EVENTS = ("customer.created", "customer.updated", "customer.deleted")
SUBSCRIPTION_EVENTS = tuple(f"customer.subscription.{t}" for t in (
    "created", "updated", "deleted", "paused", "resumed", "trial_will_end",
    "pending_update_applied", "pending_update_expired"))  # `deleted` means canceled: the row stays
INVOICE_EVENTS = tuple(f"invoice.{t}" for t in (
    "created", "deleted", "finalized", "finalization_failed", "marked_uncollectible", "overdue", "overpaid",
    "paid", "payment_action_required", "payment_failed", "payment_succeeded", "sent", "updated", "voided",
    "will_be_due"))
CHARGE_EVENTS = tuple(f"charge.{t}" for t in ("captured", "expired", "failed", "pending", "refunded", "succeeded", "updated"))
REFUND_EVENTS = ("refund.created", "refund.updated", "refund.failed", "charge.refund.updated")
CREDIT_NOTE_EVENTS = ("credit_note.created", "credit_note.updated", "credit_note.voided")
PRODUCT_EVENTS = ("product.created", "product.updated", "product.deleted")
PRICE_EVENTS = ("price.created", "price.updated", "price.deleted")

S, I, B, F = pa.string(), pa.int64(), pa.bool_(), pa.float64()


def _first(values: Any) -> Any:
    return values[0] if isinstance(values, list) and values else None


def _id(value: Any) -> Any:
    """An expandable field's id, whether it came expanded or not."""
    return value.get("id") if isinstance(value, dict) else value


def _total(amounts: Any) -> int | None:
    """The sum of a list of `{"amount": …}` (discount amounts); None when Stripe sent no list."""
    return sum(a.get("amount") or 0 for a in amounts) if isinstance(amounts, list) else None


def _first_item(field: str):
    """A field of a subscription's first item (the billing period moved there in API 2025-03-31)."""
    return lambda items: (_first(items.get("data")) or {}).get(field) if isinstance(items, dict) else None


def _discount_coupon(discounts: Any) -> str | None:
    d = _first(discounts)
    return ((d.get("source") or {}).get("coupon") or _id(d.get("coupon"))) if isinstance(d, dict) else None


def _payment_intent(payments: Any) -> str | None:
    """The payment intent of an invoice's default payment (`expand[]=payments`)."""
    data = payments.get("data") if isinstance(payments, dict) else None
    chosen = next((p for p in data or () if p.get("is_default")), _first(data))
    return _id((chosen.get("payment") or {}).get("payment_intent")) if chosen else None


def _proration(parent: Any) -> bool | None:
    if not isinstance(parent, dict):
        return None
    details = parent.get("subscription_item_details") or parent.get("invoice_item_details") or {}
    return details.get("proration")


def _refund(refunds: Any) -> str | None:
    r = _first(refunds)
    return _id(r.get("refund")) if isinstance(r, dict) else None


def _spec(name: str, *columns: Column, ignore: tuple[str, ...] = ()) -> TableSpec:
    return TableSpec(name, "id", columns, ignore=frozenset(("object", *ignore)))


def _cols(typ, *names: str) -> tuple[Column, ...]:
    return tuple(Column(n, typ) for n in names)


CUSTOMERS = _spec(
    "customers",
    *_cols(S, "id", "email", "name", "phone", "currency", "description", "invoice_prefix", "tax_exempt",
           "default_source", "test_clock"),
    *_cols(I, "balance", "next_invoice_sequence"), *_cols(B, "delinquent", "livemode"), Column("created", TIMESTAMP),
    Column("country", S, ("address", "country")),
    Column("tenant_id", S, ("metadata", "tenant_id")),
    Column("hubspot_company_id", S, ("metadata", "hubspot_company_id")),
    *_cols(JSON, "address", "metadata", "invoice_settings", "preferred_locales", "shipping", "discount"),
)

SUBSCRIPTIONS = _spec(
    "subscriptions",
    *_cols(S, "id", "customer", "status", "currency", "collection_method", "description", "default_payment_method",
           "schedule"),
    Column("latest_invoice", S, convert=_id),
    *_cols(TIMESTAMP, "created", "start_date", "billing_cycle_anchor", "cancel_at", "canceled_at", "ended_at",
           "trial_start", "trial_end"),
    *_cols(B, "cancel_at_period_end", "livemode"),
    Column("current_period_start", TIMESTAMP, ("items",), _first_item("current_period_start")),
    Column("current_period_end", TIMESTAMP, ("items",), _first_item("current_period_end")),
    Column("cancellation_reason", S, ("cancellation_details", "reason")),
    Column("discount_id", S, ("discounts",), lambda d: _id(_first(d))),
    Column("discount_coupon", S, ("discounts",), _discount_coupon),
    *_cols(JSON, "discounts", "cancellation_details", "metadata", "automatic_tax", "billing_mode",
           "invoice_settings", "payment_settings", "trial_settings", "pause_collection", "pending_update",
           "transfer_data", "billing_thresholds", "billing_cycle_anchor_config", "default_tax_rates"),
    ignore=("items",),  # -> subscription_items
)

SUBSCRIPTION_ITEMS = _spec(
    "subscription_items",
    *_cols(S, "id", "subscription"), Column("quantity", I),
    *_cols(TIMESTAMP, "created", "current_period_start", "current_period_end"),
    Column("price", S, ("price", "id")),
    Column("product", S, ("price", "product"), _id),
    Column("price_currency", S, ("price", "currency")),
    Column("unit_amount", I, ("price", "unit_amount")),
    Column("recurring_interval", S, ("price", "recurring", "interval")),
    Column("recurring_interval_count", I, ("price", "recurring", "interval_count")),
    Column("usage_type", S, ("price", "recurring", "usage_type")),
    Column("price_lookup_key", S, ("price", "lookup_key")),
    *_cols(JSON, "metadata", "discounts", "tax_rates", "billing_thresholds"),
    ignore=("plan",),  # the legacy copy of `price`
)

INVOICES = _spec(
    "invoices",
    *_cols(S, "id", "customer", "subscription", "status", "billing_reason", "currency", "number", "collection_method",
           "customer_email", "customer_name", "description", "hosted_invoice_url", "invoice_pdf", "account_country"),
    *_cols(I, "subtotal", "subtotal_excluding_tax", "total", "total_excluding_tax", "starting_balance",
           "ending_balance", "amount_due", "amount_paid", "amount_remaining", "amount_overpaid", "amount_shipping",
           "attempt_count", "post_payment_credit_notes_amount", "pre_payment_credit_notes_amount"),
    *_cols(B, "attempted", "auto_advance", "livemode"),
    *_cols(TIMESTAMP, "created", "period_start", "period_end", "due_date", "effective_at", "next_payment_attempt",
           "webhooks_delivered_at", "automatically_finalizes_at"),
    *(Column(f, TIMESTAMP, ("status_transitions", f)) for f in ("finalized_at", "paid_at", "voided_at",
                                                                 "marked_uncollectible_at")),
    Column("discount", S, ("discounts",), lambda d: _id(_first(d))),
    Column("total_discount", I, ("total_discount_amounts",), _total),
    Column("payment_intent", S, ("payments",), _payment_intent),
    *_cols(JSON, "payments", "discounts", "total_discount_amounts", "total_pretax_credit_amounts", "total_taxes",
           "status_transitions", "parent", "customer_address", "metadata", "automatic_tax", "issuer",
           "payment_settings", "custom_fields", "customer_tax_ids", "default_tax_rates"),
    ignore=("lines",),  # -> invoice_lines
)

INVOICE_LINES = _spec(
    "invoice_lines",
    *_cols(S, "id", "invoice", "subscription", "currency", "description"),
    *_cols(I, "amount", "subtotal", "quantity"), *_cols(B, "discountable", "livemode"),
    Column("period_start", TIMESTAMP, ("period", "start")),
    Column("period_end", TIMESTAMP, ("period", "end")),
    Column("price", S, ("pricing", "price_details", "price")),
    Column("product", S, ("pricing", "price_details", "product")),
    Column("parent_type", S, ("parent", "type")),
    Column("subscription_item", S, ("parent", "subscription_item_details", "subscription_item")),
    Column("invoice_item", S, ("parent", "invoice_item_details", "invoice_item")),
    Column("proration", B, ("parent",), _proration),
    Column("discount_amount", I, ("discount_amounts",), _total),
    *_cols(JSON, "period", "parent", "pricing", "discount_amounts", "discounts", "pretax_credit_amounts", "taxes",
           "metadata"),
)

CHARGES = _spec(
    "charges",
    *_cols(S, "id", "customer", "payment_intent", "currency", "status", "failure_code", "failure_message",
           "description", "payment_method", "receipt_email", "receipt_url", "calculated_statement_descriptor"),
    Column("balance_transaction", S, convert=_id),
    *_cols(I, "amount", "amount_captured", "amount_refunded"),
    *_cols(B, "paid", "refunded", "captured", "disputed", "livemode"), Column("created", TIMESTAMP),
    Column("outcome_type", S, ("outcome", "type")),
    Column("outcome_reason", S, ("outcome", "reason")),
    Column("outcome_network_status", S, ("outcome", "network_status")),
    Column("card_brand", S, ("payment_method_details", "card", "brand")),
    Column("card_country", S, ("payment_method_details", "card", "country")),
    *_cols(JSON, "outcome", "billing_details", "payment_method_details", "metadata", "fraud_details"),
    ignore=("refunds",),  # -> refunds
)

REFUNDS = _spec(
    "refunds",
    *_cols(S, "id", "charge", "payment_intent", "currency", "reason", "status", "receipt_number"),
    Column("balance_transaction", S, convert=_id), Column("amount", I), Column("created", TIMESTAMP),
    *_cols(JSON, "destination_details", "metadata"),
)

CREDIT_NOTES = _spec(
    "credit_notes",
    *_cols(S, "id", "invoice", "customer", "currency", "reason", "type", "status", "number", "memo", "pdf"),
    *_cols(I, "amount", "subtotal", "total", "discount_amount", "amount_shipping", "out_of_band_amount",
           "post_payment_amount", "pre_payment_amount"),
    *_cols(TIMESTAMP, "created", "effective_at", "voided_at"),
    Column("refund", S, ("refunds",), _refund),
    *_cols(JSON, "lines", "refunds", "discount_amounts", "pretax_credit_amounts", "total_taxes", "metadata"),
)

BALANCE_TRANSACTIONS = _spec(
    "balance_transactions",
    *_cols(S, "id", "type", "reporting_category", "currency", "description", "status", "balance_type"),
    Column("source", S, convert=_id), *_cols(I, "amount", "fee", "net"), Column("exchange_rate", F),
    *_cols(TIMESTAMP, "created", "available_on"), Column("fee_details", JSON),
)

PRODUCTS = _spec(
    "products",
    *_cols(S, "id", "name", "description", "type", "unit_label", "tax_code", "url", "statement_descriptor"),
    Column("default_price", S, convert=_id), *_cols(B, "active", "livemode", "shippable"),
    *_cols(TIMESTAMP, "created", "updated"),
    *_cols(JSON, "metadata", "images", "marketing_features", "package_dimensions"),
)

PRICES = _spec(
    "prices",
    *_cols(S, "id", "currency", "type", "lookup_key", "nickname", "billing_scheme", "tax_behavior", "tiers_mode",
           "unit_amount_decimal"),
    Column("product", S, convert=_id), Column("unit_amount", I), *_cols(B, "active", "livemode"),
    Column("created", TIMESTAMP),
    Column("recurring_interval", S, ("recurring", "interval")),
    Column("recurring_interval_count", I, ("recurring", "interval_count")),
    Column("usage_type", S, ("recurring", "usage_type")),
    Column("recurring_meter", S, ("recurring", "meter")),
    *_cols(JSON, "recurring", "metadata", "transform_quantity", "custom_unit_amount", "tiers"),
)

COUPONS = _spec(
    "coupons",
    *_cols(S, "id", "name", "duration", "currency"), Column("percent_off", F),
    *_cols(I, "amount_off", "duration_in_months", "max_redemptions", "times_redeemed"),
    *_cols(B, "valid", "livemode"), *_cols(TIMESTAMP, "created", "redeem_by"),
    *_cols(JSON, "metadata", "applies_to", "currency_options"),
)


@dataclass(frozen=True)
class Listing:
    """How one Stripe object type is read: its list endpoint and the events that follow it."""

    spec: TableSpec  # the table its objects become (for a parent: the parent's table)
    path: str  # the list endpoint; `<path>/<id>` retrieves one object
    params: Mapping[str, Any] = field(default_factory=dict)  # list filters and `expand[]`
    events: tuple[str, ...] = ()  # event types carrying it; none: the whole list on every run
    deleted: tuple[str, ...] = ()  # event types that delete it
    # an event's object lacks an includable field (`expand[]` does not apply to events): read it again
    stale: Callable[[dict], bool] | None = None
    # a full listing also soft-deletes what the warehouse holds as live but Stripe no longer lists
    reconcile: bool = False
    # (list path, its params, field): other objects that name this one, to find ones deleted before any sync
    referenced_by: tuple[str, Mapping[str, Any], str] | None = None

    @property
    def expand(self) -> tuple[str, ...]:
        """The list's `expand[]` for a retrieve of one object."""
        return tuple(e.removeprefix("data.") for e in self.params.get("expand", ()))


def _unexpanded_discount(sub: dict) -> bool:
    return any(isinstance(d, str) for d in sub.get("discounts") or ())


def _payments_unknown(inv: dict) -> bool:
    """A finalized invoice with something to pay has a payment intent, shown only by `expand[]=payments`."""
    return "payments" not in inv and inv.get("status") != "draft" and (inv.get("amount_due") or 0) > 0


SUBSCRIPTION_LIST = {"status": "all"}  # the default lists only subscriptions that have not ended
LISTINGS = {
    "customers": Listing(CUSTOMERS, "/v1/customers", events=CUSTOMER_EVENTS, deleted=("customer.deleted",),
                         reconcile=True, referenced_by=("/v1/subscriptions", SUBSCRIPTION_LIST, "customer")),
    "subscriptions": Listing(SUBSCRIPTIONS, "/v1/subscriptions", {**SUBSCRIPTION_LIST, "expand": ["data.discounts"]},
                             SUBSCRIPTION_EVENTS, stale=_unexpanded_discount),
    "invoices": Listing(INVOICES, "/v1/invoices", {"expand": ["data.payments"]}, INVOICE_EVENTS,
                        ("invoice.deleted",), stale=_payments_unknown),
    "charges": Listing(CHARGES, "/v1/charges", events=CHARGE_EVENTS),
    "refunds": Listing(REFUNDS, "/v1/refunds", events=REFUND_EVENTS),
    "credit_notes": Listing(CREDIT_NOTES, "/v1/credit_notes", events=CREDIT_NOTE_EVENTS),
    "products": Listing(PRODUCTS, "/v1/products", events=PRODUCT_EVENTS, deleted=("product.deleted",), reconcile=True),
    "prices": Listing(PRICES, "/v1/prices", events=PRICE_EVENTS, deleted=("price.deleted",), reconcile=True),
    # no events: `times_redeemed` changes without one, so the (short) list is read whole on every run
    "coupons": Listing(COUPONS, "/v1/coupons", deleted=("coupon.deleted",), reconcile=True),
}

DESCRIPTIONS = {
    "customers": "Stripe customers (billing accounts); deleted ones kept with `_deleted`.",
    "subscriptions": "Stripe subscriptions in every status (`customer.subscription.deleted` means canceled).",
    "subscription_items": "The items (price × quantity) each subscription holds now.",
    "invoices": "Stripe invoices with their payment intent (the link to charges).",
    "invoice_lines": "The lines of each invoice: periods, prorations, invoice items, discounts.",
    "charges": "Payment attempts on cards, succeeded or failed; linked to invoices by payment intent.",
    "refunds": "Refunds of charges (requested, duplicate, credit notes).",
    "credit_notes": "Credit notes issued on paid invoices.",
    "balance_transactions": "Movements of the Stripe balance (charges, refunds) with fees and availability.",
    "products": "The catalog's products (plans, add-ons, metered sends, onboarding).",
    "prices": "The catalog's prices: amount, currency, billing interval and usage type.",
    "coupons": "Discount coupons and how often they were redeemed.",
}
