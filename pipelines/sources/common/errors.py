"""Sync failures explained in one line: the source, what happened, what to do. Never a secret."""
from __future__ import annotations

import re
from typing import Iterable


class SourceError(Exception):
    def __init__(self, source: str, message: str, hint: str | None = None):
        self.source, self.message, self.hint = source, message, hint
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.source}: {self.message}" + (f" — {self.hint}" if self.hint else "")


class SourceAuthError(SourceError):
    """The vendor refused the credential (401/403)."""


_BEARERISH = re.compile(r"(?i)(bearer\s+|basic\s+|api[_-]?key[=:]\s*|token[=:]\s*|sk_(?:test|live)_)[A-Za-z0-9._\-+/=]{6,}")


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with the given secrets and anything that looks like a credential replaced by `***`,
    cut to its first line."""
    text = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    for s in secrets:
        if s and len(s) >= 4:
            text = text.replace(s, "***")
    return _BEARERISH.sub(lambda m: m.group(1) + "***", text)
