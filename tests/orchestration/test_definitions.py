"""The Dagster definitions load, and the lineage runs from raw tables through staging to marts."""
import pytest


@pytest.fixture(scope="module")
def graph():
    from pipelines.definitions import defs

    return defs.resolve_asset_graph()


def test_every_staging_model_reads_a_raw_dlt_asset(graph):
    keys = {k.to_user_string(): k for k in graph.get_all_asset_keys()}
    staging = [k for name, k in keys.items() if name.startswith("staging/")]
    assert staging
    for key in staging:
        parents = [p.to_user_string() for p in graph.get(key).parent_keys]
        assert parents and all(p.startswith(("raw/", "staging/", "reference/")) for p in parents), (key, parents)
        raw = [p for p in parents if p.startswith("raw/")]
        assert raw and all(graph.get(keys[p]).group_name == f"raw_{p.split('/')[1]}" for p in raw)


def test_raw_assets_are_grouped_and_kinded_by_source(graph):
    raw = [k for k in graph.get_all_asset_keys() if k.path[0] == "raw"]
    assert raw
    for key in raw:
        node = graph.get(key)
        assert node.group_name == f"raw_{key.path[1]}"
        assert {"dlt", "duckdb", key.path[1]} <= set(node.kinds)


def test_publish_runs_after_every_dbt_model(graph):
    from dagster import AssetKey

    published = graph.get(AssetKey(["published", "marts"]))
    dbt_keys = {k for k in graph.get_all_asset_keys() if k.path[0] in ("staging", "intermediate", "finance", "customer_health", "attribution", "support", "reference")}
    assert dbt_keys <= set(published.parent_keys)


def test_dbt_tests_are_asset_checks(graph):
    checks = list(graph.asset_check_keys)
    assert any(c.name.startswith("unique_") for c in checks)
