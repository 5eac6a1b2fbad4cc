-- Deploy tributary:tables/events
-- requires: tables/workflows
--
-- Events sent (send_event) while no step was waiting for them. Each event completes exactly one
-- wait; one that found no waiting step is kept here for the first wait that begins for it:
-- - sent to a workflow (workflow_id): kept until a step of that workflow begins waiting for it;
--   it goes with its workflow (prune_finished); send_event refuses events for a finished
--   workflow, and a kept one is taken only if a retry reopens the workflow and a wait begins;
-- - sent with a correlation key (key): kept until a wait with that key begins for it, or until
--   expires_at (wake_due_steps deletes expired events).
-- Written and read only by the engine's functions.
BEGIN;

CREATE TABLE tributary.events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workflow_id bigint REFERENCES tributary.workflows (id) ON DELETE CASCADE,
  key text,
  event text NOT NULL,
  payload jsonb,
  sent_at timestamptz NOT NULL,
  expires_at timestamptz,
  CONSTRAINT events_addressed_once CHECK ((workflow_id IS NULL) <> (key IS NULL)),
  CONSTRAINT events_keyed_expire CHECK ((key IS NULL) = (expires_at IS NULL)),
  CONSTRAINT events_event_length CHECK (length(event) BETWEEN 1 AND 255),
  CONSTRAINT events_key_length CHECK (length(key) BETWEEN 1 AND 255)
);

CREATE INDEX events_workflow_idx ON tributary.events (workflow_id, event, id) WHERE workflow_id IS NOT NULL;
CREATE INDEX events_key_idx ON tributary.events (key, event, id) WHERE key IS NOT NULL;
CREATE INDEX events_expiry_idx ON tributary.events (expires_at) WHERE expires_at IS NOT NULL;

COMMENT ON TABLE tributary.events IS
  'Events sent before a step waited for them, kept for the first wait that begins: to a workflow until it finishes, by key until expires_at.';
COMMENT ON COLUMN tributary.events.workflow_id IS 'The workflow the event was sent to (NULL for a keyed event).';
COMMENT ON COLUMN tributary.events.key IS 'The correlation key the event was sent with (NULL for an event sent to a workflow).';
COMMENT ON COLUMN tributary.events.event IS 'The event name a wait_for task names.';
COMMENT ON COLUMN tributary.events.payload IS 'Becomes the result of the step whose wait it ends.';
COMMENT ON COLUMN tributary.events.sent_at IS 'When send_event stored it.';
COMMENT ON COLUMN tributary.events.expires_at IS 'Keyed events only: deleted by wake_due_steps from then on, never delivered after it.';

COMMIT;
