"""The dbt project as Dagster assets: one `dbt build` per run; dbt tests become asset checks.

Keys are `<schema>/<model>` (`staging/stg_stripe__customers`, `finance/fct_mrr_monthly`), so the
lineage reads raw → staging → intermediate → marts; dbt sources map to the dlt assets through
`meta.dagster.asset_key`.
"""

import os
import sys
from pathlib import Path
from typing import Any, Mapping

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from pipelines.settings import Paths

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


@dbt_assets(manifest=ensure_manifest(), dagster_dbt_translator=translator, pool="warehouse")
def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource):
    """`dbt build` of the selected models: seeds, models and their tests, in dependency order."""
    os.environ["PENGUIN_WAREHOUSE"] = str(Paths.from_env().warehouse)
    yield from dbt.cli(["build"], context=context).stream().fetch_row_counts()
