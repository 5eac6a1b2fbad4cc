-- Deploy tributary:functions/_notify_available
-- requires: functions/_notify_available@v0.1.0
--
-- Sends one notification per queue on channel tributary_step_available (payload: the queue
-- name). Identical notifications in one transaction coalesce, so a worker listening on the
-- channel wakes once per queue per transaction. Locks nothing.
-- While the transaction-local setting tributary.defer_available names the current transaction
-- (set by complete_steps_and_claim around its completion), the queues are collected in the
-- transaction-local setting tributary.deferred_available (a text[] literal) instead: the caller
-- claims on them in the same transaction and notifies only for what its claims left, so that no
-- other worker process is woken for a step the caller already took. The transaction id, not a
-- plain 'on': a value set by SET or ALTER ROLE never silences a later transaction. A session that
-- reads its own transaction id and sets the value to it does silence that transaction's
-- notifications (nothing else: its steps wait for the workers' poll); it is documented, not
-- prevented, since only a table the caller cannot write could tell the engine's value from it.
BEGIN;

CREATE OR REPLACE FUNCTION tributary._notify_available(p_queues text[])
RETURNS void
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
  v_setting text;
BEGIN
  IF pg_catalog.current_setting('tributary.defer_available', true) = pg_catalog.pg_current_xact_id_if_assigned()::text THEN
    -- An assignment, not PERFORM: evaluated without a statement of its own.
    v_setting := pg_catalog.set_config('tributary.deferred_available',
      (coalesce(NULLIF(pg_catalog.current_setting('tributary.deferred_available', true), '')::text[], '{}')
       || p_queues)::text,
      true);
    RETURN;
  END IF;
  PERFORM pg_catalog.pg_notify('tributary_step_available', q)
  FROM (SELECT DISTINCT u.q FROM pg_catalog.unnest(p_queues) AS u(q) WHERE u.q IS NOT NULL) AS queues;
END;
$$;

COMMENT ON FUNCTION tributary._notify_available(text[]) IS
  'Internal: NOTIFY tributary_step_available once per queue (payload: queue name); collected instead while tributary.defer_available names the current transaction (complete_steps_and_claim).';

COMMIT;
