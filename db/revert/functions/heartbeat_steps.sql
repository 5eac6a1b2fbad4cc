-- Revert tributary:functions/heartbeat_steps to its @v0.1.0 form
-- requires: tables/steps
-- requires: functions/_settings
--
-- Batch heartbeat for a worker holding several steps: extends the lease of every (step,
-- attempt) that still holds its step within its deadline, and returns the ids it extended; a
-- step missing from the answer was lost (cancelled, rescued, finished, timed out). Locks the
-- rows in id order.
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
BEGIN
  IF pg_catalog.cardinality(p_step_ids) IS DISTINCT FROM pg_catalog.cardinality(p_attempts) THEN
    RAISE EXCEPTION 'step ids and attempts must have the same length' USING ERRCODE = 'TB012';
  END IF;
  PERFORM 1 FROM tributary.steps AS s WHERE s.id = ANY (p_step_ids) ORDER BY s.id FOR NO KEY UPDATE;
  RETURN QUERY
  UPDATE tributary.steps AS s
  SET lease_expires_at = LEAST(v_now + v_lease, s.deadline_at)
  FROM unnest(p_step_ids, p_attempts) AS i(id, attempt)
  WHERE s.id = i.id AND s.attempt = i.attempt AND s.state = 'running'
    AND s.id = ANY (p_step_ids)  -- redundant: makes every join order an index lookup
    AND (s.deadline_at IS NULL OR s.deadline_at > v_now)
  RETURNING s.id;
END;
$$;

COMMENT ON FUNCTION tributary.heartbeat_steps(bigint[], integer[]) IS
  'Batch heartbeat: extends the leases still held (within their deadline) and returns those step ids; a missing id was lost.';

COMMIT;
