"""Personal data: the PII column list per source (`pii`), keyed-hash pseudonyms (`pseudonym`),
erasure with tombstones and an audit record (`erasure`), and the dbt-duckdb plugin that gives the
marts the same keyed hash (`dbt_plugin`). See docs/pii.md."""


class PrivacyError(Exception):
    """A problem the operator can fix, in one line that says what failed and what to do."""
