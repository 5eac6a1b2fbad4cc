-- Deploy tributary:functions/_lock_event
-- requires: schema
--
-- Serializes, per event name and address (a workflow id, or a correlation key), the two sides
-- that meet on an event: send_event and a wait that begins (trigger _900_take_sent_event). Each
-- takes this transaction-level advisory lock before it looks for the other side, so whichever
-- comes second sees the first one committed: an event is never stored while a wait for it
-- commits unseen, nor the reverse. A hash collision only makes two addresses share a lock.
BEGIN;

CREATE OR REPLACE FUNCTION tributary._lock_event(p_workflow_id bigint, p_key text, p_event text)
RETURNS void
LANGUAGE sql
VOLATILE
SET search_path = ''
SET jit = off
AS $$
  SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(
    CASE WHEN p_key IS NULL THEN 'tributary.event workflow ' || p_workflow_id::text
         ELSE 'tributary.event key ' || p_key END || ' ' || p_event, 0));
$$;

COMMENT ON FUNCTION tributary._lock_event(bigint, text, text) IS
  'Internal: transaction advisory lock of one event address (workflow id or key, and event name), taken by send_event and by a wait that begins.';

COMMIT;
