"""Configuration of the Jira Cloud source."""
from dagster import ConfigurableResource


class JiraCloud(ConfigurableResource):
    """A Jira Cloud site (`JIRA_URL`) and the service user's email and API token (`JIRA_EMAIL`,
    `JIRA_API_TOKEN`)."""

    url: str
    email: str
    api_token: str
