"""Configuration of the Google Workspace + GA4 source."""
from dagster import ConfigurableResource


class GoogleWorkspace(ConfigurableResource):
    """Google's APIs for a service account: its key file (`GOOGLE_APPLICATION_CREDENTIALS`, with
    domain-wide delegation for Gmail), one API root for every API (`GOOGLE_API_ENDPOINT`, empty in
    production for Google's own roots; the sandbox points it at its emulator), the GA4 property
    (`GA4_PROPERTY_ID`, `properties/<id>`), the marketing-spend spreadsheet (`MARKETING_SPEND_SHEET_ID`)
    and the shared calendars, which are also the mailboxes (`GOOGLE_CALENDAR_IDS`, comma-separated)."""

    application_credentials: str
    api_endpoint: str = ""
    ga4_property_id: str
    marketing_spend_sheet_id: str
    calendar_ids: str
