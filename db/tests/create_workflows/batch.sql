-- create_workflows: many workflows in one call, set-based. Ids come back in input order; each
-- workflow is resolved exactly as create_workflow resolves it (steps, edges, counters, available
-- roots); idempotency keys work per workflow, also twice in one batch; an empty batch creates
-- nothing; create_workflow is the one-workflow case of the same code.
BEGIN;
SELECT plan(17);

SELECT tributary.create_workflows($$[
  {"name": "diamond", "tasks": [
     {"name": "a", "kind": "noop"},
     {"name": "b", "kind": "noop", "depends_on": ["a"]},
     {"name": "c", "kind": "noop", "depends_on": ["a"]},
     {"name": "d", "kind": "noop", "depends_on": ["b", "c"]}],
   "metadata": {"n": 1}},
  {"name": "reversed", "tasks": [
     {"name": "second", "kind": "noop", "depends_on": ["first"]},
     {"name": "first", "kind": "noop", "queue": "other"}],
   "scheduled_at": "2030-01-01T00:00:00Z"},
  {"name": "single", "tasks": [{"name": "only", "kind": "noop"}], "idempotency_key": "batch-key"}
]$$) AS ids \gset

SELECT is(cardinality(:'ids'::bigint[]), 3, 'one id per workflow of the batch');
SELECT results_eq(
  format($$SELECT name FROM tributary.workflows AS w JOIN unnest(%L::bigint[]) WITH ORDINALITY AS i(id, ord) ON i.id = w.id ORDER BY i.ord$$, :'ids'),
  $$VALUES ('diamond'), ('reversed'), ('single')$$,
  'the ids are in input order');

SELECT tributary_test.diamond() AS ref \gset
SELECT results_eq(
  format('SELECT task_name, depends_on, state, remaining_deps, attempt, queue FROM tributary.steps WHERE workflow_id = %s ORDER BY task_name', (:'ids'::bigint[])[1]),
  format('SELECT task_name, depends_on, state, remaining_deps, attempt, queue FROM tributary.steps WHERE workflow_id = %s ORDER BY task_name', :ref),
  'the diamond''s steps are those create_workflow makes');
SELECT results_eq(
  format($$SELECT s.task_name, p.task_name FROM tributary.step_dependencies AS e
           JOIN tributary.steps AS s ON s.id = e.step_id JOIN tributary.steps AS p ON p.id = e.depends_on_step_id
           WHERE s.workflow_id = %s ORDER BY 1, 2$$, (:'ids'::bigint[])[1]),
  $$VALUES ('b', 'a'), ('c', 'a'), ('d', 'b'), ('d', 'c')$$,
  'the diamond''s edges are written');
SELECT results_eq(
  format('SELECT state, steps_total, steps_unfinished, metadata FROM tributary.workflows WHERE id = %s', (:'ids'::bigint[])[1]),
  $$VALUES ('running', 4, 4, '{"n": 1}'::jsonb)$$,
  'the counters and the metadata are set');
SELECT results_eq(
  format('SELECT task_name, state, remaining_deps, queue, scheduled_at FROM tributary.steps WHERE workflow_id = %s ORDER BY id', (:'ids'::bigint[])[2]),
  $$VALUES ('second', 'pending', 1, 'default', '2030-01-01T00:00:00Z'::timestamptz),
           ('first', 'available', 0, 'other', '2030-01-01T00:00:00Z'::timestamptz)$$,
  'a dependency listed after its dependent is resolved, and the workflow''s scheduled_at applies to its steps');
SELECT ok(
  (SELECT s.id < p.id FROM tributary.steps AS s JOIN tributary.steps AS p ON p.workflow_id = s.workflow_id
   WHERE s.workflow_id = (:'ids'::bigint[])[2] AND s.task_name = 'second' AND p.task_name = 'first'),
  'step ids follow the task order within a workflow');

-- Idempotency per workflow: a taken key returns the existing id, a key repeated in the batch
-- creates one workflow.
CREATE TEMP TABLE counts_before ON COMMIT DROP AS
SELECT (SELECT count(*) FROM tributary.workflows) AS w, (SELECT count(*) FROM tributary.steps) AS s;
SELECT tributary.create_workflows($$[
  {"name": "new", "tasks": [{"name": "x", "kind": "noop"}], "idempotency_key": "fresh"},
  {"name": "again", "tasks": [{"name": "y", "kind": "noop"}, {"name": "z", "kind": "noop"}], "idempotency_key": "batch-key"},
  {"name": "twice", "tasks": [{"name": "x", "kind": "noop"}], "idempotency_key": "fresh"}
]$$) AS again \gset
SELECT is((:'again'::bigint[])[2], (:'ids'::bigint[])[3], 'a key already used returns the existing workflow''s id');
SELECT is((:'again'::bigint[])[3], (:'again'::bigint[])[1], 'a key used twice in one batch creates one workflow');
SELECT results_eq(
  $$SELECT (SELECT count(*) FROM tributary.workflows) - w, (SELECT count(*) FROM tributary.steps) - s FROM counts_before$$,
  $$VALUES (1::bigint, 1::bigint)$$,
  'only the workflow with the fresh key was created, with its one step');
SELECT is(
  (SELECT name FROM tributary.workflows WHERE id = (:'again'::bigint[])[2]),
  'single',
  'the workflow holding the key is left as it was');

SELECT is(tributary.create_workflows('[]'), '{}'::bigint[], 'an empty batch creates nothing and returns no id');

-- create_workflow is the one-workflow case: the same rows.
SELECT tributary.create_workflow('diamond', '[{"name": "a", "kind": "noop"}, {"name": "b", "kind": "noop", "depends_on": ["a"]},
  {"name": "c", "kind": "noop", "depends_on": ["a"]}, {"name": "d", "kind": "noop", "depends_on": ["b", "c"]}]', NULL, '{"n": 1}') AS single \gset
SELECT results_eq(
  format('SELECT task_name, depends_on, state, remaining_deps FROM tributary.steps WHERE workflow_id = %s ORDER BY task_name', :single),
  format('SELECT task_name, depends_on, state, remaining_deps FROM tributary.steps WHERE workflow_id = %s ORDER BY task_name', (:'ids'::bigint[])[1]),
  'create_workflow and create_workflows make the same steps');

-- Notifications: once per queue that got a claimable step.
LISTEN tributary_step_available;
SELECT lives_ok(
  $$SELECT tributary.create_workflows('[{"name": "n1", "tasks": [{"name": "a", "kind": "k", "queue": "q1"}]},
                                        {"name": "n2", "tasks": [{"name": "a", "kind": "k", "queue": "q2"}]}]')$$,
  'a batch over two queues is created');
SELECT ok(
  (SELECT bool_and(s.state = 'available') FROM tributary.steps AS s WHERE s.queue IN ('q1', 'q2')),
  'the roots of every workflow in the batch are claimable at once');

-- A large batch of one-step workflows: every workflow and step is there.
SELECT is(
  cardinality(tributary.create_workflows(
    (SELECT jsonb_agg(jsonb_build_object('name', 'bulk', 'tasks', jsonb_build_array(jsonb_build_object('name', 'job', 'kind', 'k', 'queue', 'bulk'))))
     FROM generate_series(1, 2000)))),
  2000,
  '2,000 workflows in one call');
SELECT results_eq(
  $$SELECT count(DISTINCT workflow_id), count(*), count(*) FILTER (WHERE state = 'available') FROM tributary.steps WHERE queue = 'bulk'$$,
  $$VALUES (2000::bigint, 2000::bigint, 2000::bigint)$$,
  'each has its one available step');

SELECT * FROM finish();
ROLLBACK;
