"""Saved queries: `queries/<name>.sql`, each opening with a comment whose first line is its title."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipelines.access import AccessError

QUERIES_DIR = Path(__file__).resolve().parents[2] / "queries"


@dataclass(frozen=True)
class SavedQuery:
    name: str
    title: str
    sql: str


def saved_queries(directory: Path = QUERIES_DIR) -> dict[str, SavedQuery]:
    """Every saved query by name, in name order."""
    out = {}
    for path in sorted(directory.glob("*.sql")):
        sql = path.read_text()
        comments = [line.removeprefix("--").strip() for line in sql.splitlines() if line.startswith("--")]
        out[path.stem] = SavedQuery(path.stem, comments[0] if comments else "", sql)
    return out


def saved_query(name: str, directory: Path = QUERIES_DIR) -> SavedQuery:
    queries = saved_queries(directory)
    if name.removesuffix(".sql") not in queries:
        raise AccessError(f"no saved query {name!r}; `penguin query --list` shows them")
    return queries[name.removesuffix(".sql")]
