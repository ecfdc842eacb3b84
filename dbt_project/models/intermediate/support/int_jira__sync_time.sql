-- Jira's clock at the last sync: the newest change the sync loaded (its high-water mark). Open
-- intervals, unresolved tickets and the current week are measured up to this moment, never to the
-- machine's clock, so a rebuild without a new sync gives the same numbers.
with issues as (
    select max(updated_at) as newest_update from {{ ref('stg_jira__issues') }}
),

changelog as (
    select max(changed_at) as newest_change from {{ ref('stg_jira__issue_changelog') }}
),

final as (
    select greatest(issues.newest_update, changelog.newest_change) as synced_at
    from issues
    cross join changelog
)

select * from final
