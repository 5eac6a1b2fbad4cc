-- Deploy tributary:functions/_lock_event
-- requires: schema
--
-- Serializes, per event name and address (a workflow id, or a correlation key), the two sides
-- that meet on an event: send_event and a wait that begins (trigger _900_take_sent_event). Each
-- takes this transaction-level advisory lock before it looks for the other side, so whichever
-- comes second sees the first one committed: an event is never stored while a wait for it
-- commits unseen, nor the reverse. The addresses share 64 locks (a hash of address and event
-- name picks one, in a key space of their own): a transaction that begins many waits at once (a
-- batch of 40,000 keyed waits) holds at most 64 advisory locks, never exhausting the lock
-- table; unrelated events that share a lock only wait for each other's short critical section.
BEGIN;

CREATE OR REPLACE FUNCTION tributary._lock_event(p_workflow_id bigint, p_key text, p_event text)
RETURNS void
LANGUAGE sql
VOLATILE
SET search_path = ''
SET jit = off
AS $$
  SELECT pg_catalog.pg_advisory_xact_lock(
    pg_catalog.hashtext('tributary.events'),
    (pg_catalog.hashtextextended(
       CASE WHEN p_key IS NULL THEN 'workflow ' || p_workflow_id::text ELSE 'key ' || p_key END || ' ' || p_event,
       0) & 63)::integer);
$$;

COMMENT ON FUNCTION tributary._lock_event(bigint, text, text) IS
  'Internal: transaction advisory lock of one event address (workflow id or key, and event name; 64 locks shared by hash), taken by send_event and by a wait that begins.';

COMMIT;
