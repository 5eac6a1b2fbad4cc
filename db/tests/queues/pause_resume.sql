-- pause_queue and resume_queue: claim_step claims nothing from a paused queue and its steps keep
-- their state, order and attempts; queue_depths shows the pause; running steps report as usual;
-- the return values; TB012 for a NULL or empty name.
BEGIN;
SELECT plan(22);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT tributary.create_workflow('paused', $$[
  {"name": "first", "kind": "noop", "queue": "qp"},
  {"name": "second", "kind": "noop", "queue": "qp"},
  {"name": "urgent", "kind": "noop", "queue": "qp", "priority": 5},
  {"name": "elsewhere", "kind": "noop", "queue": "qp-other"}
]$$) AS wf \gset
SELECT tributary_test.advance('1 second');

-- urgent runs when the pause begins; the others wait.
SELECT is((SELECT task_name FROM tributary.claim_step('qp', 'w1')), 'urgent', 'before the pause, claim_step claims from qp');

SELECT is(tributary.pause_queue('qp'), true, 'pause_queue returns true when it paused');
SELECT is(tributary.pause_queue('qp'), false, 'and false when the queue was already paused');
SELECT is((SELECT paused_at FROM tributary.paused_queues WHERE queue = 'qp'), '2030-01-01 00:00:01+00'::timestamptz,
  'paused_queues records when (the engine clock)');

SELECT is_empty($$SELECT * FROM tributary.claim_step('qp', 'w1', 10)$$, 'claim_step claims nothing from a paused queue');
SELECT results_eq(
  $$SELECT task_name, state, attempt FROM tributary.steps WHERE workflow_id = $$ || :wf || $$ AND queue = 'qp' ORDER BY task_name$$,
  $$VALUES ('first', 'available', 0), ('second', 'available', 0), ('urgent', 'running', 1)$$,
  'its available steps stay available with their attempts; the running one runs on');
SELECT is((SELECT task_name FROM tributary.claim_step('qp-other', 'w1')), 'elsewhere', 'other queues are claimed as usual');
SELECT lives_ok(
  format('SELECT tributary.complete_step(%s, 1, %L)', tributary_test.step_id(:wf, 'urgent'), '{"ok": true}'),
  'a step running when the queue was paused completes as usual');
SELECT is(tributary_test.step_state(:wf, 'urgent'), 'completed', 'and is completed');

SELECT results_eq(
  $$SELECT queue, ready, scheduled, running, paused FROM tributary.queue_depths WHERE queue IN ('qp', 'qp-other') ORDER BY queue$$,
  $$VALUES ('qp', 2::bigint, 0::bigint, 0::bigint, true), ('qp-other', 0::bigint, 0::bigint, 1::bigint, false)$$,
  'queue_depths: qp paused with its 2 ready steps; qp-other not paused');

SELECT is(tributary.pause_queue('qp-empty'), true, 'a queue with no steps can be paused');
SELECT results_eq(
  $$SELECT ready, scheduled, running, oldest_ready_age, paused FROM tributary.queue_depths WHERE queue = 'qp-empty'$$,
  $$VALUES (0::bigint, 0::bigint, 0::bigint, NULL::interval, true)$$,
  'a paused queue without steps still has a row in queue_depths');

SELECT tributary_test.advance('1 hour');
SELECT is(tributary.resume_queue('qp'), true, 'resume_queue returns true when it resumed');
SELECT is(tributary.resume_queue('qp'), false, 'and false when the queue was not paused');
SELECT is((SELECT paused FROM tributary.queue_depths WHERE queue = 'qp'), false, 'queue_depths: qp no longer paused');
SELECT results_eq(
  $$SELECT task_name, attempt FROM tributary.claim_step('qp', 'w2', 10)$$,
  $$VALUES ('first', 1), ('second', 1)$$,
  'after resume the steps are claimed in their order, each at its first attempt');
SELECT is(tributary.resume_queue('qp-empty'), true, 'resuming a queue without steps');
SELECT is_empty($$SELECT * FROM tributary.queue_depths WHERE queue = 'qp-empty'$$,
  'a resumed queue without steps has no row in queue_depths again');

SELECT throws_ok($$SELECT tributary.pause_queue(NULL)$$, 'TB012', 'queue name must not be NULL or empty, got NULL', 'pause: NULL name');
SELECT throws_ok($$SELECT tributary.pause_queue('')$$, 'TB012', 'queue name must not be NULL or empty, got ''''', 'pause: empty name');
SELECT throws_ok($$SELECT tributary.resume_queue(NULL)$$, 'TB012', 'queue name must not be NULL or empty, got NULL', 'resume: NULL name');
SELECT throws_ok($$SELECT tributary.resume_queue('')$$, 'TB012', 'queue name must not be NULL or empty, got ''''', 'resume: empty name');

SELECT * FROM finish();
ROLLBACK;
