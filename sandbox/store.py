"""Versioned records and collections: how every emulator keeps its objects over time.

A `Record` is one object (a customer, an issue, a contact) with the list of its versions; what an
API shows at world time `t` is the latest version at or before `t`, unless the record was created
after `t` or deleted at or before it. A `Collection` holds the records of one kind in the order the
vendor lists them and answers cursor paging over what is visible now, caching per clock value.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Iterator, TypeVar

S = TypeVar("S")


@dataclass(slots=True)
class Record(Generic[S]):
    id: str
    created: int
    versions: list[tuple[int, S]]  # (valid from, state), sorted; the first is at `created`
    deleted: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # emulator-specific facts (owner, parent id…)

    def exists_at(self, t: int) -> bool:
        return self.created <= t and (self.deleted is None or t < self.deleted)

    def version_at(self, t: int) -> tuple[int, S] | None:
        """The (valid from, state) in force at `t`, or None before the record existed."""
        i = bisect.bisect_right(self.versions, t, key=lambda v: v[0]) - 1
        return self.versions[i] if i >= 0 else None

    def state_at(self, t: int) -> S | None:
        v = self.version_at(t)
        return v[1] if v is not None and self.exists_at(t) else None

    def updated_at(self, t: int) -> int:
        """When the record last changed at or before `t` (its deletion counts as a change)."""
        if self.deleted is not None and self.deleted <= t:
            return self.deleted
        v = self.version_at(t)
        return v[0] if v else self.created

    def add_version(self, at: int, state: S) -> None:
        """Appends a version (used when the clock advances and an emulator plants a change)."""
        if self.versions and at < self.versions[-1][0]:
            raise ValueError(f"{self.id}: version at {at} is older than the latest one")
        self.versions.append((at, state))


class Collection(Generic[S]):
    """Records of one kind in list order (`sort_key`), with paging over what is visible at `now`."""

    def __init__(self, records: list[Record[S]], sort_key: Callable[[Record[S]], Any], include_deleted: bool = False):
        self._records = sorted(records, key=sort_key)
        self.by_id = {r.id: r for r in self._records}
        self._sort_key = sort_key
        self._include_deleted = include_deleted
        self._cache: tuple[int, list[Record[S]], dict[str, int]] | None = None

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[Record[S]]:
        return iter(self._records)

    def add(self, record: Record[S]) -> None:
        bisect.insort(self._records, record, key=self._sort_key)
        self.by_id[record.id] = record
        self._cache = None

    def visible(self, now: int) -> list[Record[S]]:
        """Records shown at `now` (created by then and, unless `include_deleted`, not deleted)."""
        if self._cache is None or self._cache[0] != now:
            if self._include_deleted:
                rows = [r for r in self._records if r.created <= now]
            else:
                rows = [r for r in self._records if r.exists_at(now)]
            self._cache = (now, rows, {r.id: i for i, r in enumerate(rows)})
        return self._cache[1]

    def position(self, record_id: str, now: int) -> int | None:
        self.visible(now)
        return self._cache[2].get(record_id) if self._cache else None

    def page(self, now: int, after: str | None, limit: int, keep: Callable[[Record[S]], bool] | None = None
             ) -> tuple[list[Record[S]], bool]:
        """Up to `limit` visible records after the one with id `after` that pass `keep`, and whether more follow."""
        rows = self.visible(now)
        start = 0
        if after is not None:
            pos = self.position(after, now)
            if pos is None:
                raise KeyError(after)
            start = pos + 1
        out: list[Record[S]] = []
        for i in range(start, len(rows)):
            r = rows[i]
            if keep is None or keep(r):
                if len(out) == limit:
                    return out, True
                out.append(r)
        return out, False
