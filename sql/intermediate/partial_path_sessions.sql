-- Stored per-customer partial (tables.STORED_PARTIALS): one row per session, narrow: its
-- collapsed sequence at each level within the session (stage_nodes / touchpoint_nodes: the
-- session's first event, then every event starting a new run; NULL when it has no step at
-- that level) and whether it is the customer's conversion session. The reduce model
-- journey_variants (session grain) reads it.
with path_events as (
    select customer_id, session_id, event_index, stage_index, touchpoint,
        is_session_start, is_stage_start, is_touchpoint_start
    from int_path_events
),

stages as (
    select stage_index, stage from cfg_stages
),

sessions as (
    select customer_id, session_id, is_conversion_session from sessions
),

session_steps as (
    select 'stage' as level, path_events.session_id, path_events.event_index,
        stages.stage as node
    from path_events
    inner join stages using (stage_index)
    where path_events.is_session_start or path_events.is_stage_start
    union all
    select 'touchpoint' as level, session_id, event_index, touchpoint as node
    from path_events
    where is_session_start or is_touchpoint_start
),

session_nodes as (
    select
        session_id,
        list_transform(
            list_sort(list(struct_pack(event_index := event_index, node := node))
                filter (where level = 'stage')),
            lambda step: step.node
        ) as stage_nodes,
        list_transform(
            list_sort(list(struct_pack(event_index := event_index, node := node))
                filter (where level = 'touchpoint')),
            lambda step: step.node
        ) as touchpoint_nodes
    from session_steps
    group by session_id
),

final as (
    select
        sessions.customer_id,
        sessions.session_id,
        session_nodes.stage_nodes,
        session_nodes.touchpoint_nodes,
        sessions.is_conversion_session as is_converted
    from session_nodes
    inner join sessions using (session_id)
)

select * from final
