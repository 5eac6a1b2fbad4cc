-- Deploy tributary:columns/steps_wait
-- requires: tables/steps_state_waiting
--
-- steps.wait: what a wait or sleep task waits for, normalized at creation from its task options
-- (NULL for every other step): {"event", "key", "timeout", "on_timeout"} for wait_for,
-- {"sleep"} or {"sleep_until"} for a sleep. Such a step is never claimed by a worker: when it
-- becomes ready it enters waiting instead of available (trigger _020_begin_wait).
-- steps.wake_at: while waiting, when a timer ends the wait (a sleep's end, a wait's timeout);
-- NULL for a wait without timeout and for a step waiting on a child workflow.
-- Two partial indexes: wake_due_steps reads due timers from steps_wake_idx, send_event finds
-- the oldest step waiting for an event from steps_waiting_event_idx. Neither holds a row that
-- is not waiting.
BEGIN;

ALTER TABLE tributary.steps
  ADD COLUMN wait jsonb,
  ADD COLUMN wake_at timestamptz,
  ADD CONSTRAINT steps_wait_is_object CHECK (jsonb_typeof(wait) = 'object'),
  ADD CONSTRAINT steps_wake_at_only_when_waiting CHECK (wake_at IS NULL OR state = 'waiting'),
  ADD CONSTRAINT steps_wait_never_claimed CHECK (wait IS NULL OR state NOT IN ('available', 'running'));

CREATE INDEX steps_wake_idx ON tributary.steps (wake_at) WHERE wake_at IS NOT NULL;
CREATE INDEX steps_waiting_event_idx ON tributary.steps ((wait ->> 'event'), (wait ->> 'key'), workflow_id, id)
  WHERE state = 'waiting' AND wait IS NOT NULL;

COMMENT ON COLUMN tributary.steps.wait IS
  'What a wait or sleep task waits for (NULL for other steps): {"event", "key", "timeout", "on_timeout"} or {"sleep"} or {"sleep_until"}.';
COMMENT ON COLUMN tributary.steps.wake_at IS
  'While waiting: when a timer ends the wait (sleep end, wait timeout); NULL otherwise.';

COMMIT;
