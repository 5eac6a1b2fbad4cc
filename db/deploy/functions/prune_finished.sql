-- Deploy tributary:functions/prune_finished
-- requires: tables/step_dependencies
--
-- Deletes up to p_limit workflows finalized more than p_older_than ago, with their steps and
-- edges. Batched on purpose (call it until it returns 0) so vacuum keeps up; SKIP LOCKED, so
-- concurrent callers split the work. Uses the finalized_at index only. Returns how many
-- workflows it deleted. A negative or NULL p_older_than is refused (TB012): it would have
-- deleted workflows finalized a moment ago. Reads by key only (sequential and bitmap scans disabled): the ids are
-- collected once from the finalized_at index, then deleted by primary key, never joined with
-- the table (a hash join over a sequential scan of every workflow was the plan without
-- statistics); the delete triggers of tables/steps_references delete their steps and edges by key.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.prune_finished(p_older_than interval, p_limit integer DEFAULT 1000)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET enable_seqscan = off
SET enable_bitmapscan = off
SET jit = off
AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_count integer;
BEGIN
  IF p_older_than IS NULL OR p_older_than < interval '0' OR NOT pg_catalog.isfinite(p_older_than) THEN
    RAISE EXCEPTION 'older_than must be a finite interval of at least 0, got %', coalesce(p_older_than::text, 'NULL')
      USING ERRCODE = 'TB012',
            HINT = 'A negative interval would delete workflows finalized a moment ago (or in the future of a skewed clock).';
  END IF;
  IF p_limit IS NULL OR p_limit < 1 THEN
    RAISE EXCEPTION 'limit must be at least 1, got %', p_limit USING ERRCODE = 'TB012';
  END IF;
  -- An age beyond the timestamp range (now() minus it would overflow, 22008): nothing is that old.
  IF p_older_than > interval '5000 years' THEN
    RETURN 0;
  END IF;
  WITH deleted AS (
    DELETE FROM tributary.workflows AS w
    WHERE w.id = ANY (ARRAY(
      SELECT d.id FROM tributary.workflows AS d
      WHERE d.finalized_at < v_now - p_older_than
      ORDER BY d.finalized_at
      LIMIT p_limit
      FOR NO KEY UPDATE SKIP LOCKED))
    RETURNING w.id
  )
  SELECT pg_catalog.count(*)::integer INTO v_count FROM deleted;
  RETURN v_count;
END;
$$;

COMMENT ON FUNCTION tributary.prune_finished(interval, integer) IS
  'Deletes up to p_limit workflows (with steps and edges) finalized more than p_older_than (>= 0) ago; call until it returns 0. TB012 for a negative interval or a limit below 1.';

COMMIT;
