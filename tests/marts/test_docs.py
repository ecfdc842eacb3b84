"""`dbt docs generate` works on the built warehouse, and every mart and its columns are described."""
import json
import os
import subprocess

import pytest

from pipelines.assets.dbt import DBT_DIR, DBT_EXECUTABLE

pytestmark = pytest.mark.slow
MART_SCHEMAS = ("finance", "customer_health", "attribution", "support")


def test_docs_generate_describes_every_mart(built_warehouse, tmp_path):
    env = {**os.environ, "PENGUIN_WAREHOUSE": str(built_warehouse.paths.warehouse)}
    subprocess.run([DBT_EXECUTABLE, "docs", "generate", "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
                    "--target-path", str(tmp_path)], check=True, env=env, capture_output=True, timeout=600)
    catalog = json.loads((tmp_path / "catalog.json").read_text())
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    marts = [n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["schema"] in MART_SCHEMAS]
    assert marts
    for node in marts:
        assert node["description"].strip(), node["unique_id"]
        assert node["unique_id"] in catalog["nodes"], node["unique_id"]  # it exists in the warehouse
        built_columns = set(catalog["nodes"][node["unique_id"]]["columns"])
        assert built_columns == set(node["columns"]), (node["unique_id"], built_columns ^ set(node["columns"]))
    assert (tmp_path / "index.html").exists()
