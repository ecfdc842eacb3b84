"""The reverse ETL's tables in the warehouse (schema `reverse_etl`, never published):

* `hubspot_pushed`: per company and owned property, the value last written (or found already there);
  the diff against it decides what to write.
* `jira_episodes`: per account and at-risk episode (its first day), the ticket opened and, once the
  account left the tier, the recovery comment.
* `audit`: one row per write to a vendor: what, the value before and after, when, which run.

A batch's state and audit rows are written in one transaction right after the vendor accepted it, so
a run that dies midway resumes without writing anything twice.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb

from pipelines.reverse_etl.settings import MART, SCHEMA

DDL = (
    f"create schema if not exists {SCHEMA}",
    f"""create table if not exists {SCHEMA}.hubspot_pushed (
        hubspot_company_id varchar, property varchar, value varchar, pushed_at timestamptz, run_id varchar,
        primary key (hubspot_company_id, property))""",
    f"""create table if not exists {SCHEMA}.jira_episodes (
        customer_account_id varchar, at_risk_since date, label varchar, issue_key varchar, opened_at timestamptz,
        opened_run_id varchar, recovered_at timestamptz, recovery_comment_id varchar, recovered_run_id varchar,
        primary key (customer_account_id, at_risk_since))""",
    f"""create table if not exists {SCHEMA}.audit (
        written_at timestamptz, run_id varchar, target varchar, action varchar, object_id varchar, field varchar,
        old_value varchar, new_value varchar, note varchar)""",
)


@dataclass(frozen=True)
class Write:
    """One write for the audit: `action` on `object_id` (a company, an issue, a property), `field` `old` → `new`."""

    target: str  # hubspot | jira
    action: str  # create_property_group | create_property | update | create_issue | comment
    object_id: str
    field: str | None = None
    old: str | None = None
    new: str | None = None
    note: str | None = None


@dataclass
class Report:
    """What a push planned (dry run) or did: one line per change, and counts."""

    lines: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, what: str, line: str) -> None:
        self.lines.append(line)
        self.counts[what] = self.counts.get(what, 0) + 1


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    for statement in DDL:
        con.execute(statement)


def mart_rows(con: duckdb.DuckDBPyConnection, where: str) -> list[dict]:
    cur = con.execute(f"select * from {MART} where {where} order by customer_account_id")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def pushed_values(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], str]:
    return {(c, p): v for c, p, v in con.execute(
        f"select hubspot_company_id, property, value from {SCHEMA}.hubspot_pushed").fetchall()}


def open_episodes(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[date, str, str]]:
    """Per account with an open at-risk episode: (its first day, its label, its ticket key)."""
    return {a: (since, label, key) for a, since, label, key in con.execute(
        f"select customer_account_id, at_risk_since, label, issue_key from {SCHEMA}.jira_episodes "
        "where recovered_at is null").fetchall()}


def record(con: duckdb.DuckDBPyConnection, run_id: str, writes: list[Write], statements: list[tuple[str, list]] = ()
           ) -> None:
    """The audit rows of `writes` and the state `statements`, in one transaction."""
    con.execute("begin")
    try:
        for sql, params in statements:
            con.execute(sql, params)
        if writes:
            con.executemany(f"insert into {SCHEMA}.audit values (now(), ?, ?, ?, ?, ?, ?, ?, ?)",
                            [[run_id, w.target, w.action, w.object_id, w.field, w.old, w.new, w.note] for w in writes])
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def pushed_statement(company_id: str, prop: str, value: str, run_id: str) -> tuple[str, list]:
    return (f"insert or replace into {SCHEMA}.hubspot_pushed values (?, ?, ?, now(), ?)",
            [company_id, prop, value, run_id])


def opened_statement(account_id: str, since: date, label: str, issue_key: str, run_id: str) -> tuple[str, list]:
    return (f"insert into {SCHEMA}.jira_episodes values (?, ?, ?, ?, now(), ?, null, null, null)",
            [account_id, since, label, issue_key, run_id])


def recovered_statement(account_id: str, since: date, comment_id: str, run_id: str) -> tuple[str, list]:
    return (f"update {SCHEMA}.jira_episodes set recovered_at = now(), recovery_comment_id = ?, recovered_run_id = ? "
            "where customer_account_id = ? and at_risk_since = ?", [comment_id, run_id, account_id, since])
