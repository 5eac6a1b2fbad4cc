-- The COMMIT-time resolution is set-based over every workflow the transaction inserted directly:
-- the first deferred trigger to fire resolves them all in one call of _resolve_workflows (the
-- later firings find their workflow resolved), with the same result as one by one. An error in
-- any of them fails the whole COMMIT, naming that workflow's task. COPY takes the same path.
BEGIN;
SELECT plan(9);

SET LOCAL track_functions = 'pl';
SELECT tributary_test.insert_workflow('one', '[{"name": "a"}, {"name": "b", "depends_on": ["a"]}]') AS w1 \gset
SELECT tributary_test.insert_workflow('two', '[{"name": "b", "depends_on": ["a"]}, {"name": "a"}]') AS w2 \gset
SELECT tributary_test.insert_workflow('three', '[{"name": "x"}]') AS w3 \gset

SELECT is(
  (SELECT count(*) FROM tributary.workflows WHERE steps_total IS NULL AND id IN (:w1, :w2, :w3)),
  3::bigint, 'three workflows wait for COMMIT');
SELECT lives_ok('SET CONSTRAINTS ALL IMMEDIATE', 'the deferred triggers fire');
SET CONSTRAINTS ALL DEFERRED;
SELECT is(
  (SELECT calls FROM pg_stat_xact_user_functions WHERE funcid = 'tributary._resolve_workflows(bigint[])'::regprocedure),
  1::bigint,
  'one call of _resolve_workflows resolved the three workflows');
SELECT results_eq(
  format($$SELECT w.name, w.steps_total, w.steps_unfinished FROM tributary.workflows AS w WHERE w.id IN (%s, %s, %s) ORDER BY w.id$$, :w1, :w2, :w3),
  $$VALUES ('one', 2, 2), ('two', 2, 2), ('three', 1, 1)$$,
  'each got its counters');
SELECT results_eq(
  format($$SELECT s.workflow_id = %s, s.task_name, s.state, s.remaining_deps FROM tributary.steps AS s
           WHERE s.workflow_id IN (%s, %s) ORDER BY s.workflow_id, s.task_name$$, :w1, :w1, :w2),
  $$VALUES (true, 'a', 'available', 0), (true, 'b', 'pending', 1), (false, 'a', 'available', 0), (false, 'b', 'pending', 1)$$,
  'each got its states, in order or not');
SELECT results_eq(
  format($$SELECT s.workflow_id, s.task_name, p.task_name FROM tributary.step_dependencies AS e
           JOIN tributary.steps AS s ON s.id = e.step_id JOIN tributary.steps AS p ON p.id = e.depends_on_step_id
           WHERE s.workflow_id IN (%s, %s, %s) ORDER BY 1$$, :w1, :w2, :w3),
  format($$VALUES (%s::bigint, 'b', 'a'), (%s::bigint, 'b', 'a')$$, :w1, :w2),
  'each got its edges, within its own workflow');

-- An error in the second of three workflows fails the resolution of the transaction.
SAVEPOINT bad;
SELECT tributary_test.insert_workflow('fine', '[{"name": "a"}]') AS f1 \gset
SELECT tributary_test.insert_workflow('broken', '[{"name": "a"}, {"name": "b", "depends_on": ["zz"]}]') AS f2 \gset
SELECT throws_ok('SET CONSTRAINTS ALL IMMEDIATE', 'TB002', 'task "b" depends on unknown task "zz"',
  'an unknown dependency in one workflow fails the whole resolution');
ROLLBACK TO SAVEPOINT bad;

-- COPY: the steps of three workflows in one statement, resolved together.
INSERT INTO tributary.workflows (id, name) VALUES (900000001, 'copied-1'), (900000002, 'copied-2'), (900000003, 'copied-3');
COPY tributary.steps (workflow_id, task_name, kind, depends_on) FROM STDIN;
900000001	second	noop	{first}
900000001	first	noop	{}
900000002	first	noop	{}
900000002	second	noop	{first}
900000003	first	noop	{}
900000003	second	noop	{first}
\.
SELECT is((SELECT count(*) FROM tributary.steps WHERE workflow_id BETWEEN 900000001 AND 900000003 AND remaining_deps IS NULL),
  6::bigint, 'COPY left six unresolved steps');
SET CONSTRAINTS ALL IMMEDIATE;
SELECT results_eq(
  $$SELECT count(*), count(*) FILTER (WHERE s.state = 'available'), count(DISTINCT e.step_id)
    FROM tributary.steps AS s LEFT JOIN tributary.step_dependencies AS e ON e.step_id = s.id
    JOIN tributary.workflows AS w ON w.id = s.workflow_id WHERE w.name LIKE 'copied-%'$$,
  $$VALUES (6::bigint, 3::bigint, 3::bigint)$$,
  'all three resolved: one root available and one edge each');

SELECT * FROM finish();
ROLLBACK;
