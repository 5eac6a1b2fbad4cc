-- Structure of waits: the events table, the new columns, indexes and constraints, the entry points
-- (their return types, volatility, SECURITY DEFINER) and the triggers that begin waits, take kept
-- events and resume parent steps.
BEGIN;
SELECT plan(20);

SELECT has_table('tributary', 'events', 'table tributary.events exists');
SELECT columns_are('tributary', 'events', ARRAY['id', 'workflow_id', 'key', 'event', 'payload', 'sent_at', 'expires_at']);
SELECT indexes_are('tributary', 'events', ARRAY['events_pkey', 'events_workflow_idx', 'events_key_idx', 'events_expiry_idx']);
SELECT col_type_is('tributary', 'steps', 'wait', 'jsonb', 'steps.wait is jsonb');
SELECT col_type_is('tributary', 'steps', 'wake_at', 'timestamp with time zone', 'steps.wake_at is timestamptz');
SELECT col_type_is('tributary', 'workflows', 'parent_step_id', 'bigint', 'workflows.parent_step_id is bigint');
SELECT is(pg_get_indexdef('tributary.steps_wake_idx'::regclass),
  'CREATE INDEX steps_wake_idx ON tributary.steps USING btree (wake_at) WHERE (wake_at IS NOT NULL)',
  'steps_wake_idx holds only steps with a timer');
SELECT ok((SELECT tributary._step_rules(r.attempt, r.cancel_reason, r.concurrency_key, r.depends_on, r.errors, r.finalized_at, r.kind,
    r.lease_expires_at, r.map_index, r.map_over, r.map_path, r.map_size, r.map_step_id, r.max_attempts, r.queue,
    r.remaining_deps, r.result, r.retry_backoff, r.run_if, r.run_when, r.scheduled_at, r.state, r.task_name,
    r.timeout, r.wait, r.wake_at, r.worker_id)
            FROM jsonb_populate_record(NULL::tributary.steps,
  '{"workflow_id": 1, "task_name": "t", "kind": "k", "queue": "q", "priority": 0, "max_attempts": 1, "timeout": "1 hour",
    "retry_backoff": "0", "state": "waiting", "attempt": 0, "errors": [], "scheduled_at": "2026-01-01T00:00:00Z",
    "run_when": "all_completed", "wait": {"event": "e"}}') AS r),
  'steps_state_valid admits waiting');
SELECT function_returns('tributary', 'send_event', ARRAY['text', 'jsonb', 'bigint', 'text', 'interval'], 'bigint',
  'send_event returns the completed step id (bigint)');
SELECT function_returns('tributary', 'wake_due_steps', ARRAY['integer'], 'integer', 'wake_due_steps returns how many');
SELECT function_returns('tributary', 'spawn_child_workflow', ARRAY['bigint', 'integer', 'text', 'jsonb', 'jsonb'], 'bigint',
  'spawn_child_workflow returns the child id');
SELECT is_definer('tributary', 'send_event', ARRAY['text', 'jsonb', 'bigint', 'text', 'interval'], 'send_event runs as its owner');
SELECT is_definer('tributary', 'wake_due_steps', ARRAY['integer'], 'wake_due_steps runs as its owner');
SELECT is_definer('tributary', 'spawn_child_workflow', ARRAY['bigint', 'integer', 'text', 'jsonb', 'jsonb'], 'spawn_child_workflow runs as its owner');
SELECT is_definer('tributary', 'cancel_workflow', ARRAY['bigint', 'text'], 'the reworked cancel_workflow still runs as its owner');
SELECT has_trigger('tributary', 'steps', '_020_begin_wait', 'steps has _020_begin_wait');
SELECT has_trigger('tributary', 'steps', '_900_take_sent_event', 'steps has _900_take_sent_event');
SELECT ok((SELECT tgdeferrable AND tginitdeferred FROM pg_trigger WHERE tgname = '_900_take_sent_event'),
  '_900_take_sent_event fires at COMMIT');
SELECT has_trigger('tributary', 'workflows', '_900_resume_parent', 'workflows has _900_resume_parent');
SELECT throws_ok(
  $$INSERT INTO tributary.events (workflow_id, key, event, sent_at) VALUES (NULL, NULL, 'e', now())$$,
  '23514', NULL, 'an event has exactly one address (events_addressed_once)');

SELECT * FROM finish();
ROLLBACK;
