"""Retries with exponential backoff that honour `Retry-After`, for any vendor client.

Each source classifies its client's exceptions into an `Outcome`; `with_retries` sleeps and tries
again on rate limits, 5xx and broken connections, turns 401/403 into a `SourceAuthError` naming
the variable to fix, and gives up with a one-line `SourceError` after the last attempt.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Callable, Iterable, TypeVar

from pipelines.sources.common.errors import SourceAuthError, SourceError, scrub

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome:
    retry: bool
    status: int | None = None
    retry_after: float | None = None
    message: str = ""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 8
    base_delay: float = 0.5
    max_delay: float = 60.0


def retry_after_seconds(headers) -> float | None:
    """`Retry-After` as seconds (only the delta-seconds form; vendors here do not send dates)."""
    value = (headers or {}).get("Retry-After") or (headers or {}).get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def with_retries(source: str, call: Callable[[], T], classify: Callable[[BaseException], Outcome | None], *,
                 credential_vars: str, what: str, secrets: Iterable[str] = (),
                 policy: RetryPolicy = RetryPolicy(), sleep: Callable[[float], None] = time.sleep) -> T:
    """Runs `call` until it succeeds. `classify` returns None for exceptions that are not the
    vendor's (bugs), which propagate unchanged."""
    for attempt in range(1, policy.attempts + 1):
        try:
            return call()
        except Exception as e:  # noqa: BLE001 - classified below
            outcome = classify(e)
            if outcome is None:
                raise
            message = scrub(outcome.message or str(e), secrets)
            if outcome.status in (401, 403):
                raise SourceAuthError(source, f"{what} was refused ({outcome.status}: {message})",
                                      f"check {credential_vars}") from None
            if not outcome.retry or attempt == policy.attempts:
                tried = f" after {attempt} attempts" if attempt > 1 else ""
                raise SourceError(source, f"{what} failed{tried}: {message}",
                                  "the vendor may be down; the next run resumes from the last loaded state") from None
            delay = outcome.retry_after if outcome.retry_after is not None else policy.base_delay * 2 ** (attempt - 1)
            sleep(min(policy.max_delay, delay) * (1 + 0.1 * random.random()))
    raise AssertionError("unreachable")
