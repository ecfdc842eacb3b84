"""Configuration of the PenguinMails app database source."""
from dagster import ConfigurableResource


class AppDatabase(ConfigurableResource):
    """The PenguinMails app database (`PENGUINMAILS_DB_URL`, a SQLAlchemy URL)."""

    url: str
