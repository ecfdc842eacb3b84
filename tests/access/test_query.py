"""`penguin query` on a real published marts file: formats, read-only, saved queries, the shell."""
from __future__ import annotations

import csv
import hashlib
import io
import json

import duckdb
import pytest

from pipelines.access.saved import QUERIES_DIR, saved_queries
from tests.conftest import REPO

pytestmark = pytest.mark.slow

SQL = "select source, rows_loaded, failures_7d from ops.sync_health order by source"


def _rows(world, sql: str) -> list[tuple]:
    con = duckdb.connect(str(world.paths.marts), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _one_line(done) -> str:
    assert done.returncode == 1, done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    return lines[0]


def test_table_csv_and_json_of_a_real_query(published):
    expected = _rows(published, SQL)
    assert len(expected) == 5
    table = published.penguin("query", SQL)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.strip().splitlines()
    assert lines[0] == "| source | rows_loaded | failures_7d |" and len(lines) == 2 + len(expected)
    assert [line.split(" | ")[0].lstrip("| ") for line in lines[2:]] == [r[0] for r in expected]

    as_csv = published.penguin("query", "--format", "csv", SQL)
    assert as_csv.returncode == 0, as_csv.stderr
    parsed = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert parsed[0] == ["source", "rows_loaded", "failures_7d"]
    assert [(s, int(n), int(f)) for s, n, f in parsed[1:]] == expected

    as_json = published.penguin("query", "--format", "json", SQL)
    assert as_json.returncode == 0, as_json.stderr
    assert [tuple(r.values()) for r in json.loads(as_json.stdout)] == expected


def test_the_marts_are_read_only_and_writes_fail_in_one_line(published, tmp_path):
    marts = published.paths.marts
    before = hashlib.sha256(marts.read_bytes()).hexdigest()
    out = tmp_path / "out.csv"
    for sql in ("delete from ops.sync_health", "create table finance.mine as select 1 as x",
                "drop table support.fct_tickets", f"attach '{published.paths.warehouse}' as wh",
                f"copy (select 1) to '{out}'"):
        line = _one_line(published.penguin("query", sql))
        assert line.startswith("query: refused"), line
    assert hashlib.sha256(marts.read_bytes()).hexdigest() == before and not out.exists()
    assert "does not exist" in _one_line(published.penguin("query", "select * from finance.nope"))


def test_saved_queries_are_listed_documented_and_return_rows_on_the_built_marts(published):
    queries = saved_queries()
    assert {"mrr_this_month", "at_risk_customers", "top_campaigns_by_roi", "sla_breaches"} <= set(queries)
    listing = published.penguin("query", "--list")
    readme = (REPO / "README.md").read_text()
    for name, query in queries.items():
        assert query.title and f"{name} " in listing.stdout and query.title in listing.stdout
        assert f"`{name}`" in readme, f"{name} is not documented in the README"
        done = published.penguin("query", "--saved", name, "--format", "json")
        assert done.returncode == 0, done.stderr
        rows = json.loads(done.stdout)
        print(f"{name}: {len(rows)} rows")
        assert rows, name
        assert rows == json.loads(published.penguin("query", "--format", "json",
                                                    (QUERIES_DIR / f"{name}.sql").read_text()).stdout)
    assert "penguin query --list" in _one_line(published.penguin("query", "--saved", "no_such_query"))


def test_the_shell_runs_statements_and_dot_commands_from_a_pipe(published):
    script = """.tables
select source,
       rows_loaded
from ops.sync_health order by source;
.format csv
.run mrr_this_month
select nope;
"""
    done = published.penguin("query", stdin=script)
    assert done.returncode == 1  # one statement failed, and the input was a script
    assert "| ops.sync_health | 5 |" in done.stdout
    assert "| app | " in done.stdout
    assert "month,movement_type,accounts,mrr_change,starting_mrr,ending_mrr,ending_arr" in done.stdout
    line, = done.stderr.strip().splitlines()
    assert line.startswith("query: Binder Error")


def test_without_published_marts_the_query_says_what_to_do(published, tmp_path):
    line = _one_line(published.penguin("query", "--data-dir", str(tmp_path), "select 1"))
    assert line == f"query: no published marts at {tmp_path / 'marts.duckdb'}: run `penguin run` first, or set PENGUIN_DATA_DIR"
