-- Deploy tributary_test:functions/expire_lease
-- requires: functions/_running_step
-- requires: functions/set_now
--
-- Lets the lease of the running attempt of task p_task_name run out, as when its worker dies:
-- moves the engine clock just past lease_expires_at (never backwards), so the next
-- tributary.rescue_expired_steps() takes the step back and the attempt can no longer report.
-- Other leases that end by then expire too: time passes for every step. TB011 when the step is
-- not running, TB009/TB006 for an unknown workflow or task. Returns the new time. Locks nothing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary_test.expire_lease(p_workflow_id bigint, p_task_name text)
RETURNS timestamptz
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_step tributary.steps := tributary_test._running_step(p_workflow_id, p_task_name, 'expire the lease of');
BEGIN
  RETURN tributary_test.set_now(GREATEST(tributary.now(), v_step.lease_expires_at + interval '1 microsecond'));
END;
$$;

COMMENT ON FUNCTION tributary_test.expire_lease(bigint, text) IS
  'Testing kit, fake worker: moves the engine clock just past the lease of a task''s running attempt (rescue_expired_steps then takes it back); returns the new time. TB011 when not running.';

COMMIT;
