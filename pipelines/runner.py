"""`penguin run`: the daily job in-process on the local Dagster instance, and its summary."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance, ExecuteInProcessResult

from pipelines.errors import first_error_line
from pipelines.settings import Paths

SQLITE_INSTANCE_YAML = """# Local Dagster instance of `penguin run` (embedded SQLite storage). See docs/deployment.md.
# One consolidated event log (not one file per run), so sensors can read events across runs.
event_log_storage:
  module: dagster.core.storage.event_log
  class: ConsolidatedSqliteEventLogStorage
  config:
    base_dir:
      env: DAGSTER_HOME
telemetry:
  enabled: false
"""
POSTGRES_INSTANCE_YAML = Path(__file__).resolve().parents[1] / "deploy" / "dagster.yaml"


def local_instance(paths: Paths) -> DagsterInstance:
    """The instance in `$DAGSTER_HOME`, or else `<data dir>/dagster` (so `make ui` sees the runs),
    stored in PostgreSQL when `PENGUIN_DAGSTER_POSTGRES_URL` is set, else in SQLite."""
    if not os.environ.get("DAGSTER_HOME"):
        home = paths.data_dir / "dagster"
        home.mkdir(parents=True, exist_ok=True)
        postgres = bool(os.environ.get("PENGUIN_DAGSTER_POSTGRES_URL"))
        (home / "dagster.yaml").write_text(POSTGRES_INSTANCE_YAML.read_text() if postgres else SQLITE_INSTANCE_YAML)
        os.environ["DAGSTER_HOME"] = str(home)
    return DagsterInstance.get()


@dataclass
class RunSummary:
    success: bool
    run_id: str
    tables: dict[str, dict] = field(default_factory=dict)  # asset key -> metadata numbers
    errors: list[str] = field(default_factory=list)

    def render(self) -> str:
        lines = []
        sources: dict[str, list[tuple[str, dict]]] = {}
        for key, meta in sorted(self.tables.items()):
            parts = key.split("/")
            if parts[0] == "raw":
                sources.setdefault(parts[1], []).append((parts[2], meta))
        if sources:
            lines.append(f"{'source':<10} {'table':<26} {'new':>9} {'updated':>9} {'deleted':>8} {'total':>10} {'sec':>6}")
            for source, tables in sources.items():
                for i, (table, m) in enumerate(tables):
                    lines.append(f"{source if i == 0 else '':<10} {table:<26} {m.get('rows_new', 0):>9,} {m.get('rows_updated', 0):>9,} "
                                 f"{m.get('rows_deleted', 0):>8,} {m.get('dagster/row_count', 0):>10,} "
                                 f"{m.get('sync_seconds', 0) if i == 0 else '':>6}")
        other = [k for k in self.tables if not k.startswith("raw/")]
        if other:
            lines.append(f"built {len(other)} other assets")
        lines += [f"FAILED: {e}" for e in self.errors]
        lines.append(f"run {self.run_id}: {'succeeded' if self.success else 'FAILED'}")
        return "\n".join(lines)


def summarize(result: ExecuteInProcessResult) -> RunSummary:
    summary = RunSummary(result.success, result.run_id)
    for event in result.all_events:
        if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            mat = event.event_specific_data.materialization
            summary.tables[mat.asset_key.to_user_string()] = {
                k: v.value for k, v in mat.metadata.items() if isinstance(v.value, (int, float))}
        elif event.event_type == DagsterEventType.STEP_FAILURE:
            summary.errors.append(first_error_line(event.event_specific_data.error))
    return summary


def run_daily(select: str | None = None, paths: Paths | None = None) -> RunSummary:
    """Runs the daily job, or only the assets of a Dagster selection (e.g. `group:raw_stripe`)."""
    from dagster import AssetSelection

    from pipelines.definitions import defs

    paths = paths or Paths.from_env()
    instance = local_instance(paths)
    job = defs.resolve_job_def("daily")
    if select:  # the daily job's own checks (not freshness) of the selected assets come along
        graph = defs.resolve_asset_graph()
        selection = AssetSelection.from_string(select)
        checks = selection.resolve_checks(graph) & set(job.asset_layer.asset_graph.asset_check_keys)
        assets = set(selection.resolve(graph)) & set(job.asset_layer.selected_asset_keys)  # not other jobs' assets
        job = job.get_subset(asset_selection=assets, asset_check_selection=checks)
    result = job.execute_in_process(
        instance=instance, raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
    )
    return summarize(result)


def load_env_file(path: str | Path) -> None:
    """Puts a dotenv file's variables into this process's environment (they win over existing ones)."""
    from sandbox.envfile import read_env_file

    os.environ.update(read_env_file(path))
