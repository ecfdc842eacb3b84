"""Unit tests of what every source shares: Arrow pages, retries, one-line errors, publishing."""
import threading
import time

import duckdb
import pyarrow as pa
import pytest

from pipelines.publish import publish_marts
from pipelines.sources.common.arrow import JSON, TIMESTAMP, Column, TableSpec, to_arrow
from pipelines.sources.common.errors import SourceAuthError, SourceError, scrub
from pipelines.sources.common.retry import Outcome, RetryPolicy, with_retries

SPEC = TableSpec("customers", "id", (
    Column("id", pa.string()), Column("created", TIMESTAMP), Column("balance", pa.int64()),
    Column("metadata", JSON), Column("tenant_id", pa.string(), ("metadata", "tenant_id")),
))


def test_arrow_page_keeps_declared_unknown_and_mistyped_values():
    rows = [
        {"id": "c1", "created": 1_700_000_000, "balance": 5, "metadata": {"tenant_id": "7"}, "brand_new": {"a": 1}},
        {"id": "c2", "created": "2026-11-02T01:29:47.123-0800", "balance": "oops", "metadata": {}, "brand_new": "x"},
    ]
    t = to_arrow(rows, SPEC, {"_deleted": False})
    assert t.column("tenant_id").to_pylist() == ["7", None]
    assert t.column("metadata").to_pylist() == ['{"tenant_id":"7"}', "{}"]
    assert t.column("balance").to_pylist() == [5, None]  # the mistyped value is not lost:
    assert t.column("balance__v_text").to_pylist() == [None, "oops"]
    assert t.column("brand_new").to_pylist() == ['{"a":1}', "x"]  # schema drift becomes a column
    created = t.column("created").to_pylist()
    assert created[0].timestamp() == 1_700_000_000 and created[1].isoformat() == "2026-11-02T09:29:47.123000+00:00"
    assert t.column("_deleted").to_pylist() == [False, False]


def _classify(e):
    return e.args[0] if isinstance(e, RuntimeError) and isinstance(e.args[0], Outcome) else None


def test_retries_honour_retry_after_then_succeed():
    outcomes = [Outcome(True, 429, retry_after=2.5), Outcome(True, 503)]
    slept = []

    def call():
        if outcomes:
            raise RuntimeError(outcomes.pop(0))
        return "ok"

    assert with_retries("stripe", call, _classify, credential_vars="STRIPE_API_KEY", what="listing customers",
                        sleep=slept.append) == "ok"
    assert slept[0] == pytest.approx(2.5, rel=0.11) and slept[1] == pytest.approx(1.0, rel=0.11)


def test_auth_failure_is_one_line_naming_the_variable_and_no_secret():
    def call():
        raise RuntimeError(Outcome(False, 401, message="Invalid API Key provided: sk_test_abcdef123456"))

    with pytest.raises(SourceAuthError) as e:
        with_retries("stripe", call, _classify, credential_vars="STRIPE_API_KEY", what="listing customers",
                     secrets=["sk_test_abcdef123456"], sleep=lambda s: None)
    msg = str(e.value)
    assert msg.startswith("stripe: listing customers was refused (401") and "STRIPE_API_KEY" in msg
    assert "abcdef123456" not in msg and "\n" not in msg


def test_gives_up_with_a_source_error_after_the_last_attempt():
    def call():
        raise RuntimeError(Outcome(True, 503, message="service unavailable"))

    with pytest.raises(SourceError, match=r"^jira: searching issues failed after 3 attempts: service unavailable"):
        with_retries("jira", call, _classify, credential_vars="JIRA_API_TOKEN", what="searching issues",
                     policy=RetryPolicy(attempts=3), sleep=lambda s: None)


def test_scrub_removes_credentials_and_keeps_one_line():
    assert scrub("GET failed: Authorization: Bearer abc.def-123456789\nsecond line") == "GET failed: Authorization: Bearer ***"
    assert scrub("token=zz-secret-zz in url", ["zz-secret-zz"]) == "token=*** in url"


def test_publish_swaps_atomically_while_a_reader_keeps_reading(tmp_path):
    warehouse, marts = tmp_path / "warehouse.duckdb", tmp_path / "marts.duckdb"

    def build(n):
        con = duckdb.connect(str(warehouse))
        con.execute("create schema if not exists finance; create schema if not exists raw_stripe")
        con.execute(f"create or replace table finance.fct_x as select range as i from range({n})")
        con.execute("create or replace table raw_stripe.customers as select 'a@b.com' as email")
        con.close()

    build(10)
    first = publish_marts(warehouse, marts)
    assert first.tables == {"finance.fct_x": 10} and first.previous is None
    seen, errors, stop = set(), [], threading.Event()

    def reader():
        while not stop.is_set():
            try:
                con = duckdb.connect(str(marts), read_only=True)
                seen.add(con.execute("select count(*) from finance.fct_x").fetchone()[0])
                con.close()
            except Exception as e:  # noqa: BLE001 - any failure is what this test looks for
                errors.append(e)

    t = threading.Thread(target=reader)
    t.start()
    for n in (20, 30):
        time.sleep(0.05)
        build(n)
        publish_marts(warehouse, marts)
    time.sleep(0.05)
    stop.set()
    t.join()
    assert not errors and seen <= {10, 20, 30} and 30 in seen
    con = duckdb.connect(str(marts), read_only=True)
    schemas = {r[0] for r in con.execute("select schema_name from information_schema.schemata").fetchall()}
    assert "raw_stripe" not in schemas
    assert len(list((tmp_path / "published").glob("marts-*.duckdb"))) == 2
