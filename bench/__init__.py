"""The end-to-end benchmark of the platform against a sandbox world: our sources vs dlt's defaults vs
a plain-HTTP floor, backfill vs incremental, dbt and Dagster overhead (docs/benchmark.md)."""

SOURCES = ("app", "stripe", "jira", "hubspot", "google")
