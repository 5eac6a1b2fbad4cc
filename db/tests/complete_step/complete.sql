-- complete_step stores the result, finalizes the step, unlocks dependents whose dependencies
-- all completed, and finalizes the workflow with its last step.
BEGIN;
SELECT plan(12);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00') AS t0 \gset
SELECT tributary_test.diamond('cs') AS wf \gset
SELECT tributary_test.step_id(:wf, 'a') AS a \gset
SELECT tributary_test.claim(:wf, 'a') AS ignored \gset
SELECT tributary_test.advance('5 seconds') AS t1 \gset

SELECT lives_ok(format($$SELECT tributary.complete_step(%s, 1, '{"n": 1}')$$, :a),
  'the attempt holding the step completes it');

SELECT results_eq(
  format('SELECT state, result, finalized_at, lease_expires_at, deadline_at FROM tributary.steps WHERE id = %s', :a),
  format($$VALUES ('completed', '{"n": 1}'::jsonb, timestamptz %L, NULL::timestamptz, NULL::timestamptz)$$, :'t1'),
  'the step is completed with its result and finalized_at, its lease cleared');

SELECT results_eq(
  format('SELECT task_name, state, remaining_deps FROM tributary.steps WHERE workflow_id = %s ORDER BY task_name', :wf),
  $$VALUES ('a', 'completed', 0), ('b', 'available', 0), ('c', 'available', 0), ('d', 'pending', 2)$$,
  'a''s dependents b and c are available; d still waits for both');

SELECT results_eq(
  format('SELECT state, steps_total, steps_unfinished, finalized_at FROM tributary.workflows WHERE id = %s', :wf),
  $$VALUES ('running', 4, 3, NULL::timestamptz)$$,
  'the workflow runs on with 3 unfinished steps');

SELECT tributary_test.run(:wf, 'b') AS ignored \gset
SELECT results_eq(
  format($$SELECT state, remaining_deps FROM tributary.steps WHERE workflow_id = %s AND task_name = 'd'$$, :wf),
  $$VALUES ('pending', 1)$$,
  'completing b alone leaves d pending with remaining_deps 1');
SELECT results_eq(
  $$SELECT task_name FROM tributary.claim_step('cs', 'w', 10)$$,
  ARRAY['c'],
  'd is not claimable while c has not completed');

SELECT tributary.complete_step(tributary_test.step_id(:wf, 'c'), 1, '"c"') AS ignored \gset
SELECT results_eq(
  format($$SELECT state, remaining_deps FROM tributary.steps WHERE workflow_id = %s AND task_name = 'd'$$, :wf),
  $$VALUES ('available', 0)$$,
  'completing c, the last dependency, makes d available');

SELECT tributary_test.advance('1 minute') AS t2 \gset
SELECT tributary_test.run(:wf, 'd') AS ignored \gset
SELECT results_eq(
  format('SELECT state, steps_total, steps_unfinished, finalized_at FROM tributary.workflows WHERE id = %s', :wf),
  format($$VALUES ('completed', 4, 0, timestamptz %L)$$, :'t2'),
  'completing the last step finalizes the workflow as completed');
SELECT is(
  (SELECT count(*)::integer FROM tributary.steps WHERE workflow_id = :wf AND state = 'completed' AND finalized_at IS NOT NULL),
  4, 'every step of the finished workflow is completed and finalized');

-- A dependent scheduled in the future becomes available but stays unclaimable until then.
SELECT tributary.create_workflow('sched', '[
  {"name": "p", "kind": "k", "queue": "cs_sched"},
  {"name": "q", "kind": "k", "queue": "cs_sched", "depends_on": ["p"], "scheduled_at": "2030-01-01 02:00:00+00"}
]') AS wf2 \gset
SELECT tributary_test.run(:wf2, 'p') AS ignored \gset
SELECT is(tributary_test.step_state(:wf2, 'q'), 'available', 'the dependent is unlocked');
SELECT is_empty($$SELECT * FROM tributary.claim_step('cs_sched', 'w', 10)$$,
  'an unlocked dependent with a future scheduled_at is not claimable yet');
SELECT tributary_test.set_now('2030-01-01 02:00:00+00') AS ignored \gset
SELECT results_eq($$SELECT task_name FROM tributary.claim_step('cs_sched', 'w', 10)$$,
  ARRAY['q'], 'it is claimable from its scheduled_at on');

SELECT * FROM finish();
ROLLBACK;
