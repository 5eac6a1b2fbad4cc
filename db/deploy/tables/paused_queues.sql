-- Deploy tributary:tables/paused_queues
-- requires: functions/now
--
-- The queues an operator paused: claim_step() claims nothing from a queue with a row here (one
-- primary-key lookup per claim). Pausing changes no step: a paused queue's steps keep their
-- state, order and attempts, and steps already running finish and report as usual. Written only
-- by pause_queue() and resume_queue().
BEGIN;

CREATE TABLE tributary.paused_queues (
  queue text PRIMARY KEY,
  paused_at timestamptz NOT NULL DEFAULT tributary.now(),
  CONSTRAINT paused_queues_queue_not_blank CHECK (queue <> '')
);

COMMENT ON TABLE tributary.paused_queues IS
  'Queues paused by pause_queue: claim_step claims nothing from them until resume_queue. Their steps keep their state, order and attempts.';
COMMENT ON COLUMN tributary.paused_queues.queue IS 'The paused queue''s name.';
COMMENT ON COLUMN tributary.paused_queues.paused_at IS 'When pause_queue paused it (tributary.now()).';

COMMIT;
