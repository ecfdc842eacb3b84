"""Keyed-hash pseudonyms: HMAC-SHA256 under `PENGUIN_PII_KEY` of the trimmed, lower-cased value, as
64 hex digits, so the same address gives the same pseudonym in every system and every table.

Python computes it with `hmac`; DuckDB with the SQL macro `pii_pseudonymise(value)` that
`prepare_connection` defines on a connection (the dbt marts' `pseudonymise` macro and the erasure's
scans use it). The macro reads the key's HMAC pads from connection variables, so the key never
appears in SQL text, compiled dbt models, logs or the database file. Without a usable key the macro
fails with the reason instead of hashing.
"""
from __future__ import annotations

import hashlib
import hmac
import os

import duckdb

from pipelines.privacy import PrivacyError

KEY_VARIABLE = "PENGUIN_PII_KEY"
MIN_KEY_LENGTH = 16
_BLOCK = 64  # SHA-256's block size: HMAC pads the key to it
_FINGERPRINT_INPUT = "penguin pii key fingerprint"


def pii_key() -> bytes:
    """The key from the environment (its text as UTF-8: hex or any text), or a one-line error."""
    value = os.environ.get(KEY_VARIABLE, "").strip()
    if not value:
        raise PrivacyError(f"{KEY_VARIABLE} is not set: personal data is pseudonymised with it; set it to a long "
                           "random secret (e.g. `openssl rand -hex 32`) and keep it, a new key changes every pseudonym")
    if len(value) < MIN_KEY_LENGTH:
        raise PrivacyError(f"{KEY_VARIABLE} is too short ({len(value)} characters): use at least {MIN_KEY_LENGTH} "
                           "random characters (e.g. `openssl rand -hex 32`)")
    return value.encode()


def pseudonymise(value: str, key: bytes) -> str:
    return hmac.new(key, value.strip().lower().encode(), hashlib.sha256).hexdigest()


def key_fingerprint(key: bytes) -> str:
    """Identifies the key without revealing it, so records made under another key can be told apart."""
    return pseudonymise(_FINGERPRINT_INPUT, key)[:16]


def prepare_connection(con: duckdb.DuckDBPyConnection) -> None:
    """Defines `pii_pseudonymise(value)` on `con`: the keyed hash when `PENGUIN_PII_KEY` is usable,
    else an error carrying the reason (raised only where a value is actually pseudonymised)."""
    try:
        key = pii_key()
    except PrivacyError as e:
        con.execute("set variable pii_key_error = ?", [str(e)])
        con.execute("reset variable pii_ipad")
    else:
        key = (hashlib.sha256(key).digest() if len(key) > _BLOCK else key).ljust(_BLOCK, b"\0")
        con.execute("set variable pii_ipad = ?", [bytes(b ^ 0x36 for b in key)])
        con.execute("set variable pii_opad = ?", [bytes(b ^ 0x5C for b in key)])
        con.execute("reset variable pii_key_error")
    con.execute("""
        create or replace temp macro pii_pseudonymise(value) as
            case when getvariable('pii_ipad') is null
                then error(coalesce(getvariable('pii_key_error'), 'PENGUIN_PII_KEY is not set'))
            else sha256(getvariable('pii_opad') || unhex(sha256(getvariable('pii_ipad') || encode(lower(trim(value))))))
            end""")
