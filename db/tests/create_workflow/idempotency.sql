-- create_workflow with an idempotency key: a second call with the same key returns the first
-- workflow's id and creates nothing; a call that failed does not use up its key.
BEGIN;
SELECT plan(8);

SELECT tributary.create_workflow('first', '[{"name": "a", "kind": "k"}, {"name": "b", "kind": "k", "depends_on": ["a"]}]',
                                 NULL, '{"n": 1}', 'order-42') AS wf \gset
SELECT is((SELECT idempotency_key FROM tributary.workflows WHERE id = :wf), 'order-42', 'the key is stored on the workflow');

CREATE TEMP TABLE counts_before ON COMMIT DROP AS
SELECT (SELECT count(*) FROM tributary.workflows) AS w, (SELECT count(*) FROM tributary.steps) AS s,
       (SELECT count(*) FROM tributary.step_dependencies) AS e;

SELECT is(
  tributary.create_workflow('second', '[{"name": "x", "kind": "k"}, {"name": "y", "kind": "k"}, {"name": "z", "kind": "k"}]',
                            NULL, '{"n": 2}', 'order-42'),
  :wf::bigint,
  'the same key returns the first workflow''s id, whatever the tasks');
SELECT results_eq(
  $$SELECT (SELECT count(*) FROM tributary.workflows), (SELECT count(*) FROM tributary.steps),
           (SELECT count(*) FROM tributary.step_dependencies)$$,
  $$SELECT w, s, e FROM counts_before$$,
  'the repeated call creates no workflow, step or edge');
SELECT results_eq(
  format($$SELECT w.name, w.metadata, array_agg(s.task_name ORDER BY s.id)
           FROM tributary.workflows AS w JOIN tributary.steps AS s ON s.workflow_id = w.id WHERE w.id = %s
           GROUP BY w.name, w.metadata$$, :wf),
  $$VALUES ('first', '{"n": 1}'::jsonb, ARRAY['a', 'b'])$$,
  'the first workflow is left as it was created');

SELECT isnt(
  tributary.create_workflow('other', '[{"name": "a", "kind": "k"}]', NULL, '{}', 'order-43'),
  :wf::bigint,
  'another key creates another workflow');
SELECT isnt(
  tributary.create_workflow('nokey', '[{"name": "a", "kind": "k"}]'),
  tributary.create_workflow('nokey', '[{"name": "a", "kind": "k"}]'),
  'without a key, two identical calls create two workflows');

-- A call that fails leaves nothing behind, so its key stays free.
SELECT throws_ok(
  $$SELECT tributary.create_workflow('broken', '[{"name": "a", "kind": "k", "depends_on": ["nope"]}]', NULL, '{}', 'order-44')$$,
  'TB002', 'task "a" depends on unknown task "nope"',
  'a failing call with a key raises its error');
SELECT tributary.create_workflow('fixed', '[{"name": "a", "kind": "k"}]', NULL, '{}', 'order-44') AS fixed \gset
SELECT results_eq(
  format('SELECT name, steps_total FROM tributary.workflows WHERE idempotency_key = %L', 'order-44'),
  $$VALUES ('fixed', 1)$$,
  'after a failed call, its key creates a new workflow');

SELECT * FROM finish();
ROLLBACK;
