-- Global concurrency limits in claim_step: per queue and per concurrency key, across claims;
-- a freed slot is taken by the next claim; a lowered limit stops new claims until the running
-- count falls below it; steps of a full key wait in their place while others are claimed; the
-- concurrency_key option from create_workflow and direct INSERTs; flow_limit_status.
BEGIN;
SELECT plan(23);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');

-- Per queue ----------------------------------------------------------------------------------------
SELECT lives_ok($$SELECT tributary.set_concurrency_limit('queue', 'fc-q', 2)$$, 'set_concurrency_limit on a queue');
SELECT tributary.create_workflow('queue-limited', $$[
  {"name": "a", "kind": "noop", "queue": "fc-q"}, {"name": "b", "kind": "noop", "queue": "fc-q"},
  {"name": "c", "kind": "noop", "queue": "fc-q"}, {"name": "d", "kind": "noop", "queue": "fc-q"}
]$$) AS wq \gset
SELECT results_eq($$SELECT task_name FROM tributary.claim_step('fc-q', 'w1', 10)$$,
  $$VALUES ('a'), ('b')$$, 'a claim of 10 takes only 2 steps of a queue limited to 2');
SELECT is_empty($$SELECT * FROM tributary.claim_step('fc-q', 'w2', 10)$$, 'another worker gets nothing while 2 run');
SELECT is((SELECT flow_limited FROM tributary.steps WHERE id = tributary_test.step_id(:wq, 'a')), true,
  'a step claimed under a limit is marked flow_limited');
SELECT lives_ok(format('SELECT tributary.complete_step(%s, 1)', tributary_test.step_id(:wq, 'a')), 'a completes');
SELECT results_eq($$SELECT task_name FROM tributary.claim_step('fc-q', 'w2', 10)$$,
  $$VALUES ('c')$$, 'the freed slot is taken by the next claim, one step only');
SELECT results_eq($$SELECT max_running, running FROM tributary.flow_limit_status WHERE scope = 'queue' AND name = 'fc-q'$$,
  $$VALUES (2, 2::bigint)$$, 'flow_limit_status: limit 2, 2 running');

-- Lowering below the running count: nothing new starts until fewer than the new limit run.
SELECT tributary.set_concurrency_limit('queue', 'fc-q', 1);
SELECT lives_ok(format('SELECT tributary.complete_step(%s, 1)', tributary_test.step_id(:wq, 'b')), 'b completes (1 still runs)');
SELECT is_empty($$SELECT * FROM tributary.claim_step('fc-q', 'w1', 10)$$,
  'limit lowered to 1 with 1 running: nothing is claimed');
SELECT lives_ok(format('SELECT tributary.fail_step(%s, 1, %L, false)', tributary_test.step_id(:wq, 'c'), '{"message": "x"}'),
  'c fails (discarded): its slot frees too');
SELECT results_eq($$SELECT task_name FROM tributary.claim_step('fc-q', 'w1', 10)$$,
  $$VALUES ('d')$$, 'then one step is claimed');
SELECT is(tributary.remove_concurrency_limit('queue', 'fc-q'), true, 'remove_concurrency_limit returns true');
SELECT is(tributary.remove_concurrency_limit('queue', 'fc-q'), false, 'and false when there was none');
SELECT is_empty($$SELECT * FROM tributary.flow_limits WHERE scope = 'queue' AND name = 'fc-q'$$,
  'a row with no limit left is deleted');

-- Per key --------------------------------------------------------------------------------------------
SELECT tributary.set_concurrency_limit('key', 'customer:42', 1);
SELECT tributary.create_workflow('key-limited', $$[
  {"name": "k1", "kind": "noop", "queue": "fc-k", "concurrency_key": "customer:42", "priority": 9},
  {"name": "k2", "kind": "noop", "queue": "fc-k", "concurrency_key": "customer:42", "priority": 8},
  {"name": "other", "kind": "noop", "queue": "fc-k", "concurrency_key": "customer:7"},
  {"name": "plain", "kind": "noop", "queue": "fc-k"}
]$$) AS wk \gset
SELECT is((SELECT concurrency_key FROM tributary.steps WHERE id = tributary_test.step_id(:wk, 'k1')), 'customer:42',
  'create_workflow stores the concurrency_key task option');
SELECT results_eq($$SELECT task_name FROM tributary.claim_step('fc-k', 'w1', 10) ORDER BY task_name$$,
  $$VALUES ('k1'), ('other'), ('plain')$$,
  'one step of customer:42 (limit 1); a key without a limit and a step without a key are not limited');
SELECT results_eq($$SELECT task_name, flow_limited FROM tributary.steps WHERE workflow_id = $$ || :wk || $$ AND state = 'running' ORDER BY task_name$$,
  $$VALUES ('k1', true), ('other', false), ('plain', false)$$, 'only the step claimed under a limit is flow_limited');
SELECT is(tributary_test.step_state(:wk, 'k2'), 'available', 'the second step of the full key waits, available');

-- A key limit spans queues.
SELECT tributary.create_workflow('key-other-queue', $$[{"name": "k3", "kind": "noop", "queue": "fc-k2", "concurrency_key": "customer:42"}]$$) AS wk2 \gset
SELECT is_empty($$SELECT * FROM tributary.claim_step('fc-k2', 'w1')$$, 'the key''s limit holds in another queue too');
SELECT lives_ok(format('SELECT tributary.release_steps(ARRAY[%s]::bigint[], ARRAY[1])', tributary_test.step_id(:wk, 'k1')),
  'k1 is released (back to available, its attempt not counted)');
SELECT results_eq($$SELECT task_name FROM tributary.claim_step('fc-k', 'w1', 10)$$,
  $$VALUES ('k1')$$, 'the freed slot goes to the first step of the key in claim order');

-- Direct INSERT ----------------------------------------------------------------------------------------
INSERT INTO tributary.workflows (name) VALUES ('direct') RETURNING id AS wd \gset
INSERT INTO tributary.steps (workflow_id, task_name, kind, queue, concurrency_key)
VALUES (:wd, 'x', 'noop', 'fc-d', 'customer:42');
SELECT is((SELECT concurrency_key FROM tributary.steps WHERE workflow_id = :wd), 'customer:42',
  'a direct INSERT sets concurrency_key');
SELECT throws_ok(
  format($$INSERT INTO tributary.steps (workflow_id, task_name, kind, concurrency_key) VALUES (%s, 'y', 'noop', '')$$, :wd),
  '23514', NULL, 'a direct INSERT of an empty concurrency_key breaks steps_concurrency_key_bounded');

SELECT * FROM finish();
ROLLBACK;
