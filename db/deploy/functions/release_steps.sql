-- Deploy tributary:functions/release_steps
-- requires: functions/_notify_available
--
-- A worker shutting down gives back steps it claimed but will not finish: each (step, attempt)
-- that still holds its step becomes available again at once, and the attempt does not count
-- against max_attempts (max_attempts grows by one; attempt numbers keep growing, so the
-- released attempt stays fenced out). The release is recorded in the error history with reason
-- "released". Returns how many steps were released. Locks the rows in id order. O(batch): each
-- step is found by primary key and its attempt looked up by its position in the input (a jsonb
-- object id -> position), never by joining the unnested input.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.release_steps(p_step_ids bigint[], p_attempts integer[])
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET jit = off
AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_count integer;
  v_queues text[];
  v_positions jsonb;  -- 'step id:attempt' -> its position in the input (a duplicate id never hides the current attempt)
BEGIN
  IF pg_catalog.cardinality(p_step_ids) IS DISTINCT FROM pg_catalog.cardinality(p_attempts) THEN
    RAISE EXCEPTION 'step ids and attempts must have the same length' USING ERRCODE = 'TB012';
  END IF;
  SELECT pg_catalog.jsonb_object_agg(i.id::text || ':' || i.attempt::text, i.ord) INTO v_positions
  FROM unnest(p_step_ids, p_attempts) WITH ORDINALITY AS i(id, attempt, ord);
  PERFORM 1 FROM tributary.steps AS s WHERE s.id = ANY (p_step_ids) ORDER BY s.id FOR NO KEY UPDATE;

  WITH released AS (
    UPDATE tributary.steps AS s
    SET state = 'available',
        scheduled_at = v_now,
        max_attempts = s.max_attempts + 1,
        errors = s.errors || pg_catalog.jsonb_build_object(
                   'attempt', s.attempt, 'at', v_now, 'worker_id', s.worker_id, 'retryable', true,
                   'message', 'released by its worker before it finished (shutdown)', 'reason', 'released'),
        lease_expires_at = NULL,
        deadline_at = NULL
    WHERE s.id = ANY (p_step_ids) AND s.state = 'running'
      AND v_positions ? (s.id::text || ':' || s.attempt::text)
    RETURNING s.queue
  )
  SELECT pg_catalog.count(*)::integer, pg_catalog.array_agg(DISTINCT released.queue)
  INTO v_count, v_queues
  FROM released;

  PERFORM tributary._notify_available(v_queues);
  RETURN v_count;
END;
$$;

COMMENT ON FUNCTION tributary.release_steps(bigint[], integer[]) IS
  'Gives back running steps a worker will not finish (shutdown): available again at once, the attempt not counted. Returns how many were released.';

COMMIT;
