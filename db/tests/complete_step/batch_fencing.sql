-- Fencing in the batch path: complete_steps changes only the steps whose attempt still holds
-- them. A wholly stale batch, a cancelled one and a mixed one each leave the newer attempt's
-- state, its lease and the workflow's counters as they were.
BEGIN;
SELECT plan(11);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00') AS t0 \gset
SELECT tributary.create_workflow('fence', '[{"name": "a", "kind": "k", "queue": "fa"},
                                          {"name": "b", "kind": "k", "queue": "fb"},
                                          {"name": "after_a", "kind": "k", "queue": "fz", "depends_on": ["a"]}]') AS wf \gset
SELECT tributary_test.step_id(:wf, 'a') AS a, tributary_test.step_id(:wf, 'b') AS b,
       tributary_test.step_id(:wf, 'after_a') AS after_a \gset
SELECT tributary_test.claim(:wf, 'a', 'old') AS ignored \gset
SELECT tributary_test.claim(:wf, 'b', 'old') AS ignored \gset

-- Both leases expire; both are rescued and claimed again by a new worker (attempt 2).
SELECT tributary_test.advance('2 minutes') AS ignored \gset
SELECT is(tributary.rescue_expired_steps(), 2, 'both attempts 1 are rescued');
SELECT tributary_test.advance('1 hour') AS t1 \gset
SELECT tributary_test.claim(:wf, 'a', 'new') AS ignored \gset
SELECT tributary_test.claim(:wf, 'b', 'new') AS ignored \gset
SELECT lease_expires_at AS a_lease FROM tributary.steps WHERE id = :a \gset

-- A wholly stale batch.
SELECT results_eq(
  format($$SELECT step_id, outcome FROM tributary.complete_steps(ARRAY[%s, %s]::bigint[], ARRAY[1, 1], ARRAY['"old a"', '"old b"']::jsonb[])$$, :a, :b),
  format($$VALUES (%s::bigint, 'stale'), (%s, 'stale')$$, :a, :b),
  'a batch of stale attempts: every step stale');
SELECT results_eq(
  format('SELECT state, attempt, worker_id, lease_expires_at, result FROM tributary.steps WHERE id IN (%s, %s) ORDER BY id', :a, :b),
  format($$VALUES ('running', 2, 'new', timestamptz %L, NULL::jsonb), ('running', 2, 'new', timestamptz %L, NULL)$$, :'a_lease', :'a_lease'),
  '... the newer attempts keep their steps, leases and no result');
SELECT results_eq(
  format('SELECT state, remaining_deps FROM tributary.steps WHERE id = %s', :after_a),
  $$VALUES ('pending', 1)$$, '... no dependent was unlocked');
SELECT is((SELECT steps_unfinished FROM tributary.workflows WHERE id = :wf), 3, '... and the workflow counted nothing');

-- A mixed batch: a's current attempt, b's stale one, a stale duplicate of a.
SELECT results_eq(
  format($$SELECT step_id, outcome FROM tributary.complete_steps(ARRAY[%s, %s, %s]::bigint[], ARRAY[2, 1, 1], ARRAY['"new a"', '"old b"', '"old a"']::jsonb[])$$, :a, :b, :a),
  format($$VALUES (%s::bigint, 'completed'), (%s, 'stale'), (%s, 'stale')$$, :a, :b, :a),
  'a mixed batch: the current attempt completes, the stale ones are stale');
SELECT results_eq(
  format('SELECT task_name, state, attempt, result FROM tributary.steps WHERE id IN (%s, %s, %s) ORDER BY id', :a, :b, :after_a),
  $$VALUES ('a', 'completed', 2, '"new a"'::jsonb), ('b', 'running', 2, NULL), ('after_a', 'available', 0, NULL)$$,
  '... a stores the current attempt''s result (not the stale duplicate''s) and unlocks its dependent; b is untouched');
SELECT is((SELECT steps_unfinished FROM tributary.workflows WHERE id = :wf), 2, '... the workflow counted one step');

-- A cancelled batch: the workflow is cancelled while b's attempt 2 runs.
SELECT tributary.cancel_workflow(:wf) AS ignored \gset
SELECT results_eq(
  format($$SELECT step_id, outcome FROM tributary.complete_steps(ARRAY[%s, %s, %s]::bigint[], ARRAY[2, 1, 2], ARRAY['"b"', '"b old"', '"a again"']::jsonb[])$$, :b, :b, :a),
  format($$VALUES (%s::bigint, 'cancelled'), (%s, 'stale'), (%s, 'already_completed')$$, :b, :b, :a),
  'a batch after cancellation: cancelled for the attempt that ran, stale for the older one, already_completed for a');
SELECT results_eq(
  format('SELECT task_name, state, result FROM tributary.steps WHERE id IN (%s, %s) ORDER BY id', :a, :b),
  $$VALUES ('a', 'completed', '"new a"'::jsonb), ('b', 'cancelled', NULL)$$,
  '... no result is stored for the cancelled step, a keeps its first result');
SELECT results_eq(
  format('SELECT state, steps_unfinished FROM tributary.workflows WHERE id = %s', :wf),
  $$VALUES ('cancelled', 0)$$,
  '... and the workflow, finalized once as cancelled, is not counted again');

SELECT * FROM finish();
ROLLBACK;
