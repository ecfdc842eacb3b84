"""The published marts: a fresh `marts.duckdb` swapped in atomically after a successful dbt build."""
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from pipelines.assets.dbt import dbt_models
from pipelines.publish import publish_marts
from pipelines.settings import Paths


@asset(key=["published", "marts"], deps=[*dbt_models.keys, AssetKey(["ops", "sync_health"])], group_name="publish",
       kinds={"duckdb"}, pool="warehouse")
def published_marts(context: AssetExecutionContext) -> MaterializeResult:
    """The mart schemas copied into a new `marts.duckdb` for analysts (read-only), swapped in by an
    atomic rename; it runs only after the whole dbt build (and its blocking tests) succeeded."""
    paths = Paths.from_env()
    published = publish_marts(paths.warehouse, paths.marts)
    context.log.info(f"published {len(published.tables)} tables to {published.path}")
    return MaterializeResult(metadata={
        "path": MetadataValue.path(str(published.path)),
        "tables": MetadataValue.json(published.tables),
        "previous": MetadataValue.path(str(published.previous)) if published.previous else MetadataValue.text("none"),
    })
