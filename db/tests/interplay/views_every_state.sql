-- The read side with every step state at once (pending, available, running, waiting, completed,
-- discarded, cancelled, skipped): workflow_progress counts each, get_workflow shows each,
-- list_workflows finds the running workflow, queue_depths counts the queue's ready and running
-- steps and neither the waiting nor the finished ones.
BEGIN;
SELECT plan(6);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT tributary.create_workflow('every_state', $$[
  {"name": "a", "kind": "k", "queue": "ivs"},
  {"name": "b", "kind": "k", "queue": "ivs", "depends_on": ["a"], "run_if": {"a": "never"}},
  {"name": "w", "wait_for": {"event": "go"}, "queue": "ivs"},
  {"name": "r", "kind": "k", "queue": "ivs"},
  {"name": "av", "kind": "k", "queue": "ivs"},
  {"name": "p", "kind": "k", "queue": "ivs", "depends_on": ["w"]},
  {"name": "d", "kind": "k", "queue": "ivs", "max_attempts": 1},
  {"name": "dd", "kind": "k", "queue": "ivs", "depends_on": ["d"]}
]$$) AS wf \gset
SELECT tributary_test.run(:wf, 'a', '"yes"');
SELECT tributary.fail_step(tributary_test.step_id(:wf, 'd'), tributary_test.claim(:wf, 'd'), '{"message": "x"}', false);
SELECT tributary_test.claim(:wf, 'r');

SELECT results_eq(format('SELECT task_name, state FROM tributary.steps WHERE workflow_id = %s ORDER BY id', :wf),
  $$VALUES ('a', 'completed'), ('b', 'skipped'), ('w', 'waiting'), ('r', 'running'), ('av', 'available'),
           ('p', 'pending'), ('d', 'discarded'), ('dd', 'cancelled')$$, 'one step in each state');
SELECT results_eq(
  format('SELECT state, steps_total, pending, available, running, completed, discarded, cancelled, skipped, waiting
          FROM tributary.workflow_progress WHERE id = %s', :wf),
  $$VALUES ('running'::text, 8, 1::bigint, 1::bigint, 1::bigint, 1::bigint, 1::bigint, 1::bigint, 1::bigint, 1::bigint)$$,
  'workflow_progress counts one step in each state');
SELECT is(
  (SELECT jsonb_object_agg(key, value ->> 'state') FROM jsonb_each(tributary.get_workflow(:wf) -> 'steps')),
  '{"a": "completed", "b": "skipped", "w": "waiting", "r": "running", "av": "available", "p": "pending",
    "d": "discarded", "dd": "cancelled"}'::jsonb,
  'get_workflow shows each step''s state');
SELECT is((tributary.get_workflow(:wf) -> 'steps' -> 'w' -> 'wait' ->> 'event'), 'go', 'and the waiting step''s wait');
SELECT results_eq(format('SELECT id FROM tributary.list_workflows(p_state => ''running'', p_name => ''every_state'')'),
  format('VALUES (%s::bigint)', :wf), 'list_workflows finds it running');
SELECT results_eq($$SELECT ready, scheduled, running FROM tributary.queue_depths WHERE queue = 'ivs'$$,
  $$VALUES (1::bigint, 0::bigint, 1::bigint)$$, 'queue_depths: one ready, one running; waiting and finished steps are not queued work');

SELECT * FROM finish();
ROLLBACK;
