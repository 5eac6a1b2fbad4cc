-- claim_step claims in priority DESC, scheduled_at, id order, at most p_max_steps per call,
-- and refuses p_max_steps < 1 with TB012.
BEGIN;
SELECT plan(9);

SELECT tributary_test.set_now('2030-01-01 01:00:00+00') AS ignored \gset

-- Workflow scheduled at 00:00, now is 01:00. Array order sets the ids: "low" < "later_at" <
-- "early_at" < "tie_b" < "tie_a" < "future".
SELECT tributary.create_workflow('order', '[
  {"name": "low",      "kind": "k", "queue": "ord", "priority": -1},
  {"name": "later_at", "kind": "k", "queue": "ord", "priority": 5, "scheduled_at": "2030-01-01 00:50:00+00"},
  {"name": "early_at", "kind": "k", "queue": "ord", "priority": 5, "scheduled_at": "2030-01-01 00:10:00+00"},
  {"name": "tie_b",    "kind": "k", "queue": "ord", "scheduled_at": "2030-01-01 00:30:00+00"},
  {"name": "tie_a",    "kind": "k", "queue": "ord", "scheduled_at": "2030-01-01 00:30:00+00"},
  {"name": "future",   "kind": "k", "queue": "ord", "priority": 10, "scheduled_at": "2030-01-01 01:10:00+00"}
]', '2030-01-01 00:00:00+00') AS wf \gset
-- A later workflow (higher ids, scheduled now) with a higher priority goes first all the same.
SELECT tributary.create_workflow('urgent', '[{"name": "urgent", "kind": "k", "queue": "ord", "priority": 7}]') AS wf_urgent \gset

SELECT results_eq(
  $$SELECT task_name FROM tributary.claim_step('ord', 'w', 2)$$,
  ARRAY['urgent', 'early_at'],
  'p_max_steps = 2 claims two steps: highest priority first, then the oldest scheduled_at');

SELECT results_eq(
  $$SELECT task_name FROM tributary.claim_step('ord', 'w')$$,
  ARRAY['later_at'],
  'p_max_steps defaults to 1; same priority goes by scheduled_at');

SELECT results_eq(
  $$SELECT task_name FROM tributary.claim_step('ord', 'w', 10)$$,
  ARRAY['tie_b', 'tie_a', 'low'],
  'equal priority and scheduled_at go by id; a batch larger than the queue returns what is claimable, in claim order');

SELECT is(
  (SELECT count(*)::integer FROM tributary.steps WHERE workflow_id IN (:wf, :wf_urgent) AND state = 'running'),
  6,
  'six steps were claimed in all');

SELECT is(tributary_test.step_state(:wf, 'future'), 'available',
  'the future step (highest priority) was never claimed');

SELECT throws_ok(
  $$SELECT * FROM tributary.claim_step('ord', 'w', 0)$$,
  'TB012', 'max_steps must be at least 1, got 0',
  'max_steps 0 is refused with TB012');

SELECT throws_ok(
  $$SELECT * FROM tributary.claim_step('ord', 'w', -3)$$,
  'TB012', 'max_steps must be at least 1, got -3',
  'a negative max_steps is refused with TB012');

SELECT throws_ok(
  $$SELECT * FROM tributary.claim_step('ord', 'w', NULL)$$,
  'TB012', 'max_steps must be at least 1, got <NULL>',
  'a NULL max_steps is refused with TB012');

SELECT tributary_test.set_now('2030-01-01 01:10:00+00') AS ignored \gset
SELECT results_eq(
  $$SELECT task_name FROM tributary.claim_step('ord', 'w', 5)$$,
  ARRAY['future'],
  'the future step becomes claimable at its scheduled_at');

SELECT * FROM finish();
ROLLBACK;
