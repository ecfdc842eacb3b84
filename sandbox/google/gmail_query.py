"""Gmail's search operators (`q`), compiled to a predicate over a message and its labels now.

Supported: `from:`, `to:`, `cc:`, `subject:`, `label:`, `in:`, `is:` (unread/read/important),
`after:`/`before:` (`YYYY/MM/DD` = midnight Pacific time, as Gmail reads dates, or epoch seconds),
`newer_than:`/`older_than:` (`Nd`, `Nm`, `Ny`), `has:` (nothing has attachments), a leading `-` to negate,
and free words matched against the subject and addresses."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Callable
from zoneinfo import ZoneInfo

from sandbox.timeutil import DAY
from sandbox.google.web import invalid

PACIFIC = ZoneInfo("America/Los_Angeles")
_TERM = re.compile(r'(-?)(?:([a-z_]+):)?("[^"]*"|\S+)', re.IGNORECASE)
_UNITS = {"d": DAY, "m": 30 * DAY, "y": 365 * DAY}

# (message, labels now) -> bool
Predicate = Callable[[object, list[str]], bool]


def _date(value: str) -> int:
    if value.isdigit():
        return int(value)
    m = re.fullmatch(r"(\d{4})[/-](\d{1,2})[/-](\d{1,2})", value)
    if not m:
        raise invalid(f"Invalid query: {value}", "q")
    return int(datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=PACIFIC).timestamp())


def _age(value: str) -> int:
    m = re.fullmatch(r"(\d+)([dmy])", value.lower())
    if not m:
        raise invalid(f"Invalid query: {value}", "q")
    return int(m[1]) * _UNITS[m[2]]


def compile_query(text: str, now: int) -> Predicate:
    terms: list[Predicate] = []
    for neg, op, raw in _TERM.findall(text):
        value = raw.strip('"').lower()
        op = op.lower()
        if op in ("from", "to", "cc", "subject"):
            attr = {"from": "sender", "to": "to", "cc": "cc", "subject": "subject"}[op]
            pred = lambda m, labels, a=attr, v=value: v in (getattr(m, a) or "").lower()
        elif op in ("label", "in", "is"):
            wanted = {"read": None, "anywhere": "*"}.get(value, value.upper())
            if wanted is None:
                pred = lambda m, labels: "UNREAD" not in labels
            elif wanted == "*":
                pred = lambda m, labels: True
            else:
                pred = lambda m, labels, w=wanted: w in labels
        elif op in ("after", "before"):
            t = _date(value)
            pred = (lambda m, labels, t=t: m.at >= t) if op == "after" else (lambda m, labels, t=t: m.at < t)
        elif op in ("newer_than", "older_than"):
            t = now - _age(value)
            pred = (lambda m, labels, t=t: m.at >= t) if op == "newer_than" else (lambda m, labels, t=t: m.at < t)
        elif op == "has":
            pred = lambda m, labels: False
        else:
            word = f"{op}:{value}" if op else value
            pred = lambda m, labels, w=word: w in m.subject.lower() or w in m.sender.lower() or w in m.to.lower()
        terms.append((lambda m, labels, p=pred: not p(m, labels)) if neg else pred)
    return lambda m, labels: all(p(m, labels) for p in terms)
