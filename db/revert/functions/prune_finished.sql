-- Deploy tributary:functions/prune_finished
-- requires: tables/step_dependencies
--
-- Deletes up to p_limit workflows finalized more than p_older_than ago, with their steps and
-- edges. Batched on purpose (call it until it returns 0) so vacuum keeps up; SKIP LOCKED, so
-- concurrent callers split the work. Uses the finalized_at index only. Returns how many
-- workflows it deleted.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.prune_finished(p_older_than interval, p_limit integer DEFAULT 1000)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET jit = off
AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_count integer;
BEGIN
  IF p_limit IS NULL OR p_limit < 1 THEN
    RAISE EXCEPTION 'limit must be at least 1, got %', p_limit USING ERRCODE = 'TB012';
  END IF;
  WITH doomed AS (
    SELECT w.id FROM tributary.workflows AS w
    WHERE w.finalized_at < v_now - p_older_than
    ORDER BY w.finalized_at
    LIMIT p_limit
    FOR NO KEY UPDATE SKIP LOCKED
  ), deleted AS (
    DELETE FROM tributary.workflows AS w USING doomed WHERE w.id = doomed.id RETURNING w.id
  )
  SELECT pg_catalog.count(*)::integer INTO v_count FROM deleted;
  RETURN v_count;
END;
$$;

COMMENT ON FUNCTION tributary.prune_finished(interval, integer) IS
  'Deletes up to p_limit workflows (with steps and edges) finalized more than p_older_than ago; call until it returns 0.';

COMMIT;
