"""One measured phase: a subprocess of its own, so its peak memory is its own.

A phase is `python -m bench.phase <kind> …` (or any command, e.g. dbt). It writes what it measured
itself (seconds of work, rows, …) as JSON to the file named by `BENCH_RESULT`; the parent adds the
process's wall time and peak RSS, read from `wait4` (the child and its reaped children), so no
psutil is needed.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path


class PhaseFailed(RuntimeError):
    """A phase exited non-zero; the message names it and its log."""


@dataclass
class Measured:
    wall_seconds: float  # the whole process, interpreter start and imports included
    cpu_seconds: float  # user + system time of the process and its children
    peak_rss_mb: float
    result: dict = field(default_factory=dict)  # what the phase reported
    error: str | None = None  # how it failed, when it did and the caller asked not to raise

    @property
    def seconds(self) -> float:
        """The phase's own measure of its work when it reports one, else the process's wall time."""
        return float(self.result.get("seconds", self.wall_seconds))


def run_phase(name: str, cmd: list[str], env: dict[str, str], log: Path, check: bool = True) -> Measured:
    """Runs `cmd` with `env`, output to `log`; when it fails, raises `PhaseFailed` (or with `check`
    false, returns what it measured with the failure in `error`)."""
    result_file = log.with_suffix(".json")
    result_file.unlink(missing_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env={**env, "BENCH_RESULT": str(result_file)}, stdout=out,
                                stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parents[1])
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    error = None
    if proc.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
        error = f"bench: {name} failed (exit {proc.returncode}): {tail[0][:300]} — see {log}"
        if check:
            raise PhaseFailed(error)
    result = json.loads(result_file.read_text()) if result_file.exists() else {}
    return Measured(round(wall, 2), round(usage.ru_utime + usage.ru_stime, 2), round(usage.ru_maxrss / 1024, 1), result,
                    error)


def python_phase(*args: str) -> list[str]:
    """The command of a `bench.phase` subprocess."""
    return [sys.executable, "-m", "bench.phase", *args]


def report(result: dict) -> None:
    """Called by a phase: hands its measurements to the parent."""
    Path(os.environ["BENCH_RESULT"]).write_text(json.dumps(result))
