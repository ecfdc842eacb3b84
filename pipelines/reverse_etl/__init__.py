"""Reverse ETL: the warehouse's customer facts written back to the tools teams work in.

* `hubspot`: the warehouse-owned `penguin_*` properties of every HubSpot company matched to a
  customer account (health score, risk tier and top reason, MRR, plan, seats, last active day, open
  high-priority tickets), only where a value changed since the last successful push.
* `jira`: one Customer Success ticket per account that enters the `at_risk` health tier (once per
  episode), and one comment on it when the account leaves that tier.

Both read `customer_health.dim_customer_crm_sync`, keep their sync state and an audit of every write
in the warehouse schema `reverse_etl` (`state`), and run in the mode `PENGUIN_REVERSE_ETL` sets:
`dry-run` (the default: plan and log, write nothing), `on` or `off` (`settings`). See docs/reverse_etl.md.
"""
