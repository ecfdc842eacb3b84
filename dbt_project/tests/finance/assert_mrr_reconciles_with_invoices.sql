-- The reconciliation check (blocking): recognised MRR must tie to what the invoices bill. Differences
-- that only discounts explain (`explained`) or that rounding explains (`matched`) are fine; a `break`
-- means the items or statuses behind MRR disagree with the invoice lines — MRR without an invoice,
-- an item state no line bills, a line billing a state MRR does not hold.
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'fct_mrr_reconciliation'}}}) }}

select *
from {{ ref('fct_mrr_reconciliation') }}
where reconciliation_status = 'break'
