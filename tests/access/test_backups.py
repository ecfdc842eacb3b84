"""`penguin backup` and `penguin restore` against a real sandbox: a restored warehouse continues
incrementally and ends equal to the ground truth (compared as each source's own tests compare it)."""
from __future__ import annotations

import hashlib
import subprocess
import sys

import duckdb
import pytest

from pipelines.access.backups import backups
from tests.access.conftest import World, make_world
from tests.conftest import REPO
from tests.pipelines.test_source_google import _differences as google_differences
from tests.pipelines.test_source_hubspot import _differences as hubspot_differences
from tests.pipelines.test_source_jira import differences as jira_differences
from tests.pipelines.test_source_stripe import _differences as stripe_differences
from tests.pipelines.test_source_stripe import _unknowable

pytestmark = pytest.mark.slow

SOURCES = "group:raw_stripe or group:raw_jira or group:raw_hubspot or group:raw_google or group:raw_app"


def _requests(world: World) -> int:
    """Requests to every vendor since the last call."""
    return sum(n for vendor in world.sandbox.client.stats(reset=True).values() for n in vendor.values())


def _counts(path) -> dict[str, int]:
    """Rows per table of a warehouse (or backup) file."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{path}' as warehouse (read_only)")
        tables = con.execute("select schema_name, table_name from duckdb_tables() where database_name = 'warehouse'").fetchall()
        return {f"{s}.{t}": con.execute(f'select count(*) from warehouse."{s}"."{t}"').fetchone()[0] for s, t in tables}
    finally:
        con.close()


def _loads(world: World) -> set[str]:
    con = duckdb.connect(str(world.paths.warehouse), read_only=True)
    try:
        return {r[0] for r in con.execute("select load_id from raw_stripe._dlt_loads").fetchall()}
    finally:
        con.close()


def _truth_differences(world: World, unknowable: set[str]) -> dict[str, dict[str, list[str]]]:
    found = {"stripe": stripe_differences(world.sandbox, world.paths, unknowable),
             "jira": jira_differences(world.sandbox.client, world.paths.warehouse),
             "hubspot": hubspot_differences(world.sandbox, world.paths),
             "google": google_differences(world.sandbox, world.paths)}
    return {source: {t: p for t, p in tables.items() if p} for source, tables in found.items()
            if any(tables.values())}


def _one_line(done) -> str:
    assert done.returncode == 1, done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    return lines[0]


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    """A small world (seed 7) for the tests below, in file order."""
    world = make_world(tmp_path_factory.mktemp("backups"))
    yield world
    world.sandbox.stop()


def test_restore_then_an_incremental_run_continues_and_equals_the_truth(world):
    unknowable = _unknowable(world.sandbox)
    _requests(world)
    assert world.run(SOURCES).success
    backfill = _requests(world)
    first_loads = _loads(world)

    done = world.penguin("backup")
    assert done.returncode == 0, done.stderr
    backup, = backups(world.paths.data_dir / "backups")
    assert "dlt state of: app, google, hubspot, jira, stripe" in done.stdout
    assert _counts(backup) == _counts(world.paths.warehouse)

    # two days go by and are synced: dlt's local state moves past the backup's (two syncs, so that the
    # cursors move past the first day's changes, which the emulators stamp at the end of the day)
    for _ in range(2):
        world.sandbox.client.advance(days=1)
        assert world.run(SOURCES).success
    lost_loads = _loads(world) - first_loads
    assert lost_loads

    # the warehouse is damaged: its first blocks overwritten
    with world.paths.warehouse.open("r+b") as f:
        f.write(b"\0" * 65536)
    with pytest.raises(duckdb.Error):
        duckdb.connect(str(world.paths.warehouse), read_only=True)
    damaged = hashlib.sha256(world.paths.warehouse.read_bytes()).hexdigest()
    line = _one_line(world.penguin("restore"))
    assert line.startswith("restore: ") and "pass --yes" in line
    assert hashlib.sha256(world.paths.warehouse.read_bytes()).hexdigest() == damaged

    done = world.penguin("restore", "--yes")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"restored {backup.stem} to {world.paths.warehouse}")
    assert _counts(world.paths.warehouse) == _counts(backup) and _loads(world) == first_loads
    assert _truth_differences(world, unknowable)  # two days behind now (dlt's local state is not)

    # the next incremental run continues from the restored state: the lost days come back, and one more
    world.sandbox.client.advance(days=1)
    _requests(world)
    assert world.run(SOURCES).success
    incremental = _requests(world)
    print(f"requests: backfill {backfill}, incremental after the restore (3 days) {incremental}")
    assert incremental < backfill / 3
    assert _truth_differences(world, unknowable) == {}
    assert first_loads < _loads(world) and not lost_loads & _loads(world)


def test_a_backup_that_does_not_open_is_refused(world):
    directory = world.paths.data_dir / "backups"
    bad = directory / "warehouse-20000101T000000000000Z.duckdb"
    bad.write_bytes(b"not a database" * 1000)
    before = hashlib.sha256(world.paths.warehouse.read_bytes()).hexdigest()
    line = _one_line(world.penguin("restore", "--backup", bad.stem, "--yes"))
    assert line.startswith(f"restore: {bad.name} is not a readable DuckDB database")
    assert hashlib.sha256(world.paths.warehouse.read_bytes()).hexdigest() == before
    assert not [p for p in world.paths.data_dir.iterdir() if ".restoring-" in p.name]
    bad.unlink()
    assert "no backup 'nope'" in _one_line(world.penguin("restore", "--backup", "nope", "--yes"))


def test_backups_keep_the_last_n(world, tmp_path):
    for _ in range(3):
        assert world.penguin("backup", PENGUIN_BACKUP_DIR=str(tmp_path), PENGUIN_BACKUP_KEEP="2").returncode == 0
    kept = backups(tmp_path)
    assert len(kept) == 2 and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    listing = world.penguin("backup", "--list", PENGUIN_BACKUP_DIR=str(tmp_path))
    assert all(p.stem in listing.stdout for p in kept) and "2 backup(s)" in listing.stdout


def test_backup_and_restore_stop_in_one_line_while_another_process_writes(world, tmp_path):
    holder = ("import duckdb, sys\n"
              f"con = duckdb.connect({str(world.paths.warehouse)!r})\n"
              "print('open', flush=True)\n"
              "sys.stdin.read()")
    writer = subprocess.Popen([sys.executable, "-c", holder], cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert writer.stdout.readline().strip() == "open"
        for done in (world.penguin("backup", PENGUIN_BACKUP_DIR=str(tmp_path)), world.penguin("restore", "--yes")):
            line = _one_line(done)
            assert f"the warehouse is open in another process (PID {writer.pid})" in line, line
            assert line.endswith("when it has finished")
    finally:
        writer.stdin.close()
        writer.wait(30)
    assert backups(tmp_path) == []
