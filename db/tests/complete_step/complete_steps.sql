-- complete_steps completes a batch and reports one outcome per input step, in input order:
-- completed, stale, not_found, cancelled, already_completed. Never raises for a single step.
BEGIN;
SELECT plan(14);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00') AS t0 \gset

-- b and c (both parents of d) are running at attempt 1.
SELECT tributary_test.diamond('batch') AS wf \gset
SELECT tributary_test.run(:wf, 'a') AS ignored \gset
SELECT tributary_test.claim(:wf, 'b') AS ignored \gset
SELECT tributary_test.claim(:wf, 'c') AS ignored \gset
-- x completed at attempt 1; s running at attempt 1; k cancelled while running at attempt 1.
SELECT tributary.create_workflow('x', '[{"name": "x", "kind": "k", "queue": "bx"}]') AS wf_x \gset
SELECT tributary_test.run(:wf_x, 'x', '"original"') AS ignored \gset
SELECT tributary.create_workflow('s', '[{"name": "s", "kind": "k", "queue": "bs"}]') AS wf_s \gset
SELECT tributary_test.claim(:wf_s, 's') AS ignored \gset
SELECT tributary.create_workflow('k', '[{"name": "k", "kind": "k", "queue": "bk"}]') AS wf_k \gset
SELECT tributary_test.claim(:wf_k, 'k') AS ignored \gset
SELECT tributary.cancel_workflow(:wf_k) AS ignored \gset

SELECT tributary_test.step_id(:wf, 'b') AS b, tributary_test.step_id(:wf, 'c') AS c,
       tributary_test.step_id(:wf, 'd') AS d, tributary_test.step_id(:wf_x, 'x') AS x,
       tributary_test.step_id(:wf_s, 's') AS s, tributary_test.step_id(:wf_k, 'k') AS k \gset

SELECT tributary_test.advance('3 seconds') AS t1 \gset
SELECT results_eq(
  format($$SELECT step_id, outcome FROM tributary.complete_steps(
             ARRAY[%s, %s, -5, %s, %s, %s]::bigint[], ARRAY[1, 2, 1, 1, 1, 1],
             ARRAY['"c"', '"s"', 'null', '"k"', '"x2"', '"b"']::jsonb[])$$, :c, :s, :k, :x, :b),
  format($$VALUES (%s::bigint, 'completed'), (%s, 'stale'), (-5, 'not_found'), (%s, 'cancelled'),
                  (%s, 'already_completed'), (%s, 'completed')$$, :c, :s, :k, :x, :b),
  'each step gets its outcome, in input order');

SELECT results_eq(
  format('SELECT task_name, state, result, finalized_at, lease_expires_at FROM tributary.steps WHERE id IN (%s, %s) ORDER BY task_name', :b, :c),
  format($$VALUES ('b', 'completed', '"b"'::jsonb, timestamptz %L, NULL::timestamptz),
                  ('c', 'completed', '"c"'::jsonb, timestamptz %L, NULL::timestamptz)$$, :'t1', :'t1'),
  'the completed steps store their own result, finalized_at and no lease');
SELECT results_eq(
  format('SELECT state, remaining_deps FROM tributary.steps WHERE id = %s', :d),
  $$VALUES ('available', 0)$$,
  'completing both parents in one batch unlocks their common child once (remaining_deps 2 -> 0)');
SELECT results_eq(
  $$SELECT task_name, dependency_results FROM tributary.claim_step('batch', 'w')$$,
  $$VALUES ('d', '{"b": "b", "c": "c"}'::jsonb)$$,
  'the child sees both results');

SELECT results_eq(
  format('SELECT state, attempt, result FROM tributary.steps WHERE id = %s', :s),
  $$VALUES ('running', 1, NULL::jsonb)$$,
  'a stale entry leaves its step untouched');
SELECT is((SELECT result FROM tributary.steps WHERE id = :x), '"original"'::jsonb,
  'an already completed step keeps its first result');
SELECT results_eq(
  format('SELECT state, result FROM tributary.steps WHERE id = %s', :k),
  $$VALUES ('cancelled', NULL::jsonb)$$,
  'a cancelled step stays cancelled without result');

-- Without results, steps complete with a NULL result; the last step finalizes the workflow.
SELECT results_eq(
  format('SELECT outcome FROM tributary.complete_steps(ARRAY[%s]::bigint[], ARRAY[1])', :d),
  ARRAY['completed'],
  'p_results may be omitted');
SELECT results_eq(
  format('SELECT w.state, w.steps_unfinished, s.result FROM tributary.workflows AS w JOIN tributary.steps AS s ON s.workflow_id = w.id WHERE s.id = %s', :d),
  $$VALUES ('completed', 0, NULL::jsonb)$$,
  'the step has no result and a batch completing the last step finalizes the workflow');

SELECT throws_ok(
  format('SELECT * FROM tributary.complete_steps(ARRAY[%s, %s]::bigint[], ARRAY[1])', :s, :x),
  'TB012', 'step ids, attempts and results must have the same length',
  'ids and attempts of different lengths raise TB012');
SELECT throws_ok(
  format($$SELECT * FROM tributary.complete_steps(ARRAY[%s]::bigint[], ARRAY[1], ARRAY['1', '2']::jsonb[])$$, :s),
  'TB012', 'step ids, attempts and results must have the same length',
  'results of a different length raise TB012');
SELECT throws_ok(
  format($$SELECT * FROM tributary.complete_steps('[0:0]={%s}'::bigint[], '[0:0]={1}', '[0:0]={"\"x\""}'::jsonb[])$$, :s),
  'TB012', 'step ids, attempts and results must be one-dimensional arrays starting at 1',
  'arrays that do not start at 1 raise TB012 (a result would go to another step)');
SELECT throws_ok(
  format($$SELECT * FROM tributary.complete_steps(ARRAY[[%s]]::bigint[], ARRAY[[1]])$$, :s),
  'TB012', 'step ids, attempts and results must be one-dimensional arrays starting at 1',
  'two-dimensional arrays raise TB012');
SELECT is((SELECT state FROM tributary.steps WHERE id = :s), 'running', 'and complete nothing');

SELECT * FROM finish();
ROLLBACK;
