-- What a closed sprint finished or carried over was in its scope at the close: committed + added − removed.
with sprints as (
    select * from {{ ref('fct_sprint_throughput') }}
),

final as (
    select *
    from sprints
    where completed_at is not null
        and issues_completed + issues_carried_over > issues_committed + issues_added_after_start - issues_removed
)

select * from final
