-- One row per issue and stretch of time it spent in one status (as fivetran/dbt_jira's status
-- transitions): the first stretch starts at creation in the status the first status change left
-- (or the current status when it never changed), each status change closes one stretch and opens
-- the next, and the current one stays open (`left_at` null) and is measured up to the last sync.
with issues as (
    select * from {{ ref('stg_jira__issues') }}
),

status_changes as (
    select * from {{ ref('stg_jira__issue_changelog') }}
    where field = 'status'
),

statuses as (
    select * from {{ ref('jira_statuses') }}
),

sync_time as (
    select * from {{ ref('int_jira__sync_time') }}
),

observed_categories as (
    -- the category Jira shows today for each status some issue holds now
    select status as status_name, min(status_category) as status_category
    from issues
    group by status
),

ordered_changes as (
    select
        jira_issue_id,
        changed_at,
        author_account_id,
        from_value as from_status_id,
        from_string as from_status,
        to_value as to_status_id,
        to_string as to_status,
        row_number() over (
            partition by jira_issue_id
            order by changed_at, try_cast(jira_history_id as bigint), jira_history_id, item_index
        ) as change_number
    from status_changes
),

initial_stretches as (
    select
        issues.jira_issue_id,
        0 as change_number,
        coalesce(first_change.from_status, issues.status) as status,
        first_change.from_status_id as status_id,
        issues.created_at as entered_at,
        cast(null as varchar) as entered_by_account_id
    from issues
    left join ordered_changes as first_change
        on issues.jira_issue_id = first_change.jira_issue_id and first_change.change_number = 1
),

later_stretches as (
    select
        jira_issue_id,
        change_number,
        to_status as status,
        to_status_id as status_id,
        changed_at as entered_at,
        author_account_id as entered_by_account_id
    from ordered_changes
),

stretches as (
    select * from initial_stretches
    union all
    select * from later_stretches
),

categorised as (
    select
        stretches.*,
        coalesce(stretches.status_id, statuses.status_id) as known_status_id,
        coalesce(observed_categories.status_category, statuses.status_category) as status_category,
        coalesce(statuses.pauses_sla, false) as pauses_sla,
        coalesce(statuses.stops_resolution_clock, false) as stops_resolution_clock
    from stretches
    left join statuses
        on stretches.status = statuses.status_name
    left join observed_categories
        on stretches.status = observed_categories.status_name
),

bounded as (
    select
        categorised.*,
        lead(entered_at) over issue_order as left_at,
        lag(status) over issue_order as previous_status,
        lag(status_category) over issue_order as previous_status_category
    from categorised
    window issue_order as (partition by jira_issue_id order by change_number)
),

final as (
    select
        bounded.jira_issue_id || ':' || bounded.change_number as status_interval_id,
        bounded.jira_issue_id,
        issues.issue_key,
        issues.project_key,
        cast(bounded.change_number + 1 as integer) as interval_number,
        bounded.status,
        bounded.known_status_id as status_id,
        bounded.status_category,
        bounded.pauses_sla,
        bounded.stops_resolution_clock,
        bounded.previous_status,
        bounded.previous_status_category,
        bounded.entered_at,
        bounded.left_at,
        bounded.left_at is null as is_current,
        bounded.entered_by_account_id,
        -- Jira keeps milliseconds; an open stretch runs to the last sync
        (epoch_ms(coalesce(bounded.left_at, greatest(sync_time.synced_at, bounded.entered_at)))
            - epoch_ms(bounded.entered_at)) / 1000.0 as seconds_in_status
    from bounded
    inner join issues
        on bounded.jira_issue_id = issues.jira_issue_id
    cross join sync_time
)

select * from final
