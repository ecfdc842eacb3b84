"""Where the platform keeps its files, from the environment (`PENGUIN_DATA_DIR`, default `./data`)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Paths:
    data_dir: Path

    @classmethod
    def from_env(cls) -> "Paths":
        return cls(Path(os.environ.get("PENGUIN_DATA_DIR", "data")).resolve())

    @property
    def warehouse(self) -> Path:
        """Raw + staging + marts; written only by the pipeline."""
        return self.data_dir / "warehouse.duckdb"

    @property
    def marts(self) -> Path:
        """The published marts analysts open read-only."""
        return self.data_dir / "marts.duckdb"

    @property
    def dlt_dir(self) -> Path:
        """dlt's local working directory (its state is also kept in the warehouse)."""
        return self.data_dir / "dlt"
