-- create_workflow builds the graph in one call: one step per task, one edge per dependency, roots
-- available and the others pending with remaining_deps = number of distinct dependencies, and
-- the workflow's counters set. The order of the tasks array does not matter.
BEGIN;
SELECT plan(13);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT tributary_test.diamond() AS wf \gset

SELECT results_eq(
  format('SELECT name, state, steps_total, steps_unfinished, metadata, idempotency_key, scheduled_at, finalized_at FROM tributary.workflows WHERE id = %s', :wf),
  $$VALUES ('diamond', 'running', 4, 4, '{}'::jsonb, NULL::text, timestamptz '2030-01-01 00:00:00+00', NULL::timestamptz)$$,
  'the diamond workflow is running with steps_total = steps_unfinished = 4');
SELECT results_eq(
  format('SELECT task_name, kind, depends_on, state, remaining_deps, attempt, args FROM tributary.steps WHERE workflow_id = %s ORDER BY task_name', :wf),
  $$VALUES ('a', 'noop', '{}'::text[], 'available', 0, 0, '{}'::jsonb),
           ('b', 'noop', '{a}', 'pending', 1, 0, '{}'),
           ('c', 'noop', '{a}', 'pending', 1, 0, '{}'),
           ('d', 'noop', '{b,c}', 'pending', 2, 0, '{}')$$,
  'four steps: the root a available, b and c pending on 1 dependency, d pending on 2');
SELECT results_eq(
  format($$SELECT s.task_name, p.task_name FROM tributary.step_dependencies AS e
           JOIN tributary.steps AS s ON s.id = e.step_id JOIN tributary.steps AS p ON p.id = e.depends_on_step_id
           WHERE s.workflow_id = %s ORDER BY 1, 2$$, :wf),
  $$VALUES ('b', 'a'), ('c', 'a'), ('d', 'b'), ('d', 'c')$$,
  'four edges, each pointing from a step to a dependency of the same workflow');
SELECT is(
  (SELECT array_agg(task_name ORDER BY id) FROM tributary.steps WHERE workflow_id = :wf),
  ARRAY['a', 'b', 'c', 'd'],
  'step ids follow the order of the tasks array');
SELECT is_empty(
  format($$SELECT id FROM tributary.steps WHERE workflow_id = %s
           AND (result IS NOT NULL OR errors <> '[]' OR worker_id IS NOT NULL OR attempted_at IS NOT NULL
                OR lease_expires_at IS NOT NULL OR deadline_at IS NOT NULL OR finalized_at IS NOT NULL
                OR cancel_reason IS NOT NULL OR created_at <> timestamptz '2030-01-01 00:00:00+00')$$, :wf),
  'new steps carry no result, error, worker, lease or final time, and were created now');

-- The same graph listed backwards (dependents before their dependencies).
SELECT tributary.create_workflow('reversed', '[
  {"name": "d", "kind": "noop", "depends_on": ["b", "c"]},
  {"name": "c", "kind": "noop", "depends_on": ["a"]},
  {"name": "b", "kind": "noop", "depends_on": ["a"]},
  {"name": "a", "kind": "noop"}
]') AS rev \gset
SELECT results_eq(
  format('SELECT task_name, state, remaining_deps FROM tributary.steps WHERE workflow_id = %s ORDER BY task_name', :rev),
  format('SELECT task_name, state, remaining_deps FROM tributary.steps WHERE workflow_id = %s ORDER BY task_name', :wf),
  'listed backwards, the diamond gets the same states and remaining_deps');
SELECT results_eq(
  format($$SELECT s.task_name, p.task_name FROM tributary.step_dependencies AS e
           JOIN tributary.steps AS s ON s.id = e.step_id JOIN tributary.steps AS p ON p.id = e.depends_on_step_id
           WHERE s.workflow_id = %s ORDER BY 1, 2$$, :rev),
  $$VALUES ('b', 'a'), ('c', 'a'), ('d', 'b'), ('d', 'c')$$,
  'listed backwards, the diamond gets the same edges');
SELECT results_eq(
  format('SELECT steps_total, steps_unfinished FROM tributary.workflows WHERE id = %s', :rev),
  $$VALUES (4, 4)$$,
  'listed backwards, the counters are the same');

-- Several roots, a repeated dependency, explicit null and empty depends_on.
SELECT tributary.create_workflow('shapes', '[
  {"name": "r1", "kind": "noop", "depends_on": null},
  {"name": "r2", "kind": "noop", "depends_on": []},
  {"name": "twice", "kind": "noop", "depends_on": ["r1", "r1"]},
  {"name": "join", "kind": "noop", "depends_on": ["r2", "twice", "r1"]}
]') AS shp \gset
SELECT results_eq(
  format('SELECT task_name, state, remaining_deps FROM tributary.steps WHERE workflow_id = %s ORDER BY id', :shp),
  $$VALUES ('r1', 'available', 0), ('r2', 'available', 0), ('twice', 'pending', 1), ('join', 'pending', 3)$$,
  'every task without dependencies is available; a dependency named twice counts once');
SELECT is(
  (SELECT count(*) FROM tributary.step_dependencies AS e JOIN tributary.steps AS s ON s.id = e.step_id
   WHERE s.workflow_id = :shp),
  4::bigint,
  'a dependency named twice gives one edge (twice -> r1, join -> r1, r2, twice)');

-- Workflows are independent: task names repeat across workflows, edges never cross.
SELECT is(
  (SELECT count(*) FROM tributary.step_dependencies AS e
   JOIN tributary.steps AS s ON s.id = e.step_id JOIN tributary.steps AS p ON p.id = e.depends_on_step_id
   WHERE s.workflow_id <> p.workflow_id),
  0::bigint,
  'no edge joins steps of two workflows, though the diamonds share task names');
SELECT is(
  (SELECT count(*) FROM tributary.steps WHERE workflow_id IN (:wf, :rev, :shp)),
  12::bigint,
  'three workflows, twelve steps');

SELECT tributary.create_workflow('single', '[{"name": "only", "kind": "noop"}]') AS one \gset
SELECT results_eq(
  format($$SELECT w.steps_total, w.steps_unfinished, s.state, s.remaining_deps
           FROM tributary.workflows AS w JOIN tributary.steps AS s ON s.workflow_id = w.id WHERE w.id = %s$$, :one),
  $$VALUES (1, 1, 'available', 0)$$,
  'a one-task workflow has one available step');

SELECT * FROM finish();
ROLLBACK;
