"""Dated snapshots (exports, backups): where they go, how they are named, how many are kept."""
from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from pipelines.access import AccessError
from pipelines.settings import Paths


def snapshot_dir(paths: Paths, variable: str, default: str) -> Path:
    """The directory in `variable`, else `<data dir>/<default>`."""
    return Path(os.environ.get(variable) or paths.data_dir / default).resolve()


def keep_from_env(variable: str, default: int) -> int:
    value = os.environ.get(variable) or str(default)
    if not value.isdigit() or int(value) < 1:
        raise AccessError(f"{variable} must be a whole number of snapshots to keep (1 or more), not {value!r}")
    return int(value)


def stamp() -> str:
    """UTC time to the microsecond: names sort in the order they were made."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def prune(snapshots: list[Path], keep: int) -> list[Path]:
    """Deletes all but the last `keep` of `snapshots` (sorted oldest first); returns the deleted."""
    gone = snapshots[:-keep]
    for path in gone:
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    return gone
