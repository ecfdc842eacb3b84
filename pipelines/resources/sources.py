"""Source configuration as typed Dagster resources; the values come from environment variables
(the same in production and against the sandbox, whose env file sets exactly these)."""
from __future__ import annotations

from dagster import ConfigurableResource, EnvVar


class AppDatabase(ConfigurableResource):
    """The PenguinMails app database (`PENGUINMAILS_DB_URL`, a SQLAlchemy URL)."""

    url: str


def source_resources() -> dict[str, ConfigurableResource]:
    return {
        "app_db": AppDatabase(url=EnvVar("PENGUINMAILS_DB_URL")),
    }
