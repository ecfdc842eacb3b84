"""Reading and writing dotenv files (KEY=value lines), the sandbox's hand-over to its clients."""
from __future__ import annotations

import os
from pathlib import Path


def read_env_file(path: str | Path) -> dict[str, str]:
    out = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            out[key.strip()] = value.strip().strip('"')
    return out


def write_env_file(path: str | Path, values: dict[str, str], header: str) -> None:
    """Writes atomically: a reader sees no file or the whole file, never half of it."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    lines = [f"# {line}" for line in header.splitlines()] + [f"{k}={v}" for k, v in values.items()]
    tmp.write_text("\n".join(lines) + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
