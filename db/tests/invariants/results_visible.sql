-- Invariant 3: a completed step's result is visible to every dependent in claim_step's output,
-- keyed by task name; a step sees the results of its direct dependencies only.
BEGIN;
SELECT plan(6);

SELECT tributary.create_workflow('results', $$[
  {"name": "a", "kind": "noop", "queue": "i3"},
  {"name": "b", "kind": "noop", "queue": "i3", "depends_on": ["a"]},
  {"name": "c", "kind": "noop", "queue": "i3", "depends_on": ["a"]},
  {"name": "d", "kind": "noop", "queue": "i3", "depends_on": ["a", "b", "c"]},
  {"name": "e", "kind": "noop", "queue": "i3", "depends_on": ["d"]},
  {"name": "n", "kind": "noop", "queue": "i3-null"},
  {"name": "m", "kind": "noop", "queue": "i3-null", "depends_on": ["n"]}
]$$) AS wf \gset

SELECT results_eq($$SELECT task_name, dependency_results FROM tributary.claim_step('i3', 'w')$$,
  $$VALUES ('a', '{}'::jsonb)$$, 'a root step gets an empty object');
SELECT tributary.complete_step(tributary_test.step_id(:wf, 'a'), 1, '{"v": 1, "list": [1, 2]}');
SELECT results_eq($$SELECT task_name, dependency_results FROM tributary.claim_step('i3', 'w', 2)$$,
  $$VALUES ('b', '{"a": {"v": 1, "list": [1, 2]}}'::jsonb), ('c', '{"a": {"v": 1, "list": [1, 2]}}'::jsonb)$$,
  'both dependents of a, claimed in one batch, see a''s result');
SELECT tributary.complete_step(tributary_test.step_id(:wf, 'b'), 1, '"b-text"');
SELECT tributary.complete_step(tributary_test.step_id(:wf, 'c'), 1, '[3]');
SELECT results_eq($$SELECT task_name, dependency_results FROM tributary.claim_step('i3', 'w')$$,
  $$VALUES ('d', '{"a": {"v": 1, "list": [1, 2]}, "b": "b-text", "c": [3]}'::jsonb)$$,
  'the fan-in step sees the results of all three of its dependencies, whatever their JSON type');
SELECT tributary.complete_step(tributary_test.step_id(:wf, 'd'), 1, '{"d": true}');
SELECT results_eq($$SELECT task_name, dependency_results FROM tributary.claim_step('i3', 'w')$$,
  $$VALUES ('e', '{"d": {"d": true}}'::jsonb)$$,
  'e sees only its direct dependency d, not a, b or c');

SELECT tributary.complete_step(tributary_test.step_id(:wf, 'n'), tributary_test.claim(:wf, 'n'), NULL);
SELECT results_eq($$SELECT task_name, dependency_results FROM tributary.claim_step('i3-null', 'w')$$,
  $$VALUES ('m', '{"n": null}'::jsonb)$$,
  'a dependency completed without a result appears with a null value');

SELECT is(
  (SELECT result FROM tributary.steps WHERE id = tributary_test.step_id(:wf, 'a')), '{"v": 1, "list": [1, 2]}'::jsonb,
  'the stored result is unchanged by being handed to dependents');

SELECT * FROM finish();
ROLLBACK;
