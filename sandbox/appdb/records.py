"""Versioned app rows: how a record's timeline becomes the row a table holds at a moment."""
from __future__ import annotations

from sandbox.store import Record


def lifecycle(created: int, versions: list[tuple[int, tuple]], deleted: int | None) -> Record:
    """A record (id assigned later) whose changes stop at its soft deletion: a deleted row no longer changes."""
    if deleted is not None:
        versions = [v for v in versions if v[0] <= deleted]
    return Record(0, created, versions, deleted)


def record_row(record: Record, at: int, since: int | None) -> tuple | None:
    """(id, *state, created_at, updated_at, deleted_at) as of `at`; None if the row does not exist yet
    or (with `since`) did not change in (since, at]."""
    if record.created > at:
        return None
    updated = record.updated_at(at)
    if since is not None and updated <= since:
        return None
    deleted = record.deleted if record.deleted is not None and record.deleted <= at else None
    return (record.id, *record.version_at(at)[1], record.created, updated, deleted)
