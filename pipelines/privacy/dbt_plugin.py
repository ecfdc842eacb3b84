"""dbt-duckdb plugin (profiles.yml `plugins`): defines `pii_pseudonymise(value)` on every connection
and cursor dbt opens, for the `pseudonymise` macro (dbt_project/macros/privacy/)."""
from dbt.adapters.duckdb.plugins import BasePlugin

from pipelines.privacy.pseudonym import prepare_connection


class Plugin(BasePlugin):
    def configure_connection(self, conn):
        prepare_connection(conn)

    def configure_cursor(self, cursor):
        prepare_connection(cursor)
