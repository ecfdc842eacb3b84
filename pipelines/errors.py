"""Reading Dagster's recorded errors the way people should see them: one line."""
from __future__ import annotations

from dagster._utils.error import SerializableErrorInfo

SOURCE_ERRORS = ("SourceError", "SourceAuthError")


def first_error_line(error: SerializableErrorInfo) -> str:
    """The source's own one-line message when a `SourceError` caused the failure, else the first
    line of the innermost error (Dagster's wrappers only say which step failed)."""
    e, innermost = error, error
    while e is not None:
        if e.cls_name in SOURCE_ERRORS:
            return e.message.split(": ", 1)[-1].strip().splitlines()[0]
        innermost = e
        e = e.cause
    lines = innermost.message.strip().splitlines()
    return lines[0] if lines else innermost.cls_name or "unknown error"
