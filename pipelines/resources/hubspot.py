"""Configuration of the HubSpot source."""
from dagster import ConfigurableResource

from pipelines.sources.hubspot.settings import API_BASE


class HubSpotPortal(ConfigurableResource):
    """HubSpot's CRM API: a private-app access token (`HUBSPOT_ACCESS_TOKEN`) and the API root
    (`HUBSPOT_API_BASE`, `https://api.hubapi.com` in production; the sandbox points it at its emulator)."""

    access_token: str
    api_base: str = API_BASE
