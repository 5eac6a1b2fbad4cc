-- A branch not taken at the head of a chain of 3,000 steps skips the whole chain inside the
-- completing call (a loop over levels: no recursion that the stack depth could stop), and the
-- workflow completes.
BEGIN;
SELECT plan(3);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT tributary.create_workflow('deep', (
  SELECT jsonb_build_array(
           '{"name": "d", "kind": "k", "queue": "deep"}'::jsonb,
           '{"name": "x0", "kind": "k", "queue": "deep", "depends_on": ["d"], "run_if": {"d": {"go": true}}}'::jsonb)
         || jsonb_agg(jsonb_build_object('name', 'x' || i, 'kind', 'k', 'queue', 'deep', 'depends_on', jsonb_build_array('x' || (i - 1)))
                      ORDER BY i)
  FROM generate_series(1, 2999) AS i)) AS wf \gset

SELECT lives_ok(format($$SELECT tributary.complete_step(%s, %s, '{"go": false}')$$,
  tributary_test.step_id(:wf, 'd'), tributary_test.claim(:wf, 'd')),
  'completing the decision succeeds');
SELECT is((SELECT count(*)::int FROM tributary.steps WHERE workflow_id = :wf AND state = 'skipped'), 3000,
  'the 3,000 steps of the branch are skipped');
SELECT is(tributary_test.workflow_state(:wf), 'completed', 'the workflow completes');

SELECT * FROM finish();
ROLLBACK;
