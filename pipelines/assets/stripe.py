"""Assets of Stripe: `raw/stripe/<table>`."""
from dagster import AssetExecutionContext
from dagster_dlt import DagsterDltResource, dlt_assets

from pipelines.assets.ingestion import RawTranslator, run_source, spec_pipeline
from pipelines.resources.stripe import StripeAccount
from pipelines.sources.common.progress import SyncProgress
from pipelines.sources.stripe import stripe_source


@dlt_assets(dlt_source=stripe_source(api_key="placeholder"), dlt_pipeline=spec_pipeline("stripe"),
            name="stripe_sync", dagster_dlt_translator=RawTranslator("stripe"), pool="warehouse")
def stripe_assets(context: AssetExecutionContext, dlt: DagsterDltResource, stripe: StripeAccount):
    progress = SyncProgress("stripe", context.log.info)
    source = stripe_source(api_key=stripe.api_key, api_base=stripe.api_base, progress=progress)
    yield from run_source(context, dlt, "stripe", source, progress)
