"""Analyst access to the platform's data: SQL over the published marts (`penguin query`) and saved
queries, rolling back a publish, Parquet exports, and warehouse backups with a tested restore."""
from __future__ import annotations

from pathlib import Path


class AccessError(Exception):
    """A problem the user can fix, in one line that says what failed and what to do."""


def first_line(error: Exception) -> str:
    """A DuckDB error's first line (later lines hold hints and candidates)."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def sql_path(path: Path) -> str:
    """A file path as the inside of a SQL string literal."""
    return str(path).replace("'", "''")
