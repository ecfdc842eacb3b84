"""`python -m bench.phase <kind> [source]`: one measured phase, run by `bench.run` in a subprocess of
its own. The sandbox's variables and `PENGUIN_DATA_DIR` come from the environment; what the phase
measured goes to the file `BENCH_RESULT` names (`bench.measure.report`).

  ours <source>       our production source → <data dir>/warehouse.duckdb (backfill, or incremental
                      when the warehouse already holds the source's state)
  baseline <source>   dlt's defaults → <data dir>/baseline.duckdb
  floor <source>      plain HTTP + read_json → <data dir>/floor.duckdb
  publish             the mart schemas of the warehouse → <data dir>/marts.duckdb
  dagster             `penguin run`'s job (`run_daily`): every source, dbt build, publish…; the
                      run's own duration and each step's seconds, from the instance
  sandbox             pages/s the sandbox serves per endpoint
  warmup              imports what the other phases import, so Python's bytecode cache is filled
                      before anything is timed
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from bench.measure import report


def main(argv: list[str]) -> int:
    kind, *rest = argv
    env = dict(os.environ)
    data = Path(env["PENGUIN_DATA_DIR"])
    data.mkdir(parents=True, exist_ok=True)
    if kind == "ours":
        from bench.ours import sync
        report(sync(rest[0]))
    elif kind == "baseline":
        from bench.baseline import run
        report(run(rest[0], env, data / "baseline.duckdb", data / "baseline-dlt"))
    elif kind == "floor":
        from bench.floor import run
        report(run(rest[0], env, data / "floor.duckdb", data / "floor" / rest[0]))
    elif kind == "publish":
        from pipelines.publish import publish_marts
        from pipelines.settings import Paths
        paths = Paths.from_env()
        started = time.perf_counter()
        published = publish_marts(paths.warehouse, paths.marts)
        report({"seconds": round(time.perf_counter() - started, 3), "tables": len(published.tables),
                "rows": sum(published.tables.values())})
    elif kind == "dagster":
        from dagster import DagsterInstance

        from pipelines.runner import run_daily
        summary = run_daily()
        print(summary.render())
        report({"success": summary.success, "errors": summary.errors, "assets": len(summary.tables),
                **dagster_timings(DagsterInstance.get(), summary.run_id)})
        return 0 if summary.success else 1
    elif kind == "sandbox":
        from bench.sandbox_speed import probe
        report(probe(env))
    elif kind == "warmup":
        started = time.perf_counter()
        import bench.baseline, bench.floor, bench.ours, dbt.adapters.duckdb, dbt.cli.main, pipelines.definitions, sandbox.serve  # noqa: E401, F401
        report({"seconds": round(time.perf_counter() - started, 3)})
    else:
        print(f"bench.phase: unknown phase {kind!r}", file=sys.stderr)
        return 2
    return 0


def dagster_timings(instance, run_id: str) -> dict:
    """The run's duration (start to end event) and each step's seconds."""
    run = instance.get_run_stats(run_id)
    steps = {step.step_key: round(step.end_time - step.start_time, 2)
             for step in instance.get_run_step_stats(run_id) if step.start_time and step.end_time}
    return {"run_seconds": round(run.end_time - run.start_time, 2), "step_seconds": steps}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
