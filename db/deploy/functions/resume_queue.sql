-- Deploy tributary:functions/resume_queue
-- requires: tables/paused_queues functions/_notify_available
--
-- Resumes a paused queue: claim_step() claims from it again, and workers listening on
-- tributary_step_available are woken for it at COMMIT (they need not wait for a poll). Returns
-- false, changing nothing, when the queue was not paused. TB012 for a NULL or blank queue name.
-- Deletes one row by primary key.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.resume_queue(p_queue text)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET jit = off
AS $$
BEGIN
  IF p_queue IS NULL OR p_queue = '' THEN
    RAISE EXCEPTION 'queue name must not be NULL or empty, got %', pg_catalog.quote_nullable(p_queue)
      USING ERRCODE = 'TB012';
  END IF;
  DELETE FROM tributary.paused_queues AS p WHERE p.queue = p_queue;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  PERFORM tributary._notify_available(ARRAY[p_queue]);
  RETURN true;
END;
$$;

COMMENT ON FUNCTION tributary.resume_queue(text) IS
  'Resumes a paused queue: claimable again, workers woken (NOTIFY tributary_step_available). False if it was not paused. TB012 NULL or empty name.';

COMMIT;
