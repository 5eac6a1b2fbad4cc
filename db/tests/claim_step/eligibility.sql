-- claim_step returns only available steps of the asked queue whose scheduled_at has passed;
-- pending, future, running, completed and cancelled steps are never returned, and a claimed
-- step cannot be claimed again.
BEGIN;
SELECT plan(11);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00') AS t0 \gset

SELECT is_empty(
  $$SELECT * FROM tributary.claim_step('nothing_here', 'w1', 10)$$,
  'an empty queue returns no row');

-- One step of queue "elig" in each state that must never be claimed. The completed and the
-- running one get a high priority so that, if they were eligible, they would come first.
SELECT tributary.create_workflow('done', '[{"name": "done", "kind": "k", "queue": "elig", "priority": 90}]') AS wf_done \gset
SELECT tributary_test.run(:wf_done, 'done') AS ignored \gset
SELECT tributary.create_workflow('run', '[{"name": "run", "kind": "k", "queue": "elig", "priority": 90}]') AS wf_run \gset
SELECT tributary_test.claim(:wf_run, 'run', 'w0') AS ignored \gset
SELECT tributary.create_workflow('gone', '[{"name": "gone", "kind": "k", "queue": "elig", "priority": 90}]') AS wf_gone \gset
SELECT tributary.cancel_workflow(:wf_gone) AS ignored \gset
SELECT tributary.create_workflow('main', '[
  {"name": "ready", "kind": "k", "queue": "elig"},
  {"name": "future", "kind": "k", "queue": "elig", "priority": 90, "scheduled_at": "2030-01-01 01:00:00+00"},
  {"name": "blocked", "kind": "k", "queue": "elig", "priority": 90, "depends_on": ["ready"]}
]') AS wf_main \gset
SELECT tributary.create_workflow('other', '[{"name": "elsewhere", "kind": "k", "queue": "elig_other", "priority": 99}]') AS wf_other \gset

SELECT results_eq(
  $$SELECT task_name FROM tributary.claim_step('elig', 'w1', 10)$$,
  ARRAY['ready'],
  'only the available step whose scheduled_at passed is claimed (not pending, future, running, completed, cancelled, nor another queue)');

SELECT results_eq(
  format($$SELECT task_name, state, attempt, worker_id FROM tributary.steps
           WHERE workflow_id IN (%s, %s, %s, %s, %s) ORDER BY task_name$$, :wf_done, :wf_run, :wf_gone, :wf_main, :wf_other),
  $$VALUES ('blocked', 'pending', 0, NULL::text), ('done', 'completed', 1, 'test-worker'),
           ('elsewhere', 'available', 0, NULL), ('future', 'available', 0, NULL),
           ('gone', 'cancelled', 0, NULL), ('ready', 'running', 1, 'w1'), ('run', 'running', 1, 'w0')$$,
  'the claim changed only the claimed step');

SELECT is_empty(
  $$SELECT * FROM tributary.claim_step('elig', 'w2', 10)$$,
  'a claimed step cannot be claimed again (and nothing else became claimable)');

SELECT results_eq(
  format('SELECT attempt, worker_id FROM tributary.steps WHERE id = %s', tributary_test.step_id(:wf_main, 'ready')),
  $$VALUES (1, 'w1')$$,
  'the second claimer did not take over the claimed step');

SELECT tributary_test.set_now('2030-01-01 00:59:59.999+00') AS ignored \gset
SELECT is_empty(
  $$SELECT * FROM tributary.claim_step('elig', 'w2', 10)$$,
  'a step scheduled in the future is not claimable a millisecond before its scheduled_at');

SELECT tributary_test.set_now('2030-01-01 01:00:00+00') AS ignored \gset
SELECT results_eq(
  $$SELECT task_name FROM tributary.claim_step('elig', 'w2', 10)$$,
  ARRAY['future'],
  'the future step is claimable once its scheduled_at is reached');

SELECT is_empty(
  $$SELECT * FROM tributary.claim_step('elig', 'w3', 10)$$,
  'a pending step is never claimable, even when its scheduled_at has passed');

SELECT is(tributary_test.step_state(:wf_other, 'elsewhere'), 'available',
  'claims on another queue left this queue''s step alone');

SELECT results_eq(
  $$SELECT task_name, queue FROM tributary.claim_step('elig_other', 'w4', 10)$$,
  $$VALUES ('elsewhere', 'elig_other')$$,
  'a queue returns only its own steps');

SELECT tributary.create_workflow('late', '[{"name": "late", "kind": "k", "queue": "elig"}]') AS wf_late \gset
SELECT is_empty(
  $$SELECT * FROM tributary.claim_step('ELIG', 'w5', 10)$$,
  'queue names are matched exactly (a differently cased name is another queue)');

SELECT * FROM finish();
ROLLBACK;
