-- Revert tributary:tables/steps_state_waiting
-- Fails (check_violation) while a step is waiting: cancel or finish those workflows first.
BEGIN;

ALTER TABLE tributary.steps
  DROP CONSTRAINT steps_state_valid,
  ADD CONSTRAINT steps_state_valid
    CHECK (state IN ('pending', 'available', 'running', 'completed', 'discarded', 'cancelled'));

COMMENT ON COLUMN tributary.steps.state IS
  'pending: waiting on dependencies; available: claimable from scheduled_at on; running: claimed, under a lease; completed: result stored; discarded: attempts exhausted or non-retryable error; cancelled: can never run (see cancel_reason).';

COMMIT;
