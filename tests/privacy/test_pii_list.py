"""docs/pii.md and the PII list the code erases by (`pipelines/privacy/pii.py`) say the same."""
import re
from pathlib import Path

from pipelines.privacy.pii import PII_TABLES

DOC = Path(__file__).resolve().parents[2] / "docs" / "pii.md"


def documented() -> dict[tuple[str, str, str], tuple[str, bool, bool]]:
    """(source, table, column) -> (kind, is identity, row deleted), from the tables under `### <source>`."""
    out, source = {}, None
    for line in DOC.read_text().splitlines():
        if heading := re.fullmatch(r"### (\w+)", line):
            source = heading.group(1)
        elif source and (row := re.fullmatch(r"\| (\w+) \| (\w+) \| (\w+)( \(identity\))? \| [^|]+ \| ([^|]+) \|", line)):
            table, column, kind, identity, on_erasure = row.groups()
            if table != "table":  # the header row
                out[(source, table, column)] = (kind, bool(identity), on_erasure.strip() == "row deleted")
    return out


def test_the_doc_lists_every_pii_column_the_code_knows_and_no_other():
    in_code = {(t.source, t.table, column): (kind, column == t.identity, t.on_erase == "delete")
               for t in PII_TABLES for column, kind in t.columns.items()}
    assert documented() == in_code


def test_every_identity_is_an_email_column_and_deleting_tables_have_one():
    for t in PII_TABLES:
        assert t.on_erase in ("delete", "pseudonymise")
        assert t.identity is None or t.columns[t.identity] == "email", t
        assert t.on_erase == "pseudonymise" or t.identity, t
