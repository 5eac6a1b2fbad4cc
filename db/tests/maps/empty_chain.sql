-- A chain of 1,000 maps, each over the one before, over an empty array: each completes at once
-- with [] inside the one completing call (a loop, no recursion per map), and the step after the
-- last map becomes available with [].
BEGIN;
SELECT plan(3);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT tributary.create_workflow('empty_chain', (
  SELECT jsonb_build_array(
           '{"name": "s", "kind": "k", "queue": "ec"}'::jsonb,
           '{"name": "m0", "kind": "k", "queue": "ec", "depends_on": ["s"], "map": {"over": "s"}}'::jsonb)
         || jsonb_agg(jsonb_build_object('name', 'm' || i, 'kind', 'k', 'queue', 'ec',
                                         'depends_on', jsonb_build_array('m' || (i - 1)), 'map', jsonb_build_object('over', 'm' || (i - 1)))
                      ORDER BY i)
         || '[{"name": "end", "kind": "k", "queue": "ec", "depends_on": ["m999"]}]'::jsonb
  FROM generate_series(1, 999) AS i)) AS wf \gset

SELECT lives_ok(format($$SELECT tributary.complete_step(%s, %s, '[]')$$,
  tributary_test.step_id(:wf, 's'), tributary_test.claim(:wf, 's')), 'completing the source succeeds');
SELECT is((SELECT count(*)::int FROM tributary.steps WHERE workflow_id = :wf AND state = 'completed' AND result = '[]'), 1001,
  'the source and the 1,000 maps completed with []');
SELECT is(tributary_test.step_state(:wf, 'end'), 'available', 'the step after the last map is available');

SELECT * FROM finish();
ROLLBACK;
