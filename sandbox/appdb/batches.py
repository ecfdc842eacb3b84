"""Rows as Arrow batches, and the forms two consumers take them in: PostgreSQL COPY CSV and
ground-truth dicts. (SQLite takes the rows as they are: its INSERT formats the times itself.)"""
from __future__ import annotations

import io
from itertools import islice
from typing import Iterable, Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

BATCH_ROWS = 50_000
TRUTH_TIMESTAMP = "%Y-%m-%dT%H:%M:%S.000Z"
_CSV = pacsv.WriteOptions(include_header=False)


def batches(rows: Iterable[tuple], schema: pa.Schema) -> Iterator[pa.Table]:
    """Rows (epoch seconds for timestamps, epoch days for dates) as Arrow tables of BATCH_ROWS rows."""
    it = iter(rows)
    while chunk := list(islice(it, BATCH_ROWS)):
        columns = zip(*chunk)
        yield pa.Table.from_arrays([pa.array(c, type=f.type) for c, f in zip(columns, schema)], schema=schema)


def csv_bytes(batch: pa.Table) -> bytes:
    """CSV that PostgreSQL's COPY reads (NULL unquoted-empty, strings quoted). Timestamps are written
    without a zone, four times faster: the COPY session's time zone is UTC."""
    naive = [c.cast(pa.timestamp(c.type.unit)) if pa.types.is_timestamp(c.type) else c for c in batch.columns]
    out = io.BytesIO()
    pacsv.write_csv(pa.Table.from_arrays(naive, names=batch.column_names), out, _CSV)
    return out.getvalue()


def truth_dicts(batch: pa.Table) -> Iterator[dict]:
    """Rows as truth dicts: ISO UTC timestamps, ISO dates, `_deleted: true` for soft-deleted rows."""
    names = batch.column_names
    deleted = "deleted_at" in names
    for row in zip(*(_texts(col).to_pylist() for col in batch.columns)):
        d = dict(zip(names, row))
        if deleted and d["deleted_at"] is not None:
            d["_deleted"] = True
        yield d


def _texts(col: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_timestamp(col.type):
        return pc.strftime(col, format=TRUTH_TIMESTAMP)
    if pa.types.is_date(col.type):
        return col.cast(pa.string())
    return col
