"""Configuration of the Stripe source."""
from dagster import ConfigurableResource

from pipelines.sources.stripe.settings import API_BASE


class StripeAccount(ConfigurableResource):
    """Stripe's API: the secret key (`STRIPE_API_KEY`) and the API root (`STRIPE_API_BASE`,
    `https://api.stripe.com` in production; the sandbox points it at its emulator)."""

    api_key: str
    api_base: str = API_BASE
