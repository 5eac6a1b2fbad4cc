-- Deploy tributary:functions/claim_retry_in
-- requires: functions/now
--
-- After claim_step(p_queue, ...) in this session returned fewer steps than asked because a rate
-- limit (or a concurrency key's row held by a concurrent claimer) held a step back: how long
-- until claiming again can take it (zero when at once). NULL when the last claim of the queue in
-- this session that ran under a limit held nothing back, or none did (a claim under no limit
-- leaves the setting alone). A worker waits that long, not its whole poll interval. Reads the session setting
-- tributary.claim_retry_at that claim_step leaves ('<queue> <timestamptz>'); reads no table.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.claim_retry_in(p_queue text)
RETURNS interval
LANGUAGE plpgsql
STABLE
SET search_path = ''
SET jit = off
AS $$
DECLARE
  v_setting text := pg_catalog.current_setting('tributary.claim_retry_at', true);
BEGIN
  IF v_setting IS NULL OR p_queue IS NULL OR pg_catalog.left(v_setting, pg_catalog.length(p_queue) + 1) <> p_queue || ' ' THEN
    RETURN NULL;
  END IF;
  RETURN GREATEST(interval '0',
    pg_catalog.substr(v_setting, pg_catalog.length(p_queue) + 2)::timestamptz - tributary.now());
END;
$$;

COMMENT ON FUNCTION tributary.claim_retry_in(text) IS
  'After a claim_step of the queue in this session held a step back for a rate limit: how long until a claim can take it (0: now); NULL otherwise.';

COMMIT;
