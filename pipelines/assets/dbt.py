"""The dbt project as Dagster assets: one `dbt build` per run; dbt tests become asset checks.

Keys are `<schema>/<model>` (`staging/stg_stripe__customers`, `finance/fct_mrr_monthly`), so the
lineage reads raw → staging → intermediate → marts; dbt sources map to the dlt assets through
`meta.dagster.asset_key`.
"""

import json
import os
import sys
from pathlib import Path
from typing import Any, Iterator, Mapping

from dagster import AssetExecutionContext, AssetKey, MetadataValue, Output
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from pipelines.assets.previews import PREVIEWS
from pipelines.settings import Paths
from pipelines.warehouse import connect, dbt_env

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
# dbt installed beside this Python, so it is found whether or not the virtualenv is activated
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")
dbt_project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)


def dbt_cli() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)


def _manifest_is_stale(project: DbtProject) -> bool:
    manifest = project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [DBT_DIR / "dbt_project.yml", *(p for d in ("models", "macros", "seeds", "tests")
                                              for p in (DBT_DIR / d).rglob("*") if p.is_file())]
    return any(p.stat().st_mtime > built for p in sources)


def ensure_manifest() -> Path:
    """Parses the dbt project when its manifest is missing or older than the project's files."""
    if _manifest_is_stale(dbt_project):
        os.environ.setdefault("PENGUIN_WAREHOUSE", str(Paths.from_env().warehouse))
        dbt_cli().cli(["parse", "--quiet"], target_path=dbt_project.target_path).wait()
    return dbt_project.manifest_path


class PenguinDbtTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        return AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props["schema"]


translator = PenguinDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def _relations(manifest_path: Path) -> dict[str, str]:
    """dagster-dbt names each model's output after its asset key: output name -> the relation."""
    nodes = json.loads(manifest_path.read_text())["nodes"].values()
    return {AssetKey([n["schema"], n["name"]]).to_python_identifier(): f'"{n["schema"]}"."{n["alias"]}"'
            for n in nodes if n["resource_type"] in ("model", "seed", "snapshot")}


RELATIONS = _relations(ensure_manifest())
PREVIEW_OUTPUTS = {AssetKey(key.split("/")).to_python_identifier(): render for key, render in PREVIEWS.items()}


def _with_numbers(outputs: list[Output], warehouse: Path) -> Iterator[Output]:
    """Each output with its table's row count, and the Markdown preview of the marts that have one.
    Read in one connection once dbt has released the warehouse."""
    con = connect(warehouse, read_only=True)
    try:
        for o in outputs:
            extra = {"dagster/row_count": MetadataValue.int(con.execute(f"select count(*) from {RELATIONS[o.output_name]}").fetchone()[0])}
            if o.output_name in PREVIEW_OUTPUTS:
                extra["preview"] = MetadataValue.md(PREVIEW_OUTPUTS[o.output_name](con))
            yield Output(None, output_name=o.output_name, metadata={**o.metadata, **extra})
    finally:
        con.close()


@dbt_assets(manifest=ensure_manifest(), dagster_dbt_translator=translator, pool="warehouse")
def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource):
    """`dbt build` of the selected models: seeds, models and their tests, in dependency order; then
    row counts and previews of what was built. A failed model or test fails the step afterwards."""
    warehouse = Paths.from_env().warehouse
    os.environ.update(dbt_env(warehouse))
    # a partial build runs only the tests whose every parent is built (or already exists upstream)
    os.environ["DBT_INDIRECT_SELECTION"] = "buildable"
    invocation = dbt.cli(["build"], context=context, raise_on_error=False)
    built = []
    for event in invocation.stream():
        if isinstance(event, Output):
            built.append(event)
        else:
            yield event
    yield from _with_numbers(built, warehouse)
    if not invocation.is_successful():
        raise invocation.get_error()
