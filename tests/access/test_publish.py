"""Publishing under load and on failure, and `penguin rollback`, on the shared published world (in
file order: a new build read during its run, a failed run, then rolling back)."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import duckdb
import pytest
from dagster import DagsterEventType, DagsterInstance

from pipelines.access.rollback import previous_builds
from tests.access.marts_reader import fingerprint
from tests.conftest import REPO

pytestmark = pytest.mark.slow


def _build(marts: Path) -> str:
    con = duckdb.connect(str(marts), read_only=True)
    try:
        return fingerprint(con)
    finally:
        con.close()


def _file(path: Path) -> tuple[int, str]:
    """The file's inode and content digest."""
    return path.stat().st_ino, hashlib.sha256(path.read_bytes()).hexdigest()


def _reader(marts: Path, stop: Path, out: Path, hold: bool) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "tests.access.marts_reader", str(marts), str(stop),
                             *(["--hold"] if hold else [])], cwd=REPO, stdout=out.open("w"), stderr=subprocess.STDOUT)
    for _ in range(600):  # reading before the run starts
        if out.read_text().count("\n") >= 1 or proc.poll() is not None:
            break
        time.sleep(0.1)
    assert proc.poll() is None, out.read_text()
    return proc


def _failed_checks(world, run_id: str) -> list[tuple[str, str]]:
    """(asset key, check name) of the checks that failed in the run."""
    with mock.patch.dict(os.environ, world.env):
        logs = DagsterInstance.get().all_logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)
    evaluations = [log.dagster_event.event_specific_data for log in logs]
    return [(e.asset_key.to_user_string(), e.check_name) for e in evaluations if not e.passed]


BUILDS: dict[str, str] = {}  # "first" / "second" -> fingerprint, for the tests below in file order


def test_readers_during_a_full_run_see_the_old_or_the_new_build_and_never_block_it(published, tmp_path):
    marts = published.paths.marts
    BUILDS["first"] = _build(marts)
    stop = tmp_path / "stop"
    held_out, fresh_out = tmp_path / "held.jsonl", tmp_path / "fresh.jsonl"
    held = _reader(marts, stop, held_out, hold=True)
    fresh = _reader(marts, stop, fresh_out, hold=False)
    try:
        published.sandbox.client.advance(days=1)
        started = time.time()
        summary = published.run()
        ended = time.time()
        time.sleep(1)  # a few reads after the publish, for the fresh reader to see it
    finally:
        stop.touch()
        held.wait(60)
        fresh.wait(60)
    assert summary.success, summary.render()
    BUILDS["second"] = _build(marts)
    assert BUILDS["second"] != BUILDS["first"]

    reads = {name: [json.loads(line) for line in out.read_text().splitlines()]
             for name, out in (("held", held_out), ("fresh", fresh_out))}
    for name, lines in reads.items():
        errors = [r["error"] for r in lines if "error" in r]
        assert not errors, f"{name} reader: {len(errors)} failed reads, e.g. {errors[0]}"
        during = [r for r in lines if started <= r["at"] <= ended]
        print(f"{name} reader: {len(lines)} reads, {len(during)} during the {ended - started:.0f}s run")
        assert len(during) >= 10, name
        assert {r["build"] for r in lines} <= {BUILDS["first"], BUILDS["second"]}, f"{name} saw a build that is neither"
    # the connection held open keeps the build it opened; a fresh one sees the old, then the new one
    assert {r["build"] for r in reads["held"]} == {BUILDS["first"]}
    fresh_builds = [r["build"] for r in reads["fresh"]]
    switch = fresh_builds.index(BUILDS["second"])
    assert set(fresh_builds[:switch]) == {BUILDS["first"]} and set(fresh_builds[switch:]) == {BUILDS["second"]}


def test_a_run_whose_blocking_check_fails_leaves_the_published_marts_untouched(published):
    marts = published.paths.marts
    before, kept = _file(marts), previous_builds(marts)
    published.sandbox.client.add_fault("bad_record", vendor="appdb")
    published.sandbox.client.advance(days=1)
    # the app's sync, the staging model its blocking test guards, and the publish step
    summary = published.run("group:raw_app or key:staging/stg_app__tenants or key:published/marts")
    assert not summary.success
    assert any(key == "staging/stg_app__tenants" and "accepted_values" in check
               for key, check in _failed_checks(published, summary.run_id)), summary.render()
    assert "published/marts" not in summary.tables  # the publish step never ran
    assert _file(marts) == before and previous_builds(marts) == kept
    assert _build(marts) == BUILDS["second"]


def test_rollback_restores_the_previous_build_then_says_there_is_none(published):
    marts = published.paths.marts
    done = published.penguin("rollback")
    assert done.returncode == 0, done.stderr
    assert "0 earlier build(s) kept" in done.stdout
    assert _build(marts) == BUILDS["first"]
    again = published.penguin("rollback")
    assert again.returncode == 1 and _build(marts) == BUILDS["first"]
    line, = again.stderr.strip().splitlines()
    assert line.startswith("rollback: no earlier published build")
