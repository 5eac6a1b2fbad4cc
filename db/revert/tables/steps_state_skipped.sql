-- Revert tributary:tables/steps_state_skipped
-- Skipped steps become cancelled ones (reason 'skipped'), the only final state without a result
-- that the older constraints allow.
BEGIN;

UPDATE tributary.steps SET state = 'cancelled', cancel_reason = 'skipped' WHERE state = 'skipped';

ALTER TABLE tributary.steps
  DROP CONSTRAINT steps_state_valid,
  ADD CONSTRAINT steps_state_valid
    CHECK (state IN ('pending', 'available', 'running', 'waiting', 'completed', 'discarded', 'cancelled')),
  DROP CONSTRAINT steps_finalized_at_set_iff_final,
  ADD CONSTRAINT steps_finalized_at_set_iff_final
    CHECK ((state IN ('completed', 'discarded', 'cancelled')) = (finalized_at IS NOT NULL));

COMMENT ON TABLE tributary.steps IS
  'Steps of workflows. state: pending -> available -> running -> completed | available (retry) | discarded | cancelled.';
COMMENT ON COLUMN tributary.steps.state IS
  'pending: waiting on dependencies; available: claimable from scheduled_at on; running: claimed, under a lease; waiting: waits for an event, a timer or a child workflow, holding no worker; completed: result stored; discarded: attempts exhausted, non-retryable error or a wait timed out; cancelled: can never run (see cancel_reason).';

COMMIT;
