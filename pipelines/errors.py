"""Reading Dagster's recorded errors the way people should see them: one line."""
from __future__ import annotations

from dagster._utils.error import SerializableErrorInfo

SOURCE_ERRORS = ("SourceError", "SourceAuthError")


def first_error_line(error: SerializableErrorInfo) -> str:
    """The source's own one-line message when a `SourceError` caused the failure, else the first
    line of the outermost error."""
    e = error
    while e is not None:
        if e.cls_name in SOURCE_ERRORS:
            return e.message.split(": ", 1)[-1].strip().splitlines()[0]
        e = e.cause
    return error.message.strip().splitlines()[0]
