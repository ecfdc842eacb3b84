"""Dagster resources: each source's configuration, read from the environment (`EnvVar`)."""
