-- Deploy tributary_test:functions/_explain_step
-- requires: schema
--
-- Where a step stands, in words, for error messages and failure diagnostics: what it waits on,
-- when it is due against the engine clock, which attempt holds it, why it failed or was
-- cancelled. Locks nothing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary_test._explain_step(p_step tributary.steps)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_last_error text := p_step.errors -> -1 ->> 'message';
BEGIN
  RETURN CASE p_step.state
    WHEN 'pending' THEN
      coalesce('pending: waiting on ' || (
        SELECT pg_catalog.string_agg(pg_catalog.format('"%s" (%s)', d.task_name, d.state), ', ' ORDER BY d.task_name)
        FROM tributary.steps AS d
        WHERE d.workflow_id = p_step.workflow_id AND d.task_name = ANY (p_step.depends_on) AND d.state <> 'completed'),
        'pending: its workflow is not resolved yet')
    WHEN 'available' THEN
      'available'
      || CASE WHEN p_step.scheduled_at > v_now
              THEN pg_catalog.format(' from %s (the engine clock says %s)', p_step.scheduled_at, v_now) ELSE '' END
      || CASE WHEN p_step.attempt > 0
              THEN pg_catalog.format(' for attempt %s of %s; last error: %s', p_step.attempt + 1, p_step.max_attempts,
                                     coalesce(v_last_error, 'none')) ELSE '' END
    WHEN 'running' THEN
      pg_catalog.format('running attempt %s of %s (worker %s, lease until %s)',
                        p_step.attempt, p_step.max_attempts, p_step.worker_id, p_step.lease_expires_at)
    WHEN 'completed' THEN
      pg_catalog.format('completed by attempt %s of %s', p_step.attempt, p_step.max_attempts)
    WHEN 'discarded' THEN
      pg_catalog.format('discarded after attempt %s of %s: %s', p_step.attempt, p_step.max_attempts,
                        coalesce(v_last_error, 'no error recorded'))
    WHEN 'cancelled' THEN
      pg_catalog.format('cancelled: %s', coalesce(p_step.cancel_reason, 'no reason recorded'))
    ELSE p_step.state
  END;
END;
$$;

COMMENT ON FUNCTION tributary_test._explain_step(tributary.steps) IS
  'Testing kit, internal: where a step stands, in words (what it waits on, when it is due, which attempt holds it, why it failed).';

COMMIT;
