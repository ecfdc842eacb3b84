-- One row per issue and sprint it was ever put in, with when it joined and left the sprint, read from
-- the Sprint field's changelog (`from`/`to` list the sprint ids, comma-separated; Jira keeps finished
-- sprints in the field, so carried-over work stays in every sprint it passed through). A sprint the
-- issue already held before its first Sprint change (or holds now without any change) was there from
-- the issue's creation. `removed_at` is the last removal of an issue no longer in the sprint (a
-- removal followed by a re-add counts as one stay).
with issues as (
    select * from {{ ref('stg_jira__issues') }}
),

sprint_changes as (
    select * from {{ ref('stg_jira__issue_changelog') }}
    where field = 'Sprint'
),

changes as (
    select
        jira_issue_id,
        changed_at,
        list_filter(
            list_transform(string_split(coalesce(from_value, ''), ','), x -> try_cast(trim(x) as bigint)),
            x -> x is not null
        ) as from_sprints,
        list_filter(
            list_transform(string_split(coalesce(to_value, ''), ','), x -> try_cast(trim(x) as bigint)),
            x -> x is not null
        ) as to_sprints
    from sprint_changes
),

additions as (
    select jira_issue_id, changed_at, unnest(list_filter(to_sprints, s -> not list_contains(from_sprints, s))) as jira_sprint_id
    from changes
),

removals as (
    select jira_issue_id, changed_at, unnest(list_filter(from_sprints, s -> not list_contains(to_sprints, s))) as jira_sprint_id
    from changes
),

first_changes as (
    select jira_issue_id, arg_min(from_sprints, changed_at) as from_sprints
    from changes
    group by jira_issue_id
),

initial_sprints as (
    -- in the sprint from creation: listed before its first Sprint change, or held now with no change at all
    select jira_issue_id, unnest(from_sprints) as jira_sprint_id
    from first_changes
    union
    select issues.jira_issue_id, unnest(issues.sprint_ids) as jira_sprint_id
    from issues
    left join first_changes
        on issues.jira_issue_id = first_changes.jira_issue_id
    where first_changes.jira_issue_id is null
),

current_sprints as (
    select jira_issue_id, unnest(sprint_ids) as jira_sprint_id
    from issues
),

first_additions as (
    select jira_issue_id, jira_sprint_id, min(changed_at) as added_at
    from additions
    group by jira_issue_id, jira_sprint_id
),

last_removals as (
    select jira_issue_id, jira_sprint_id, max(changed_at) as removed_at
    from removals
    group by jira_issue_id, jira_sprint_id
),

memberships as (
    select jira_issue_id, jira_sprint_id from first_additions
    union
    select jira_issue_id, jira_sprint_id from initial_sprints
    union
    select jira_issue_id, jira_sprint_id from current_sprints
),

final as (
    select
        memberships.jira_issue_id || ':' || memberships.jira_sprint_id as sprint_issue_id,
        memberships.jira_issue_id,
        memberships.jira_sprint_id,
        case
            when initial_sprints.jira_sprint_id is not null then issues.created_at
            else coalesce(first_additions.added_at, issues.created_at)
        end as added_at,
        case when current_sprints.jira_sprint_id is null then last_removals.removed_at end as removed_at
    from memberships
    inner join issues
        on memberships.jira_issue_id = issues.jira_issue_id
    left join initial_sprints
        on memberships.jira_issue_id = initial_sprints.jira_issue_id
        and memberships.jira_sprint_id = initial_sprints.jira_sprint_id
    left join current_sprints
        on memberships.jira_issue_id = current_sprints.jira_issue_id
        and memberships.jira_sprint_id = current_sprints.jira_sprint_id
    left join first_additions
        on memberships.jira_issue_id = first_additions.jira_issue_id
        and memberships.jira_sprint_id = first_additions.jira_sprint_id
    left join last_removals
        on memberships.jira_issue_id = last_removals.jira_issue_id
        and memberships.jira_sprint_id = last_removals.jira_sprint_id
)

select * from final
