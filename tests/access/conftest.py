"""Worlds for the access tests: a real sandbox, the real pipeline run in-process (as `penguin run`
does) into a temporary data directory, and `penguin …` run as a user runs it."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest

from pipelines.runner import SQLITE_INSTANCE_YAML, RunSummary, run_daily
from pipelines.settings import Paths
from tests.conftest import REPO, RunningSandbox, start_sandbox


@dataclass
class World:
    sandbox: RunningSandbox
    env: dict[str, str]
    paths: Paths

    def run(self, select: str | None = None) -> RunSummary:
        """The daily job (or a selection of it) with this world's environment."""
        with mock.patch.dict(os.environ, self.env):
            return run_daily(select)

    def penguin(self, *args: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess:
        """`penguin ARGS` in a subprocess (the console script's module), with this world's environment."""
        return subprocess.run([sys.executable, "-m", "pipelines.cli", *args], cwd=REPO, input=stdin, text=True,
                              capture_output=True, env={**os.environ, **self.env, **env}, timeout=600, check=False)


def make_world(root: Path, seed: int = 7, scale: str = "small") -> World:
    sandbox = start_sandbox(root / "sandbox", seed=seed, scale=scale)
    env = {**sandbox.env, "PENGUIN_DATA_DIR": str(root / "data"), "DAGSTER_HOME": str(root / "dagster")}
    Path(env["DAGSTER_HOME"]).mkdir()
    (Path(env["DAGSTER_HOME"]) / "dagster.yaml").write_text(SQLITE_INSTANCE_YAML)
    return World(sandbox, env, Paths(root / "data"))


@pytest.fixture(scope="session")
def published(tmp_path_factory) -> World:
    """A small world (seed 7) after one full run, so `marts.duckdb` is published. test_publish.py
    runs it further (a new build, a failed run, a rollback); every state it leaves is a complete
    published build, which is all the query and export tests need."""
    world = make_world(tmp_path_factory.mktemp("published"))
    summary = world.run()
    assert summary.success, summary.render()
    yield world
    world.sandbox.stop()
