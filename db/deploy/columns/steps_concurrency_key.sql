-- Deploy tributary:columns/steps_concurrency_key
-- requires: tables/steps
--
-- Global concurrency limits (see tables/flow_limits). A step may carry a concurrency key (a task
-- option such as "customer:42"): claim_step() then also obeys the key's limit in
-- tributary.flow_limits. flow_limited records that the running attempt was claimed under a
-- limit, so that its end (complete, fail, release, rescue, cancel, hand-back) wakes the queue's
-- workers (trigger _900_notify_slot_freed) and an unlimited step's end costs nothing more.
-- Two partial indexes over running steps let claim_step count the running steps of a queue or a
-- key by index, reading at most the limit's number of entries: no scan of a queue's steps and
-- nothing of the finished history. A plain claim pays one more index entry per claimed step
-- (steps_running_queue_idx); steps without a key are not in steps_running_key_idx.
BEGIN;

ALTER TABLE tributary.steps
  ADD COLUMN concurrency_key text,
  ADD COLUMN flow_limited boolean NOT NULL DEFAULT false,
  ADD CONSTRAINT steps_concurrency_key_bounded
    CHECK (concurrency_key <> '' AND pg_catalog.length(concurrency_key) <= 255);

-- The predicates name lease_expires_at, not the state (a lease is set exactly while a step runs:
-- steps_lease_set_iff_running), so a query that looks up running steps by id (heartbeat,
-- complete) can never pick these indexes over the primary key. The queue index's predicate is
-- one only claim_step states (a lease is always finite): rescue's "lease_expires_at < now"
-- implies "IS NOT NULL", and on a small table the planner would scan this index for it.
CREATE INDEX steps_running_queue_idx ON tributary.steps (queue) WHERE lease_expires_at > '-infinity';
CREATE INDEX steps_running_key_idx ON tributary.steps (concurrency_key)
  WHERE lease_expires_at IS NOT NULL AND concurrency_key IS NOT NULL;

COMMENT ON COLUMN tributary.steps.concurrency_key IS
  'Task option: the concurrency key whose limits (tributary.flow_limits, scope key) claim_step obeys for this step; NULL: none. 1 to 255 characters.';
COMMENT ON COLUMN tributary.steps.flow_limited IS
  'Engine: the current or last attempt was claimed under a concurrency or rate limit; its end wakes the queue''s workers.';
COMMENT ON INDEX tributary.steps_running_queue_idx IS
  'claim_step: counts the running steps of a queue that has a concurrency limit (at most the limit''s entries).';
COMMENT ON INDEX tributary.steps_running_key_idx IS
  'claim_step: counts the running steps of a concurrency key that has a limit (at most the limit''s entries).';

COMMIT;
