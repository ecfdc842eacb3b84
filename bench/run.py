"""The whole benchmark at one scale, phase by phase, each phase a subprocess of its own (bench.measure):

 0. a warm-up that imports what the phases import, so Python's bytecode cache (kept in
    bench/results/tmp/pycache) is filled before anything is timed
 1. a fresh sandbox world of the scale (no faults; its start-up is timed), in its own process
 2. the sandbox's pace per endpoint (bench.sandbox_speed)
 3. per source: the floor, dlt's defaults (the baseline), and ours — three backfills of the same pages
 4. `dbt build` of every model on our warehouse, then publishing the marts
 5. one simulated day (`advance 1 day`), then per source our incremental sync on the same warehouse
 6. `penguin run`'s whole Dagster job after the same day, on a copy of the backfilled warehouse:
    orchestration overhead = the run − (incremental syncs + dbt build + publish)

Rows are counted in the warehouses, requests by the sandbox (`/_sandbox/stats`), peak RSS per phase.
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench import SOURCES
from bench.measure import Measured, PhaseFailed, python_phase, run_phase
from pipelines.runner import SQLITE_INSTANCE_YAML
from pipelines.warehouse import dbt_env
from sandbox.client import SandboxClient
from sandbox.envfile import read_env_file

REPO = Path(__file__).resolve().parents[1]
# as in pipelines/assets/dbt.py, which parses the project when imported
DBT_DIR = REPO / "dbt_project"
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")
# bytecode compiled once for every run (a venv installed by uv has none, and PYTHONDONTWRITEBYTECODE
# would have each phase compile its imports again: ~5 s a process)
PYCACHE = REPO / "bench" / "results" / "tmp" / "pycache"
PII_KEY = "penguin-bench-pii-key"  # the sandbox's people are made up (as `penguin demo`)
VENDOR = {"stripe": "stripe", "jira": "jira", "hubspot": "hubspot", "google": "google"}
SANDBOX_START_TIMEOUT = 1800


class Bench:
    """One benchmark run at `scale` in the work directory `work` (wiped first)."""

    def __init__(self, scale: str, seed: int, work: Path, skip: set[str]):
        self.scale, self.seed, self.work, self.skip = scale, seed, work, skip
        self.logs = work / "logs"
        self.data = work / "data"  # ours (warehouse.duckdb), the floor's and the baseline's databases
        self.dagster_data = work / "dagster-data"
        self.sandbox: subprocess.Popen | None = None
        self.sandbox_env: dict[str, str] = {}

    def say(self, line: str) -> None:
        print(f"bench {self.scale}: {line}", file=sys.stderr, flush=True)

    # --- the sandbox -------------------------------------------------------------------------------

    def start_sandbox(self) -> float:
        env_file = self.work / "sandbox.env"
        started = time.perf_counter()
        self.sandbox = subprocess.Popen(
            [sys.executable, "-m", "sandbox", "serve", "--seed", str(self.seed), "--scale", self.scale, "--faults", "none",
             "--env-file", str(env_file)], cwd=REPO, env=self.env(self.data), stdout=(self.logs / "sandbox.log").open("wb"),
            stderr=subprocess.STDOUT)
        while not env_file.exists():
            if self.sandbox.poll() is not None or time.perf_counter() - started > SANDBOX_START_TIMEOUT:
                raise PhaseFailed(f"bench: the sandbox did not start — see {self.logs / 'sandbox.log'}")
            time.sleep(0.1)
        self.sandbox_env = read_env_file(env_file)
        self.client = SandboxClient(env_file)
        return round(time.perf_counter() - started, 1)

    def sandbox_peak_rss_mb(self) -> float | None:
        """The sandbox process's peak RSS so far (`VmHWM`)."""
        try:
            status = Path(f"/proc/{self.sandbox.pid}/status").read_text()
        except OSError:
            return None
        kb = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), None)
        return round(kb / 1024, 1) if kb else None

    def stop_sandbox(self) -> None:
        if self.sandbox is not None and self.sandbox.poll() is None:
            self.sandbox.terminate()
            try:
                self.sandbox.wait(30)
            except subprocess.TimeoutExpired:
                self.sandbox.kill()

    # --- phases ------------------------------------------------------------------------------------

    def env(self, data: Path, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.setdefault("PYTHONPYCACHEPREFIX", str(PYCACHE))
        env.setdefault("PENGUIN_PII_KEY", PII_KEY)
        return {**env, **self.sandbox_env, "PENGUIN_DATA_DIR": str(data), **extra}

    def phase(self, name: str, cmd: list[str], env: dict[str, str], check: bool = True) -> Measured:
        self.say(f"{name} …")
        measured = run_phase(name, cmd, env, self.logs / f"{name.replace(' ', '-')}.log", check)
        self.say(measured.error or f"{name}: {measured.seconds:.1f}s, peak {measured.peak_rss_mb:.0f} MB")
        return measured

    def requests(self, source: str) -> int | None:
        """Requests the sandbox served the source's vendor since the last call (None for the app DB)."""
        stats = self.client.stats(reset=True)
        return sum(stats.get(VENDOR[source], {}).values()) if source in VENDOR else None

    def sync(self, kind: str, source: str) -> dict:
        self.requests(source)
        m = self.phase(f"{kind} {source}", python_phase("ours" if kind == "incremental" else kind, source),
                       self.env(self.data))
        return _summary(m, self.requests(source))

    def dbt_build(self) -> dict:
        """`dbt build` of every model; failed models or tests are recorded, not raised (as for the run)."""
        target = self.work / "dbt-target"
        m = self.phase("dbt build", [DBT_EXECUTABLE, "build", "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
                                     "--target-path", str(target), "--log-path", str(self.logs / "dbt")],
                       self.env(self.data, **dbt_env(self.data / "warehouse.duckdb")), check=False)
        run_results = target / "run_results.json"
        results = json.loads(run_results.read_text())["results"] if run_results.exists() else []
        failed = [r["unique_id"] for r in results if r["status"] in ("error", "fail")]
        out = {"success": m.error is None, "seconds": m.wall_seconds, "cpu_seconds": m.cpu_seconds,
               "peak_rss_mb": m.peak_rss_mb, "nodes": len(results),
               "models": sum(r["unique_id"].startswith("model.") for r in results)}
        if m.error is not None:
            out["errors"] = failed or [m.error]
        return out

    def dagster_run(self) -> dict:
        """The whole daily job; a failed run is recorded (with its errors), not raised, so the rest
        of the measurements are still written."""
        home = self.work / "dagster-home"
        home.mkdir(parents=True, exist_ok=True)
        (home / "dagster.yaml").write_text(SQLITE_INSTANCE_YAML)
        m = self.phase("dagster run", python_phase("dagster"), self.env(self.dagster_data, DAGSTER_HOME=str(home)),
                       check=False)
        r = m.result
        steps = r.get("step_seconds") or {}
        kinds: dict[str, float] = {}
        for key, seconds in steps.items():
            kinds[step_kind(key)] = round(kinds.get(step_kind(key), 0) + seconds, 2)
        out = {"success": m.error is None and bool(r.get("success")), "seconds": m.wall_seconds,
               "cpu_seconds": m.cpu_seconds, "peak_rss_mb": m.peak_rss_mb, "assets": r.get("assets"),
               "run_seconds": r.get("run_seconds"), "step_seconds": steps, "steps_by_kind": kinds}
        if r.get("run_seconds") is not None:
            out["startup_seconds"] = round(m.wall_seconds - r["run_seconds"], 2)  # imports, definitions, instance
        if not out["success"]:
            out["errors"] = r.get("errors") or [m.error]
        return out

    # --- the whole run -----------------------------------------------------------------------------

    def run(self) -> dict:
        shutil.rmtree(self.work, ignore_errors=True)
        self.logs.mkdir(parents=True)
        began, load_before = time.perf_counter(), os.getloadavg()
        warmup = self.phase("warmup", python_phase("warmup"), self.env(self.data))
        self.say(f"starting the sandbox (seed {self.seed})")
        out: dict = {"scale": self.scale, "seed": self.seed, "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                     "machine": machine(), "warmup_seconds": warmup.wall_seconds,
                     "sandbox": {"start_seconds": self.start_sandbox()}}
        try:
            if "probe" not in self.skip:
                out["sandbox"]["endpoints"] = self.phase("sandbox probe", python_phase("sandbox"), self.env(self.data)).result
            sources: dict[str, dict] = {s: {} for s in SOURCES}
            for kind in ("floor", "baseline", "ours"):
                if kind in self.skip:
                    continue
                for s in SOURCES:
                    sources[s][kind] = self.sync(kind, s)
            out["dbt"] = self.dbt_build()
            publish = self.phase("publish", python_phase("publish"), self.env(self.data))
            out["publish"] = {"seconds": publish.seconds, "peak_rss_mb": publish.peak_rss_mb,
                              "tables": publish.result.get("tables")}
            self.say(f"advancing the world one day: {self.client.advance(days=1)['now']}")
            self.dagster_data.mkdir(parents=True)
            shutil.copy2(self.data / "warehouse.duckdb", self.dagster_data / "warehouse.duckdb")
            for s in SOURCES:
                sources[s]["incremental"] = self.sync("incremental", s)
            if "dagster" not in self.skip:
                out["dagster"] = self.dagster_run()
            out["sandbox"]["peak_rss_mb"] = self.sandbox_peak_rss_mb()
        finally:
            self.stop_sandbox()
        out["sources"] = sources
        out |= headline(out)
        out["load_average"] = {"before": round(load_before[0], 2), "after": round(os.getloadavg()[0], 2)}
        out["bench_seconds"] = round(time.perf_counter() - began, 1)
        return out


def step_kind(step_key: str) -> str:
    """What a step of the daily job is: a source's sync, the dbt build, publishing, or other work."""
    if step_key.endswith("_sync"):
        return "syncs"
    if step_key.startswith("dbt"):
        return "dbt"
    return "publish" if step_key.startswith("published") else "other"


def _summary(m: Measured, requests: int | None) -> dict:
    r = m.result
    row = {"seconds": round(m.seconds, 2), "cpu_seconds": m.cpu_seconds, "process_seconds": m.wall_seconds,
           "peak_rss_mb": m.peak_rss_mb, "rows": r.get("rows"), "requests": requests}
    for key in ("rows_loaded", "top_level_rows", "fetch_seconds"):
        if key in r:
            row[key] = r[key]
    if r.get("rows"):
        row["rows_per_second"] = round(r["rows"] / max(m.seconds, 1e-6))
    row["tables"] = r.get("tables")
    return row


def _total(sources: dict, kind: str, key: str = "seconds") -> float | None:
    values = [s[kind][key] for s in sources.values() if kind in s]
    return round(sum(values), 2) if values and len(values) == len(sources) else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def headline(out: dict) -> dict:
    """The figures successive runs are compared on."""
    sources = out["sources"]
    backfill, incremental = _total(sources, "ours"), _total(sources, "incremental")
    baseline, floor = _total(sources, "baseline"), _total(sources, "floor")
    rows = _total(sources, "ours", "rows")
    run = out.get("dagster", {})
    dagster = run.get("seconds") if run.get("success") else None  # a failed run is no measure of a run
    other = (run.get("steps_by_kind") or {}).get("other", 0)
    work = incremental + out["dbt"]["seconds"] + out["publish"]["seconds"] + other if incremental is not None else None
    return {
        "rows": int(rows) if rows is not None else None,
        "backfill_seconds": backfill,
        "backfill_rows_per_second": round(rows / backfill) if rows and backfill else None,
        "incremental_seconds": incremental,
        "incremental_requests": _total({k: v for k, v in sources.items() if k != "app"}, "incremental", "requests"),
        "incremental_rows": _total(sources, "incremental", "rows_loaded"),
        "dbt_seconds": out["dbt"]["seconds"],
        "publish_seconds": out["publish"]["seconds"],
        "dagster_seconds": dagster,
        "dagster_success": run.get("success"),
        "dbt_success": out["dbt"]["success"],
        "orchestration_overhead_seconds": round(dagster - work, 2) if dagster is not None and work is not None else None,
        "baseline_backfill_seconds": baseline,
        "floor_backfill_seconds": floor,
        "peak_rss_mb": max((s[k]["peak_rss_mb"] for s in sources.values() for k in ("ours", "incremental") if k in s),
                           default=None),
        "speedup_vs_baseline": _ratio(baseline, backfill),
        "ours_vs_floor": _ratio(backfill, floor),
        "incremental_vs_backfill": _ratio(incremental, backfill),
    }


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory_kb = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal:")), 0)
    from importlib.metadata import version
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(memory_kb / 1024 ** 2, 1),
            "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
            "versions": {p: version(p) for p in ("dlt", "duckdb", "dagster", "dbt-core", "pyarrow")}}
