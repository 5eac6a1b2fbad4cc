-- Invariant 2: a step becomes claimable only when every dependency completed and its
-- scheduled_at passed. Fan-in of three parents into a child scheduled an hour later; a parent
-- that fails and retries does not count as completed.
BEGIN;
SELECT plan(13);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT tributary.create_workflow('fan-in', $$[
  {"name": "p1", "kind": "noop", "queue": "i2p"},
  {"name": "p2", "kind": "noop", "queue": "i2p"},
  {"name": "p3", "kind": "noop", "queue": "i2p"},
  {"name": "child", "kind": "noop", "queue": "i2c", "depends_on": ["p1", "p2", "p3"],
   "scheduled_at": "2030-01-01 01:00:00+00"}
]$$) AS wf \gset
SELECT tributary_test.step_id(:wf, 'child') AS child \gset
SELECT tributary_test.step_id(:wf, 'p3') AS p3 \gset

SELECT results_eq(format('SELECT state, remaining_deps FROM tributary.steps WHERE id = %s', :child),
  $$VALUES ('pending', 3)$$, 'the child waits for three parents');
SELECT tributary_test.run(:wf, 'p1');
SELECT results_eq(format('SELECT state, remaining_deps FROM tributary.steps WHERE id = %s', :child),
  $$VALUES ('pending', 2)$$, 'one parent completed: two to go');
SELECT tributary_test.run(:wf, 'p2');
SELECT results_eq(format('SELECT state, remaining_deps FROM tributary.steps WHERE id = %s', :child),
  $$VALUES ('pending', 1)$$, 'two parents completed: one to go');

SELECT tributary_test.advance('2 hours');
SELECT is((SELECT count(*) FROM tributary.claim_step('i2c', 'w')), 0::bigint,
  'past its scheduled_at, the child is still not claimable with a parent unfinished');
SELECT tributary.fail_step(:p3, tributary_test.claim(:wf, 'p3'), '{"message": "transient"}');
SELECT results_eq(format('SELECT state, remaining_deps FROM tributary.steps WHERE id = %s', :child),
  $$VALUES ('pending', 1)$$, 'a failed attempt of the last parent does not count as completed');
SELECT is((SELECT count(*) FROM tributary.claim_step('i2c', 'w')), 0::bigint,
  'the child is not claimable while the last parent retries');
SELECT tributary_test.advance('1 minute');
SELECT tributary_test.run(:wf, 'p3');
SELECT results_eq(format('SELECT state, remaining_deps FROM tributary.steps WHERE id = %s', :child),
  $$VALUES ('available', 0)$$, 'all three parents completed: the child is available');
SELECT is((SELECT count(*) FROM tributary.claim_step('i2c', 'w')), 1::bigint,
  'and claimable, its scheduled_at having passed');

-- Completed dependencies but a scheduled_at in the future.
SELECT tributary_test.set_now('2030-01-02 00:00:00+00');
SELECT tributary.create_workflow('scheduled', $$[
  {"name": "p", "kind": "noop", "queue": "i2p"},
  {"name": "late", "kind": "noop", "queue": "i2l", "depends_on": ["p"], "scheduled_at": "2030-01-02 01:00:00+00"}
]$$) AS wf2 \gset
SELECT tributary_test.run(:wf2, 'p');
SELECT is(tributary_test.step_state(:wf2, 'late'), 'available', 'the step whose parent completed is available');
SELECT is((SELECT count(*) FROM tributary.claim_step('i2l', 'w')), 0::bigint,
  'but not claimable before its scheduled_at');
SELECT tributary_test.set_now('2030-01-02 01:00:00+00');
SELECT is((SELECT count(*) FROM tributary.claim_step('i2l', 'w')), 1::bigint,
  'claimable once its scheduled_at is reached');

-- Two parents completed in one batch, and a dependency named twice.
SELECT tributary.create_workflow('batch', $$[
  {"name": "q1", "kind": "noop", "queue": "i2b"},
  {"name": "q2", "kind": "noop", "queue": "i2b"},
  {"name": "k", "kind": "noop", "queue": "i2k", "depends_on": ["q1", "q2", "q1"]}
]$$) AS wf3 \gset
SELECT tributary.complete_steps(array_agg(c.step_id), array_agg(c.attempt))
FROM tributary.claim_step('i2b', 'w', 2) AS c;
SELECT results_eq(format('SELECT state, remaining_deps FROM tributary.steps WHERE id = %s', tributary_test.step_id(:wf3, 'k')),
  $$VALUES ('available', 0)$$,
  'both parents completed in one batch (one named twice): the child is available');
SELECT is((SELECT count(*) FROM tributary.claim_step('i2k', 'w')), 1::bigint, 'and claimable');

SELECT * FROM finish();
ROLLBACK;
