-- Deploy tributary:functions/heartbeat_steps
-- requires: tables/steps
-- requires: functions/_settings
--
-- Batch heartbeat for a worker holding several steps: extends the lease of every (step,
-- attempt) that still holds its step within its deadline, and returns the ids it extended; a
-- step missing from the answer was lost (cancelled, rescued, finished, timed out). Locks the
-- rows in id order. O(batch): each step is found by primary key and its attempt looked up by its
-- position in the input (a jsonb object id -> position), never by joining the unnested input.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.heartbeat_steps(p_step_ids bigint[], p_attempts integer[])
RETURNS SETOF bigint
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
  v_lease interval := (tributary._settings()).lease_duration;
  v_positions jsonb;  -- 'step id:attempt' -> its position in the input (a duplicate id never hides the current attempt)
BEGIN
  IF pg_catalog.cardinality(p_step_ids) IS DISTINCT FROM pg_catalog.cardinality(p_attempts) THEN
    RAISE EXCEPTION 'step ids and attempts must have the same length' USING ERRCODE = 'TB012';
  END IF;
  SELECT pg_catalog.jsonb_object_agg(i.id::text || ':' || i.attempt::text, i.ord) INTO v_positions
  FROM unnest(p_step_ids, p_attempts) WITH ORDINALITY AS i(id, attempt, ord);
  PERFORM 1 FROM tributary.steps AS s WHERE s.id = ANY (p_step_ids) ORDER BY s.id FOR NO KEY UPDATE;
  RETURN QUERY
  UPDATE tributary.steps AS s
  SET lease_expires_at = LEAST(v_now + v_lease, s.deadline_at)
  WHERE s.id = ANY (p_step_ids) AND s.state = 'running'
    AND v_positions ? (s.id::text || ':' || s.attempt::text)
    AND (s.deadline_at IS NULL OR s.deadline_at > v_now)
  RETURNING s.id;
END;
$$;

COMMENT ON FUNCTION tributary.heartbeat_steps(bigint[], integer[]) IS
  'Batch heartbeat: extends the leases still held (within their deadline) and returns those step ids; a missing id was lost.';

COMMIT;
