"""PenguinMails data platform: sources → DuckDB → dbt marts → published marts, orchestrated by Dagster."""
