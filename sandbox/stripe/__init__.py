"""Stripe emulator: customers, subscriptions, invoices, charges, refunds, credit notes, balance
transactions, catalog and events of the world, served like Stripe's API (see docs/sandbox/stripe.md)."""
from sandbox.stripe.emulator import StripeEmulator

__all__ = ["StripeEmulator"]
