-- Cycle detection on 2,000-step chains. Listed backwards, every edge points to a newer step id,
-- so _check_acyclic cannot use its fast path (ids in topological order) and runs Kahn's
-- algorithm; a back edge t1 -> t2000 closes the chain into one 2,000-step cycle.
BEGIN;
SELECT plan(8);

SELECT tributary.create_workflow('reverse-chain', jsonb_agg(
         jsonb_build_object('name', 't' || i, 'kind', 'noop',
                            'depends_on', CASE WHEN i = 1 THEN '[]'::jsonb ELSE jsonb_build_array('t' || (i - 1)) END)
         ORDER BY i DESC))
FROM generate_series(1, 2000) AS i \gset rev_

SELECT results_eq(
  format('SELECT steps_total, steps_unfinished FROM tributary.workflows WHERE id = %s', :rev_create_workflow),
  $$VALUES (2000, 2000)$$,
  'a 2,000-step chain listed backwards is accepted');
SELECT is(
  (SELECT count(*) FROM tributary.step_dependencies AS e JOIN tributary.steps AS s ON s.id = e.step_id
   WHERE s.workflow_id = :rev_create_workflow AND e.depends_on_step_id > e.step_id),
  1999::bigint,
  'all 1,999 edges point to a newer step id (the fast path cannot apply)');
SELECT results_eq(
  format($$SELECT state, remaining_deps, count(*) FROM tributary.steps WHERE workflow_id = %s
           GROUP BY state, remaining_deps ORDER BY state$$, :rev_create_workflow),
  $$VALUES ('available', 0, 1::bigint), ('pending', 1, 1999::bigint)$$,
  'only the first task of the chain is available; every other waits on one dependency');
SELECT is(tributary_test.step_state(:rev_create_workflow, 't1'), 'available', 'the available one is t1');

-- The same chain, in order, closed by a back edge t1 -> t2000.
SELECT tributary_test.error_of(format(
  'SELECT tributary.create_workflow(%L, %L)', 'cycle-2000',
  (SELECT jsonb_agg(jsonb_build_object('name', 't' || i, 'kind', 'noop',
                                       'depends_on', jsonb_build_array('t' || CASE WHEN i = 1 THEN 2000 ELSE i - 1 END))
                    ORDER BY i)
   FROM generate_series(1, 2000) AS i))) AS err \gset
SELECT is(:'err'::jsonb->>'sqlstate', 'TB001', 'a 2,000-step chain with a back edge is refused with TB001');
SELECT is(:'err'::jsonb->>'message', 'dependency cycle at task "t1"', 'the message names a task of the cycle');
SELECT is(
  array_length(string_to_array(substring(:'err'::jsonb->>'detail' FROM '^cycle: (.*) \(each task'), ' -> '), 1),
  2001,
  'the DETAIL lists the whole 2,000-step cycle (first task repeated at the end)');
SELECT is(
  (SELECT count(*) FROM tributary.workflows WHERE name = 'cycle-2000'),
  0::bigint,
  'the refused chain leaves no workflow behind');

SELECT * FROM finish();
ROLLBACK;
