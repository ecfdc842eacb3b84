"""Google-shaped identifiers, derived from the seed so the same world always has the same ids."""
from __future__ import annotations

import base64
import hashlib

from sandbox.ids import numeric_id

_LETTERS = (bytes(range(ord("a"), ord("z") + 1)) * 10)[:256]  # byte value -> a letter, near uniform


def _digest(*parts: object) -> bytes:
    return hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=33).digest()


def event_id(seed: int, key: str) -> str:
    """Calendar event ids are 26 base32hex characters."""
    return base64.b32hexencode(_digest(seed, "event", key)).decode()[:26].lower()


def meet_code(seed: int, key: str) -> str:
    """A Google Meet code like `abc-defg-hij`."""
    s = _digest(seed, "meet", key)[:10].translate(_LETTERS).decode()
    return f"{s[:3]}-{s[3:7]}-{s[7:]}"


def drive_id(seed: int, key: str, length: int = 33) -> str:
    """Drive file ids: `1` and base64url characters (33 for files, 44 for spreadsheets)."""
    return "1" + base64.urlsafe_b64encode(_digest(seed, "drive", key)).decode()[:length - 1]


def permission_id(seed: int, email: str) -> str:
    return str(numeric_id(seed, "drive-permission", email, digits=20))


def message_id(at_ms: int, low_bits: int) -> str:
    """Gmail ids are hex numbers that grow with the internal date (milliseconds in the high bits)."""
    return format((at_ms << 20) | (low_bits & 0xFFFFF), "x")


def ga4_property(seed: int) -> str:
    return f"properties/{numeric_id(seed, 'ga4-property', digits=9)}"


def service_account_client_id(seed: int) -> str:
    return str(numeric_id(seed, "google-client", digits=21))
