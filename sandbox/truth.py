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


def jsonl_chunks(rows: Iterable[dict], batch: int = 2_000) -> Iterator[bytes]:
    """JSON lines joined `batch` rows at a time: one HTTP chunk per row would be slow to stream."""
    chunk: list[bytes] = []
    for line in jsonl_lines(rows):
        chunk.append(line)
        if len(chunk) == batch:
            yield b"".join(chunk)
            chunk = []
    if chunk:
        yield b"".join(chunk)

