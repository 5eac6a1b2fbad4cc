-- Deploy tributary:functions/prune_worker_processes
-- requires: tables/worker_processes functions/_settings
--
-- Deletes the rows of worker processes not seen for p_older_than (default: ten leases), such
-- as processes killed without a graceful stop. Called by every runtime's rescue loop; safe to
-- call from many at once. Returns how many rows it deleted.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.prune_worker_processes(p_older_than interval DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET jit = off
AS $$
DECLARE
  v_older_than interval := coalesce(p_older_than, 10 * (tributary._settings()).lease_duration);
  v_count integer;
BEGIN
  IF v_older_than < interval '0' THEN
    RAISE EXCEPTION 'prune_worker_processes: older_than must not be negative, got %', v_older_than
      USING ERRCODE = 'TB012';
  END IF;
  -- An age beyond the timestamp range (now() minus it would overflow, 22008): nothing is that old.
  IF v_older_than > interval '5000 years' THEN
    RETURN 0;
  END IF;
  DELETE FROM tributary.worker_processes WHERE last_seen_at < tributary.now() - v_older_than;
  GET DIAGNOSTICS v_count = ROW_COUNT;
  RETURN v_count;
END;
$$;

COMMENT ON FUNCTION tributary.prune_worker_processes(interval) IS
  'Deletes worker_processes rows not seen for p_older_than (default ten lease durations); returns how many.';

COMMIT;
