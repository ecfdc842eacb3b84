"""Erasure on a small warehouse loaded by real dlt pipelines: which rows go, which stay pseudonymised,
the tombstone applied again after a re-sync, the audit record, and one-line refusals."""
from __future__ import annotations

import json
import subprocess
import sys

import dlt
import duckdb
import pytest

from pipelines.cli import main
from pipelines.privacy import PrivacyError
from pipelines.privacy.erasure import enforce_erasures, erase_address
from pipelines.privacy.pseudonym import KEY_VARIABLE, pseudonymise
from pipelines.settings import Paths

KEY = "test-key-0123456789abcdef"
PRIYA = "priya@keystonefreight.com"
CONTACTS = [
    {"id": "1", "email": "Priya@KeystoneFreight.com", "firstname": "Priya", "lastname": "Kumar", "phone": "+65 891"},
    {"id": "2", "email": "kenji@oakmedia.com", "firstname": "Kenji", "lastname": "Hansen", "phone": "+1 555"},
]
ISSUES = [
    {"id": "10", "reporter_email": PRIYA, "reporter_display_name": "Priya Kumar",
     "description": "Reply detection broken. Sent from the customer portal by Priya."},
    {"id": "11", "reporter_email": "kenji@oakmedia.com", "reporter_display_name": "Kenji Hansen", "description": "Priya said hi"},
]
MESSAGES = [
    {"id": "m1", "from_header": "Priya Kumar <priya@keystonefreight.com>", "to_header": "sales@penguinmails.com",
     "subject": "Re: Welcome to PenguinMails, Priya!", "attendees": None},
    {"id": "m2", "from_header": "sales@penguinmails.com", "to_header": "Kenji Hansen <kenji@oakmedia.com>",
     "subject": "Hello Kenji", "attendees": json.dumps([{"email": PRIYA, "displayName": "Priya Kumar"},
                                                         {"email": "kenji@oakmedia.com"}])},
]


@pytest.fixture
def paths(tmp_path, monkeypatch) -> Paths:
    monkeypatch.setenv(KEY_VARIABLE, KEY)
    monkeypatch.setenv("PENGUIN_DATA_DIR", str(tmp_path / "data"))
    return Paths.from_env()


def pipeline(paths: Paths, source: str) -> dlt.Pipeline:
    return dlt.pipeline(pipeline_name=f"penguin_{source}", destination=dlt.destinations.duckdb(str(paths.warehouse)),
                        dataset_name=f"raw_{source}", pipelines_dir=str(paths.dlt_dir))


def load(paths: Paths, source: str, table: str, rows: list[dict]) -> dlt.Pipeline:
    p = pipeline(paths, source)
    p.run(rows, table_name=table, primary_key="id", write_disposition={"disposition": "merge", "strategy": "delete-insert"})
    return p


def query(paths: Paths, sql: str) -> list[tuple]:
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture
def loaded(paths) -> Paths:
    load(paths, "hubspot", "contacts", CONTACTS)
    load(paths, "jira", "issues", ISSUES)
    load(paths, "google", "gmail_messages", MESSAGES)
    return paths


def test_erase_deletes_the_person_and_pseudonymises_them_where_rows_stay(loaded):
    erased = erase_address(loaded, " PRIYA@keystonefreight.com ", "dpo")
    digest = pseudonymise(PRIYA, KEY.encode())
    replacement = f"erased.{digest[:16]}@keystonefreight.com"
    assert erased.email_hash == digest
    assert erased.tables["raw_hubspot.contacts"] == {"deleted": 1, "pseudonymised": 0}
    assert erased.tables["raw_jira.issues"] == {"deleted": 0, "pseudonymised": 1}
    assert erased.tables["raw_google.gmail_messages"] == {"deleted": 0, "pseudonymised": 2}
    assert {"raw_hubspot_staging.contacts", "raw_jira_staging.issues"} <= erased.tables.keys()  # dlt's staging copies
    assert erased.raw_asset_keys() == ["raw/google/gmail_messages", "raw/hubspot/contacts", "raw/jira/issues"]
    assert erased.files_removed > 0

    assert query(loaded, "select id from raw_hubspot.contacts") == [("2",)]
    assert query(loaded, "select reporter_email, reporter_display_name, description from raw_jira.issues order by id") == [
        (replacement, None, "Reply detection broken. Sent from the customer portal by [erased]."),
        ("kenji@oakmedia.com", "Kenji Hansen", "Priya said hi")]  # names go only from rows that carry the address
    assert query(loaded, "select from_header, subject, attendees from raw_google.gmail_messages order by id") == [
        (replacement, "Re: Welcome to PenguinMails, [erased]!", None),
        ("sales@penguinmails.com", "Hello Kenji", '[{"email":"kenji@oakmedia.com"}]')]
    assert not list(loaded.dlt_dir.glob("*/load/loaded/*"))

    (by, email_hash, tables, deleted, pseudonymised), = query(
        loaded, "select requested_by, email_hash, tables, rows_deleted, rows_pseudonymised from audit.erasures")
    assert (by, email_hash, deleted) == ("dpo", digest, 2) and pseudonymised == 6
    assert json.loads(tables)["raw_hubspot.contacts"] == {"deleted": 1, "pseudonymised": 0}


def test_a_resynced_person_is_erased_again_right_after_the_load(loaded):
    erase_address(loaded, PRIYA, "dpo")
    changed = [{**CONTACTS[0], "phone": "+65 999"}, {**CONTACTS[1], "phone": "+1 556"}]  # the vendor sends them again
    p = load(loaded, "hubspot", "contacts", changed)
    assert query(loaded, "select count(*) from raw_hubspot.contacts")[0][0] == 2
    logged = []
    enforce_erasures(loaded, p, logged.append)
    assert query(loaded, "select id, phone from raw_hubspot.contacts") == [("2", "+1 556")]
    assert query(loaded, "select count(*) from raw_hubspot_staging.contacts where lower(email) = 'priya@keystonefreight.com'") == [(0,)]
    assert logged == ["erasures: 1 tombstones applied again after the sync: 2 rows deleted, 0 pseudonymised in "
                      "raw_hubspot.contacts, raw_hubspot_staging.contacts"]
    assert not list(loaded.dlt_dir.glob("penguin_hubspot/load/loaded/*"))
    assert query(loaded, "select count(*) from audit.erasures") == [(1,)]  # one request, one record


def test_a_sync_without_tombstones_leaves_rows_alone_and_needs_no_key(loaded, monkeypatch):
    monkeypatch.delenv(KEY_VARIABLE)
    enforce_erasures(loaded, pipeline(loaded, "hubspot"), pytest.fail)
    assert query(loaded, "select count(*) from raw_hubspot.contacts") == [(2,)]


def test_tombstones_made_under_another_key_stop_the_sync(loaded, monkeypatch):
    erase_address(loaded, PRIYA, "dpo")
    monkeypatch.setenv(KEY_VARIABLE, "another-key-0123456789")
    with pytest.raises(PrivacyError, match="another PENGUIN_PII_KEY"):
        enforce_erasures(loaded, pipeline(loaded, "hubspot"), print)


@pytest.mark.parametrize("argv, env, message", [
    (["--email", "not-an-address"], {}, "'not-an-address' is not an email address"),
    (["--email", PRIYA], {KEY_VARIABLE: ""}, "PENGUIN_PII_KEY is not set"),
    (["--email", PRIYA], {}, "no warehouse at"),
])
def test_erase_refuses_bad_input_in_one_line(paths, monkeypatch, capsys, argv, env, message):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["erase", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("erase: ") and message in err


def test_erase_refuses_while_another_process_holds_the_warehouse(loaded, capsys):
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('ready', flush=True); time.sleep(60)", str(loaded.warehouse)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        assert main(["erase", "--email", PRIYA]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "in use by another process" in err
    finally:
        holder.kill()
        holder.wait()
    assert query(loaded, "select count(*) from raw_hubspot.contacts") == [(2,)]
