"""Paging over what a query sees now: sorted views cached per (clock, query), and change logs for
the incremental feeds (Calendar sync tokens, Drive changes)."""
from __future__ import annotations

import bisect
from collections import OrderedDict
from typing import Any, Callable, Generic, Hashable, Iterable, TypeVar

from sandbox.google.web import invalid
from sandbox.store import Record

T = TypeVar("T")


class SortedView(Generic[T]):
    """Items in key order; a page starts after the key of the previous page's last item, so paging
    stays consistent even if the clock moves between pages."""

    def __init__(self, pairs: Iterable[tuple[Any, T]]):
        pairs = sorted(pairs, key=lambda p: p[0])
        self.keys = [k for k, _ in pairs]
        self.items = [v for _, v in pairs]

    def __len__(self) -> int:
        return len(self.items)

    def page(self, after: Any, limit: int) -> tuple[list[T], Any]:
        """Up to `limit` items after key `after` (None = from the start) and the cursor of the next page (None = last)."""
        try:
            start = 0 if after is None else bisect.bisect_right(self.keys, after)
        except TypeError:  # a cursor that does not compare with this view's keys is not one of ours
            raise invalid("Invalid page token value.", "pageToken") from None
        end = min(start + limit, len(self.items))
        return self.items[start:end], (self.keys[end - 1] if end < len(self.items) else None)


class ViewCache:
    """A few recently used views, keyed on (world clock, query)."""

    def __init__(self, size: int = 8):
        self._views: OrderedDict[Hashable, Any] = OrderedDict()
        self._size = size

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        if key in self._views:
            self._views.move_to_end(key)
            return self._views[key]
        view = self._views[key] = build()
        if len(self._views) > self._size:
            self._views.popitem(last=False)
        return view

    def clear(self) -> None:
        self._views.clear()


class ChangeLog:
    """Every change (a version or the deletion) of a set of records, as (time, record id) in time order.

    Positions are stable cursors: changes are only ever added after the clock, i.e. after every
    position a client can hold."""

    def __init__(self, records: Iterable[Record]):
        entries = sorted((t, r.id) for r in records for t in change_times(r))
        self.times = [t for t, _ in entries]
        self.ids = [i for _, i in entries]

    def add(self, t: int, record_id: str) -> None:
        i = bisect.bisect_right(self.times, t)
        self.times.insert(i, t)
        self.ids.insert(i, record_id)

    def position(self, t: int) -> int:
        """The position right after every change at or before `t`."""
        return bisect.bisect_right(self.times, t)

    def latest(self, start: int, now: int, by_id: dict[str, Record], limit: int) -> tuple[list[tuple[int, Record]], int]:
        """From position `start`, up to `limit` changes visible at `now` that are their record's latest one
        (a record changed twice shows once, at its last change), and the position to continue from."""
        end, out, i = self.position(now), [], start
        while i < end and len(out) < limit:
            r = by_id[self.ids[i]]
            if r.updated_at(now) == self.times[i]:
                out.append((self.times[i], r))
            i += 1
        while i < end and by_id[self.ids[i]].updated_at(now) != self.times[i]:
            i += 1
        return out, i


def change_times(r: Record) -> list[int]:
    times = {t for t, _ in r.versions}
    if r.deleted is not None:
        times.add(r.deleted)
    return sorted(times)
