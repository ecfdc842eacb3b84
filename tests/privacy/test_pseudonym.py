"""The keyed hash: a real HMAC-SHA256, the same in Python and in DuckDB, and refused without a usable key."""
import hashlib
import hmac

import duckdb
import pytest

from pipelines.privacy import PrivacyError
from pipelines.privacy.pseudonym import KEY_VARIABLE, key_fingerprint, pii_key, prepare_connection, pseudonymise

KEY = "0123456789abcdef-test-key"


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv(KEY_VARIABLE, KEY)
    return KEY.encode()


def test_pseudonym_is_hmac_sha256_of_the_trimmed_lower_cased_value(key):
    expected = hmac.new(KEY.encode(), b"priya@keystone.com", hashlib.sha256).hexdigest()
    assert pseudonymise("  Priya@Keystone.COM ", key) == expected
    assert pseudonymise("priya@keystone.com", b"another-key-0123456") != expected


@pytest.mark.parametrize("length", [16, 64, 65, 200])  # HMAC pads keys to 64 bytes, hashes longer ones first
def test_duckdb_computes_the_same_pseudonym_as_python(monkeypatch, length):
    monkeypatch.setenv(KEY_VARIABLE, "k" * length)
    con = duckdb.connect()
    prepare_connection(con)
    values = ["Priya@Keystone.com", " kenji@oakmedia.com", "Ünïcode Name", None]
    got = con.execute("select pii_pseudonymise(v) from unnest(?) t(v)", [values]).fetchall()
    assert [g for (g,) in got] == [pseudonymise(v, pii_key()) if v is not None else None for v in values]


def test_the_key_never_appears_in_the_sql_a_connection_runs(key):
    con = duckdb.connect()
    prepare_connection(con)
    sql = " ".join(con.execute("select macro_definition from duckdb_functions() where function_name = 'pii_pseudonymise'")
                   .fetchone())
    assert KEY not in sql and KEY.encode().hex() not in sql


@pytest.mark.parametrize("value, message", [(None, "is not set"), ("short", r"is too short \(5 characters\)")])
def test_without_a_usable_key_hashing_fails_with_one_line(monkeypatch, value, message):
    if value is None:
        monkeypatch.delenv(KEY_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(KEY_VARIABLE, value)
    with pytest.raises(PrivacyError, match=message) as raised:
        pii_key()
    assert "\n" not in str(raised.value) and KEY_VARIABLE in str(raised.value)
    con = duckdb.connect()
    prepare_connection(con)
    assert con.execute("select pii_pseudonymise(v) from (select 'x' as v where false)").fetchall() == []
    with pytest.raises(duckdb.InvalidInputException, match=message):
        con.execute("select pii_pseudonymise('priya@keystone.com')").fetchall()


def test_the_fingerprint_tells_keys_apart_without_revealing_them(key):
    assert key_fingerprint(key) == key_fingerprint(KEY.encode())
    assert key_fingerprint(key) != key_fingerprint(b"another-key-0123456")
    assert KEY not in key_fingerprint(key)
