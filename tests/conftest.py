"""Shared fixtures: a real sandbox served by a subprocess, and throw-away PostgreSQL databases."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from sandbox.client import SandboxClient
from sandbox.envfile import read_env_file

REPO = Path(__file__).resolve().parents[1]
# the driver is explicit: SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3, which is not installed
POSTGRES_ADMIN_URL = os.environ.get("PENGUIN_TEST_POSTGRES", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
# marts pseudonymise personal data with this key (docs/pii.md); every pipeline the tests run inherits it
os.environ.setdefault("PENGUIN_PII_KEY", "tests-pii-key-not-a-secret")


@dataclass
class RunningSandbox:
    env_file: Path
    env: dict[str, str]
    client: SandboxClient
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start_sandbox(workdir: Path, seed: int = 7, scale: str = "small", faults: str = "none",
                  app_db_url: str | None = None, extra_env: dict[str, str] | None = None,
                  horizon_days: int | None = None, timeout: float = 300) -> RunningSandbox:
    """Starts `python -m sandbox serve` and waits for its env file."""
    workdir.mkdir(parents=True, exist_ok=True)
    env_file, log = workdir / "sandbox.env", workdir / "sandbox.log"
    env_file.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "sandbox", "serve", "--seed", str(seed), "--scale", scale, "--faults", faults,
           "--env-file", str(env_file)]
    if app_db_url:
        cmd += ["--app-db-url", app_db_url]
    if horizon_days is not None:
        cmd += ["--horizon-days", str(horizon_days)]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            env={**os.environ, **(extra_env or {})})
    deadline = time.monotonic() + timeout
    while not env_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"sandbox did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)
    return RunningSandbox(env_file, read_env_file(env_file), SandboxClient(env_file), proc, log)


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory) -> RunningSandbox:
    """A small, fault-free sandbox shared by the whole session. Do not advance its clock or add
    faults to it: start your own with `start_sandbox` for that."""
    sb = start_sandbox(tmp_path_factory.mktemp("sandbox"))
    yield sb
    sb.stop()


@pytest.fixture
def postgres_db():
    """A fresh, empty PostgreSQL database on the machine's server; its SQLAlchemy URL."""
    name = f"penguin_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'create database "{name}"'))
    yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as c:
        c.execute(sa.text(f'drop database if exists "{name}" with (force)'))
    admin.dispose()
