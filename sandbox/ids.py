"""Deterministic vendor-style identifiers: the same (seed, parts) always give the same id."""
from __future__ import annotations

import hashlib

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def token(*parts: object, length: int = 14) -> str:
    """A base62 string derived from `parts` (e.g. seed, kind, index)."""
    n = int.from_bytes(hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=32).digest(), "big")
    out = []
    for _ in range(length):
        n, r = divmod(n, 62)
        out.append(_ALPHABET[r])
    return "".join(out)


def stripe_id(prefix: str, *parts: object) -> str:
    """`cus_…`, `sub_…`, `in_…` ids shaped like Stripe's (prefix + 14 or 24 base62 characters)."""
    return f"{prefix}_{token(prefix, *parts, length=24 if prefix in ('sub', 'in', 'ch', 'pi', 'txn', 're', 'evt', 'il', 'price', 'di') else 14)}"


def numeric_id(*parts: object, digits: int = 11) -> int:
    """A stable positive integer id (HubSpot object ids, Google-style numeric ids)."""
    n = int.from_bytes(hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest(), "big")
    return 10 ** (digits - 1) + n % (9 * 10 ** (digits - 1))
