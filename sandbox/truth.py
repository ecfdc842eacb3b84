"""Ground truth: per source table, the rows a perfect sync at the world's current time must hold.

Each emulator's `truth()` maps a table name (the raw table the pipeline loads, e.g. `customers`)
to rows: the record's primary key and the fields the pipeline loads, plus `_deleted: true` for
records a sync must keep as soft-deleted. Rows come in primary-key order and are written with
sorted keys, so the same seed and scale give byte-identical files.
"""
from __future__ import annotations

from typing import Iterable, Iterator

import orjson


def jsonl_lines(rows: Iterable[dict]) -> Iterator[bytes]:
    for row in rows:
        yield orjson.dumps(row, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)

