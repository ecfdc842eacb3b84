"""Stripe-shaped ids made fast: `in_1` + 5 time characters + the account's 10 + a serial.

Like Stripe's own ids, the long ones (24 characters after the prefix) start with the creation time
and the account, so ids of one second sort in the order they were made; events rely on that to
list the versions of one object in their causal order.
"""
from __future__ import annotations

from sandbox.ids import token

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_PAIRS = [a + b for a in B62 for b in B62]
_EPOCH = 1_000_000_000  # five base62 characters of seconds since then last until 2030
# odd and prime to 31, so multiplying scrambles a serial bijectively modulo 62**k
_MIX = 1_103_515_245
_MIX_SHORT = 7_664_715_030_639_136_607_305_729


def b62(n: int, width: int) -> str:
    """`n` in base62, big-endian, exactly `width` characters (so strings sort like the numbers)."""
    out = []
    for _ in range((width + 1) // 2):
        n, r = divmod(n, 3844)
        out.append(_PAIRS[r])
    return "".join(reversed(out))[-width:]


# inverts base62 order, so sorting by (-created, inverted id) lists newest first with ties by id descending
_INVERT = str.maketrans(B62 + "_", B62[::-1] + "~")


def newest_first(record) -> tuple[int, str]:
    """The list order of every Stripe collection: created descending, ties by id descending."""
    return -record.created, record.id.translate(_INVERT)


class IdMaker:
    """Deterministic ids for one sandbox: the same world gives the same ids in the same order."""

    def __init__(self, seed: int):
        self.account = token("stripe-account", seed, length=10)
        self.serial = 0

    def long(self, prefix: str, created: int) -> str:
        self.serial += 1
        n, p = self.serial, _PAIRS
        hi, lo = divmod(created - _EPOCH, 3844)
        t = B62[hi // 3844] + p[hi % 3844] + p[lo]
        m = n * _MIX
        return f"{prefix}_1{t}{self.account}{p[n // 3844 % 3844]}{p[n % 3844]}{p[m // 3844 % 3844]}{p[m % 3844]}"

    def short(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}_{b62(self.serial * _MIX_SHORT, 14)}"
