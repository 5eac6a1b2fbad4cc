-- Deploy tributary:tables/steps_state_skipped
-- requires: tables/steps
-- requires: tables/steps_state_waiting
--
-- A new final state of steps, skipped: a branch not taken. A step is skipped when a dependency's
-- result does not contain what its run_if requires, when a dependency it needs (run_when
-- all_completed) was skipped, or when none of the dependencies of an any_completed join
-- completed. A skipped step has no result and is final (finalized_at set); a workflow whose
-- steps all ended completed or skipped is completed.
BEGIN;

ALTER TABLE tributary.steps
  DROP CONSTRAINT steps_state_valid,
  ADD CONSTRAINT steps_state_valid
    CHECK (state IN ('pending', 'available', 'running', 'waiting', 'completed', 'discarded', 'cancelled', 'skipped')),
  DROP CONSTRAINT steps_finalized_at_set_iff_final,
  ADD CONSTRAINT steps_finalized_at_set_iff_final
    CHECK ((state IN ('completed', 'discarded', 'cancelled', 'skipped')) = (finalized_at IS NOT NULL));

COMMENT ON TABLE tributary.steps IS
  'Steps of workflows. state: pending -> available -> running -> completed | available (retry) | discarded | cancelled; pending -> waiting -> completed (waits, sleeps); running -> waiting (a child workflow); pending -> skipped (a branch not taken).';
COMMENT ON COLUMN tributary.steps.state IS
  'pending: waiting on dependencies (a map step: on its elements); available: claimable from scheduled_at on; running: claimed, under a lease; waiting: waits for an event, a timer or a child workflow, holding no worker; completed: result stored; discarded: attempts exhausted, non-retryable error, a wait timed out, or a map that cannot expand; cancelled: can never run (see cancel_reason); skipped: a branch not taken (see run_if, run_when).';

COMMIT;
