"""Ids that link one account across systems. Every emulator that shows another system's id (Stripe
customer metadata naming the HubSpot company, a HubSpot company naming the tenant…) uses these,
so the links agree everywhere."""
from __future__ import annotations

from sandbox.ids import numeric_id, stripe_id


def stripe_customer_id(seed: int, account_idx: int) -> str:
    """One Stripe customer per account; a reactivation reuses it."""
    return stripe_id("cus", seed, account_idx)


def stripe_subscription_id(seed: int, account_idx: int, sub_idx: int) -> str:
    return stripe_id("sub", seed, account_idx, sub_idx)


def hubspot_company_id(seed: int, account_idx: int) -> str:
    return str(numeric_id(seed, "hubspot-company", account_idx))


def hubspot_contact_id(seed: int, person_key: int) -> str:
    return str(numeric_id(seed, "hubspot-contact", person_key))


def hubspot_deal_id(seed: int, account_idx: int, deal_idx: int) -> str:
    return str(numeric_id(seed, "hubspot-deal", account_idx, deal_idx))


def hubspot_owner_id(seed: int, owner_idx: int) -> str:
    return str(numeric_id(seed, "hubspot-owner", owner_idx, digits=9))


def jira_account_id(seed: int, person_key: int) -> str:
    """Jira Cloud accountId of a customer who raised a ticket (JSM customer accounts look like `qm:…`)."""
    return f"qm:{numeric_id(seed, 'jira-customer', person_key, digits=8)}:{numeric_id(seed, 'jira-customer-b', person_key, digits=12)}"
