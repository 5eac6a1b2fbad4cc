-- Deploy tributary:functions/forget_worker_process
-- requires: tables/worker_processes
--
-- A worker process that stops gracefully removes its row. Returns whether there was one.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.forget_worker_process(p_worker_id text)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET jit = off
AS $$
BEGIN
  DELETE FROM tributary.worker_processes WHERE worker_id = p_worker_id;
  RETURN FOUND;
END;
$$;

COMMENT ON FUNCTION tributary.forget_worker_process(text) IS
  'A worker process that stops gracefully removes itself from worker_processes; true when it was there.';

COMMIT;
