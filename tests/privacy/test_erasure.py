"""Personal data end to end: the published marts carry no contact's email, name or phone; the PII list
covers every raw column with addresses; `penguin erase` removes one person from every table, dlt's
files, the marts, and exports and backups made afterwards, writes the audit record, and the person
stays gone after the vendor changes their records and the next sync runs."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pipelines.privacy.pii import PII_TABLES
from pipelines.privacy.pseudonym import pseudonymise
from pipelines.privacy.redact import EMAIL_PATTERN, addresses_in
from tests.privacy.leaks import search_file, search_tree

pytestmark = pytest.mark.slow

STAFF_DOMAIN = "penguinmails.com"
# raw columns that hold address-shaped values that are no one's address
NOT_ADDRESSES = {("google", "calendar_events", "i_cal_uid")}  # iCalendar UIDs, `<id>@google.com`


@dataclass(frozen=True)
class Person:
    address: str
    full_name: str
    updated_at: datetime  # of their app user row

    def pattern(self, name_is_unique: bool) -> str:
        """The address, its local part next to its domain (`priya at …`, `priya%40…`), and the full name
        when no one else bears it."""
        local, domain = (re.escape(p) for p in self.address.split("@"))
        alternatives = [rf"{local}(?:@|%40|[^a-z0-9]{{1,8}}|\s+at\s+){domain}"]
        return "|".join(alternatives + ([re.escape(self.full_name)] if name_is_unique else []))


def contact_pii(world) -> tuple[set[str], set[str], set[str]]:
    """Emails, full names and phones of customer contacts and leads, as the raw warehouse holds them."""
    emails = {a for (v,) in world.warehouse(
        "select email from raw_hubspot.contacts union all select email from raw_app.users "
        "union all select email from raw_stripe.customers union all select reporter_email from raw_jira.issues "
        "union all select attendees::varchar from raw_google.calendar_events union all select to_header from raw_google.gmail_messages")
        if v for a in addresses_in(v) if not a.endswith("@" + STAFF_DOMAIN)}
    names = {n for (n,) in world.warehouse(
        "select firstname || ' ' || lastname from raw_hubspot.contacts union select full_name from raw_app.users "
        "where email not like '%@penguinmails.com' union select reporter_display_name from raw_jira.issues "
        "where reporter_email not like '%@penguinmails.com'") if n}
    phones = {p for (p,) in world.warehouse("select phone from raw_hubspot.contacts union select phone from raw_stripe.customers") if p}
    return emails, names, phones


def test_published_marts_hold_no_contact_email_name_or_phone(world):
    emails, names, phones = contact_pii(world)
    assert len(emails) > 50 and len(names) > 50 and len(phones) > 20
    found = []
    with world.read("marts") as con:
        for schema, table, column in con.execute("select schema_name, table_name, column_name from duckdb_columns() "
                                                 "where data_type in ('VARCHAR', 'JSON')").fetchall():
            for (value,) in con.execute(f'select distinct "{column}"::varchar from "{schema}"."{table}" '
                                        f'where "{column}" is not null').fetchall():
                if addresses_in(value) & emails or value in phones or any(n in value for n in names):
                    found.append(f"{schema}.{table}.{column}: {value}")
    assert found == []


def test_marts_pseudonymise_with_the_same_keyed_hash_as_python(world):
    key = world.env["PENGUIN_PII_KEY"].encode()
    rows = world.warehouse("select t.reporter_key, i.reporter_email from support.fct_tickets t "
                           "join staging.stg_jira__issues i using (jira_issue_id) limit 50")
    assert rows and all(k == pseudonymise(e, key) for k, e in rows if e)
    with world.read("marts") as con:
        assert con.execute("select count(distinct reporter_key) from support.fct_tickets").fetchone()[0] > 1


def test_a_mart_that_pseudonymises_refuses_to_build_without_the_key(world):
    refused = world.penguin("run", "--select", "key:support/fct_tickets", PENGUIN_PII_KEY="")
    assert refused.returncode == 1
    assert "PENGUIN_PII_KEY is not set: personal data is pseudonymised with it" in refused.stdout + refused.stderr


def test_the_pii_list_names_real_columns_and_every_raw_column_holding_addresses(world):
    columns = {(s.removeprefix("raw_"), t, c) for s, t, c in world.warehouse(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_schema like 'raw\\_%' escape '\\' and table_schema not like '%\\_staging' escape '\\'")}
    listed = {(t.source, t.table, c) for t in PII_TABLES for c in t.columns}
    assert listed <= columns
    with_addresses = set()
    with world.read() as con:
        for source, table, column in columns - NOT_ADDRESSES:
            if not table.startswith("_dlt") and con.execute(
                    f'select count(*) from raw_{source}."{table}" where regexp_matches("{column}"::varchar, ?, \'i\')',
                    [EMAIL_PATTERN]).fetchone()[0]:
                with_addresses.add((source, table, column))
    assert with_addresses and with_addresses <= listed


def app_user_to_erase(world) -> Person:
    """A customer app user the vendor has changed since the last sync (so the next sync brings them
    back), the one found in the most raw tables."""
    users = world.warehouse("select lower(email), full_name, updated_at from raw_app.users "
                            "where email not like '%@penguinmails.com' and not _deleted")
    changed = {r["email"].lower() for r in world.sandbox.client.truth_rows("appdb", "users")
               if datetime.fromisoformat(r["updated_at"]).astimezone(timezone.utc).replace(tzinfo=None)
               > dict((u[0], u[2]) for u in users).get(r["email"].lower(), datetime.max)}
    texts = world.warehouse("select table_schema || '.' || table_name, column_name from information_schema.columns "
                            "where table_schema like 'raw\\_%' escape '\\' and data_type in ('VARCHAR', 'JSON')")
    seen: dict[str, set[str]] = {}
    with world.read() as con:
        for table, column in texts:
            for (value,) in con.execute(f'select distinct "{column}"::varchar from {table} where contains("{column}"::varchar, \'@\')').fetchall():
                for address in addresses_in(value):
                    seen.setdefault(address, set()).add(table)
    assert changed, "the sandbox changed no app user in two days"
    address, name, updated_at = max((u for u in users if u[0] in changed), key=lambda u: len(seen.get(u[0], ())))
    return Person(address, name, updated_at)


def traces(world, person: Person, name_is_unique: bool, skip: set[Path]) -> list[str]:
    """Every hit of the person in the data directory: warehouse, published marts and earlier builds,
    dlt's working files, exports and backups (but those in `skip`, made before the erasure)."""
    paths = [p for p in world.data.iterdir() if p.name not in ("exports", "backups")] + sorted(snapshots(world) - skip)
    pattern = person.pattern(name_is_unique)
    return [hit for p in paths for hit in (search_tree(p, pattern) if p.is_dir() else search_file(p, pattern))]


def snapshots(world) -> set[Path]:
    """The exports and backups in the data directory."""
    return {p for d in ("exports", "backups") if (world.data / d).exists() for p in (world.data / d).iterdir()
            if not p.is_symlink()}


def test_erase_removes_the_person_everywhere_and_they_stay_gone_after_the_next_sync(world):
    world.sandbox.client.advance(days=2)  # the vendor changes records (logins update app users) before the erasure
    person = app_user_to_erase(world)
    name_is_unique = world.warehouse("select count(distinct lower(email)) from raw_app.users where full_name = ?",
                                     [person.full_name])[0][0] == 1
    assert traces(world, person, name_is_unique, set()), "the person must be in the warehouse before the erasure"
    before = snapshots(world)

    erased = world.penguin("erase", "--email", person.address.upper(), "--by", "dpo-ticket-42")
    assert erased.returncode == 0, erased.stdout[-3000:] + erased.stderr[-3000:]
    assert "deleted" in erased.stdout and "marts rebuilt and published" in erased.stdout
    assert person.address not in (erased.stdout + erased.stderr).lower()
    assert world.penguin("export").returncode == 0 and world.penguin("backup").returncode == 0
    assert traces(world, person, name_is_unique, before) == []

    key = world.env["PENGUIN_PII_KEY"].encode()
    (by, email_hash, tables, deleted, pseudonymised), = world.warehouse(
        "select requested_by, email_hash, tables, rows_deleted, rows_pseudonymised from audit.erasures")
    tables = json.loads(tables)
    assert by == "dpo-ticket-42" and email_hash == pseudonymise(person.address, key)
    assert {"raw_app.users", "raw_hubspot.contacts"} <= tables.keys() and deleted >= 2 and pseudonymised >= 1
    assert world.warehouse("select email_hash from audit.erasure_tombstones") == [(email_hash,)]

    # the vendor changed the person's app user, and the daily sync runs
    before = snapshots(world)
    sync = world.penguin("run")
    assert sync.returncode == 0, sync.stdout[-3000:] + sync.stderr[-3000:]
    assert re.search(r"tombstones applied again after the sync: [1-9]\d* rows deleted", sync.stdout + sync.stderr)
    assert world.penguin("export").returncode == 0 and world.penguin("backup").returncode == 0
    assert traces(world, person, name_is_unique, before) == []
    assert world.warehouse("select count(*) from audit.erasures")[0][0] == 1
