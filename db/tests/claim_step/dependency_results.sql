-- claim_step returns the results of the step's direct dependencies as one jsonb object keyed by
-- task name: '{}' for a root, {"b": ..., "c": ...} for d in the diamond, JSON nulls included.
BEGIN;
SELECT plan(7);

SELECT tributary_test.diamond('dep') AS wf \gset

SELECT results_eq(
  $$SELECT task_name, dependency_results FROM tributary.claim_step('dep', 'w')$$,
  $$VALUES ('a', '{}'::jsonb)$$,
  'a root step gets an empty object');
SELECT lives_ok(
  format($$SELECT tributary.complete_step(%s, 1, '{"from": "a"}')$$, tributary_test.step_id(:wf, 'a')),
  'a completes');

SELECT results_eq(
  $$SELECT task_name, dependency_results FROM tributary.claim_step('dep', 'w', 2)$$,
  $$VALUES ('b', '{"a": {"from": "a"}}'::jsonb), ('c', '{"a": {"from": "a"}}'::jsonb)$$,
  'b and c get a''s result under the key "a"');
SELECT tributary.complete_step(tributary_test.step_id(:wf, 'b'), 1, '[1, 2, 3]') AS ignored \gset
SELECT tributary.complete_step(tributary_test.step_id(:wf, 'c'), 1, '"text"') AS ignored \gset

SELECT results_eq(
  $$SELECT task_name, dependency_results FROM tributary.claim_step('dep', 'w')$$,
  $$VALUES ('d', '{"b": [1, 2, 3], "c": "text"}'::jsonb)$$,
  'd gets exactly the results of its direct dependencies b and c (not a''s)');

-- p1 completes with a JSON null, p2 with no result at all (SQL NULL): both still appear by name.
SELECT tributary.create_workflow('nulls', '[
  {"name": "p1", "kind": "k", "queue": "depnull"},
  {"name": "p2", "kind": "k", "queue": "depnull"},
  {"name": "q", "kind": "k", "queue": "depnull", "depends_on": ["p1", "p2"]}
]') AS wf2 \gset
SELECT tributary_test.run(:wf2, 'p1', 'null') AS ignored \gset
SELECT tributary_test.claim(:wf2, 'p2') AS ignored \gset
SELECT tributary.complete_step(tributary_test.step_id(:wf2, 'p2'), 1) AS ignored \gset

CREATE TEMP TABLE q_claim ON COMMIT DROP AS
SELECT * FROM tributary.claim_step('depnull', 'w');
SELECT is((SELECT dependency_results FROM q_claim), '{"p1": null, "p2": null}'::jsonb,
  'dependencies with a JSON null or no result appear by name with null');
SELECT ok((SELECT dependency_results ? 'p1' AND dependency_results ? 'p2' FROM q_claim),
  'both dependency names are keys of the object');

-- Results are per workflow: a same-named task of another workflow does not leak in.
SELECT tributary_test.diamond('dep2') AS wf3 \gset
SELECT tributary_test.run(:wf3, 'a', '"other a"') AS ignored \gset
SELECT results_eq(
  $$SELECT task_name, dependency_results FROM tributary.claim_step('dep2', 'w')$$,
  $$VALUES ('b', '{"a": "other a"}'::jsonb)$$,
  'a step sees the result of its own workflow''s dependency only');

SELECT * FROM finish();
ROLLBACK;
