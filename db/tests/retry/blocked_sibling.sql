-- retry_step() does not reopen a downstream step that still depends on another discarded step:
-- a -> b, a -> e, (b, e) -> x; b and e are both discarded (x cancelled). retry_step(b) reopens b
-- only; x stays cancelled and the workflow can still finalize (failed, since e stays discarded).
-- A later retry_step(e) then reopens e and x.
BEGIN;
SELECT plan(14);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT tributary.create_workflow('sibling', $$[
  {"name": "a", "kind": "noop", "queue": "rb", "max_attempts": 1},
  {"name": "b", "kind": "noop", "queue": "rb", "max_attempts": 1, "depends_on": ["a"]},
  {"name": "e", "kind": "noop", "queue": "rb", "max_attempts": 1, "depends_on": ["a"]},
  {"name": "x", "kind": "noop", "queue": "rb", "max_attempts": 1, "depends_on": ["b", "e"]}
]$$) AS wf \gset
SELECT tributary_test.step_id(:wf, 'b') AS b \gset
SELECT tributary_test.step_id(:wf, 'e') AS e \gset
SELECT tributary_test.step_id(:wf, 'x') AS x \gset

SELECT tributary_test.run(:wf, 'a', '{"a": 1}');
SELECT tributary.fail_step(:b, tributary_test.claim(:wf, 'b'), '{"message": "b failed"}');
SELECT tributary.fail_step(:e, tributary_test.claim(:wf, 'e'), '{"message": "e failed"}');
SELECT results_eq(
  format('SELECT task_name, state FROM tributary.steps WHERE workflow_id = %s ORDER BY task_name', :wf),
  $$VALUES ('a', 'completed'), ('b', 'discarded'), ('e', 'discarded'), ('x', 'cancelled')$$,
  'b and e discarded, x cancelled');
SELECT is(tributary_test.workflow_state(:wf), 'failed', 'the workflow failed');

SELECT throws_ok(format('SELECT tributary.retry_step(%s)', :x), 'TB011',
  format('step %s (task "x") cannot run: it depends on task "b", which is not completed', :x),
  'retry_step of x names its first unfinished dependency');

SELECT is(tributary.retry_step(:b), 1, 'retry_step(b) reopens b alone');
SELECT results_eq(
  format('SELECT task_name, state FROM tributary.steps WHERE workflow_id = %s ORDER BY task_name', :wf),
  $$VALUES ('a', 'completed'), ('b', 'available'), ('e', 'discarded'), ('x', 'cancelled')$$,
  'x stays cancelled because e is still discarded');
SELECT results_eq(
  format('SELECT state, finalized_at, steps_unfinished FROM tributary.workflows WHERE id = %s', :wf),
  $$VALUES ('running', NULL::timestamptz, 1)$$,
  'the workflow runs again with one unfinished step');

SELECT tributary_test.advance('1 minute');
SELECT is(tributary_test.drain('rb'), 1, 'only b runs');
SELECT is(tributary_test.step_state(:wf, 'x'), 'cancelled', 'b''s completion does not wake the cancelled x');
SELECT results_eq(
  format('SELECT state, finalized_at, steps_unfinished FROM tributary.workflows WHERE id = %s', :wf),
  $$VALUES ('failed', '2030-01-01 00:01:00+00'::timestamptz, 0)$$,
  'the workflow finalizes again: failed, since e is still discarded');

-- Retrying e now reopens e and x (b is completed).
SELECT is(tributary.retry_step(:e), 2, 'retry_step(e) reopens e and x');
SELECT results_eq(
  format('SELECT task_name, state, remaining_deps FROM tributary.steps WHERE id IN (%s, %s) ORDER BY task_name', :e, :x),
  $$VALUES ('e', 'available', 0), ('x', 'pending', 1)$$,
  'e is available, x pending on e alone');
SELECT is(tributary_test.drain('rb'), 2, 'e and x run');
SELECT is(
  (SELECT result FROM tributary.steps WHERE id = :b), '{"task": "b"}'::jsonb,
  'b keeps the result of its retried attempt');
SELECT results_eq(
  format('SELECT state, steps_unfinished FROM tributary.workflows WHERE id = %s', :wf),
  $$VALUES ('completed', 0)$$,
  'the workflow completes');

SELECT * FROM finish();
ROLLBACK;
