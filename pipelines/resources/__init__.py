"""Dagster resources: each source's configuration, read from environment variables (`EnvVar`),
the same in production and against the sandbox (whose env file sets exactly these)."""
from dagster import ConfigurableResource, EnvVar

from pipelines.resources.app import AppDatabase
from pipelines.resources.google import GoogleWorkspace
from pipelines.resources.hubspot import HubSpotPortal
from pipelines.resources.jira import JiraCloud
from pipelines.resources.stripe import StripeAccount


def source_resources() -> dict[str, ConfigurableResource]:
    """Every source's resource, under the key its assets ask for."""
    return {
        "app_db": AppDatabase(url=EnvVar("PENGUINMAILS_DB_URL")),
        "google": GoogleWorkspace(application_credentials=EnvVar("GOOGLE_APPLICATION_CREDENTIALS"),
                                  api_endpoint=EnvVar("GOOGLE_API_ENDPOINT"), ga4_property_id=EnvVar("GA4_PROPERTY_ID"),
                                  marketing_spend_sheet_id=EnvVar("MARKETING_SPEND_SHEET_ID"),
                                  calendar_ids=EnvVar("GOOGLE_CALENDAR_IDS")),
        "hubspot": HubSpotPortal(access_token=EnvVar("HUBSPOT_ACCESS_TOKEN"), api_base=EnvVar("HUBSPOT_API_BASE")),
        "jira": JiraCloud(url=EnvVar("JIRA_URL"), email=EnvVar("JIRA_EMAIL"), api_token=EnvVar("JIRA_API_TOKEN")),
        "stripe": StripeAccount(api_key=EnvVar("STRIPE_API_KEY"), api_base=EnvVar("STRIPE_API_BASE")),
    }
