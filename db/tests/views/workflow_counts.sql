-- workflow_counts: how many workflows are in each state.
BEGIN;
SELECT plan(2);

SELECT tributary.create_workflow('one', '[{"name": "a", "kind": "k"}]') AS running \gset
SELECT tributary.create_workflow('two', '[{"name": "a", "kind": "k"}]') AS cancelled \gset
SELECT tributary.cancel_workflow(:cancelled);
SELECT results_eq(
  $$SELECT state, count FROM tributary.workflow_counts ORDER BY state$$,
  $$VALUES ('cancelled', 1::bigint), ('running', 1::bigint)$$,
  'one row per state that has workflows');
SELECT results_eq(
  $$SELECT count(*) FROM tributary.workflow_counts WHERE state = 'completed'$$, $$VALUES (0::bigint)$$,
  'a state without workflows has no row');

SELECT * FROM finish();
ROLLBACK;
