-- Deploy tributary:tables/steps_state_waiting
-- requires: tables/steps
--
-- A new non-final step state, waiting: the step waits for an event, a timer or a child workflow
-- without holding a worker, a lease or a connection. Its dependencies are all completed; it
-- leaves waiting for completed (event, timer, child's result), discarded (a timeout declared to
-- fail), available (a child failed and the spawning step has attempts left) or cancelled.
BEGIN;

ALTER TABLE tributary.steps
  DROP CONSTRAINT steps_state_valid,
  ADD CONSTRAINT steps_state_valid
    CHECK (state IN ('pending', 'available', 'running', 'waiting', 'completed', 'discarded', 'cancelled'));

COMMENT ON COLUMN tributary.steps.state IS
  'pending: waiting on dependencies; available: claimable from scheduled_at on; running: claimed, under a lease; waiting: waits for an event, a timer or a child workflow, holding no worker; completed: result stored; discarded: attempts exhausted, non-retryable error or a wait timed out; cancelled: can never run (see cancel_reason).';

COMMIT;
