-- Deploy tributary:functions/_cancel_downstream
-- requires: tables/step_dependencies
--
-- Called after a step was discarded or cancelled: every step downstream of it that has not
-- finished can never run, so it is cancelled with p_reason. Returns the ids it cancelled (the
-- caller settles their workflow). Walks only the descendants; locks the rows it updates.
-- Planned at every call (force_custom_plan), for the tables as they are: a plan of the recursive
-- walk cached while the tables were small could read a whole index at each level.
BEGIN;

CREATE OR REPLACE FUNCTION tributary._cancel_downstream(p_step_id bigint, p_reason text)
RETURNS bigint[]
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET plan_cache_mode = force_custom_plan
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET jit = off
AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_cancelled bigint[];
BEGIN
  WITH RECURSIVE downstream(id) AS (
    SELECT d.step_id FROM tributary.step_dependencies AS d WHERE d.depends_on_step_id = p_step_id
    UNION
    SELECT d.step_id
    FROM tributary.step_dependencies AS d
    JOIN downstream ON d.depends_on_step_id = downstream.id
  ), cancelled AS (
    UPDATE tributary.steps AS s
    SET state = 'cancelled',
        cancel_reason = p_reason,
        finalized_at = v_now,
        lease_expires_at = NULL,
        deadline_at = NULL
    WHERE s.id IN (SELECT downstream.id FROM downstream)
      AND s.state IN ('pending', 'available')
    RETURNING s.id
  )
  SELECT coalesce(pg_catalog.array_agg(cancelled.id ORDER BY cancelled.id), '{}') INTO v_cancelled FROM cancelled;
  RETURN v_cancelled;
END;
$$;

COMMENT ON FUNCTION tributary._cancel_downstream(bigint, text) IS
  'Internal: cancels (with a reason) every unfinished step downstream of a discarded or cancelled step; returns their ids.';

COMMIT;
