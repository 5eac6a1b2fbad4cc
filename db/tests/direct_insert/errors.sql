-- Errors of the direct-insert path. Unknown dependency (TB002), cycle (TB001) and empty workflow
-- (TB004) make the COMMIT fail: here SET CONSTRAINTS ALL IMMEDIATE fires the deferred check.
-- A duplicate task name (TB003) and a step added to an already resolved workflow (TB010) fail
-- at the INSERT itself.
BEGIN;
SELECT plan(19);

CREATE FUNCTION pg_temp.rows_now() RETURNS text LANGUAGE sql AS $$
  SELECT format('%s workflows, %s steps, %s edges', (SELECT count(*) FROM tributary.workflows),
                (SELECT count(*) FROM tributary.steps), (SELECT count(*) FROM tributary.step_dependencies))
$$;
SELECT tributary.create_workflow('elsewhere', '[{"name": "other", "kind": "k"}]') AS other \gset
SELECT pg_temp.rows_now() AS baseline \gset

-- Failing at COMMIT ------------------------------------------------------------------------------
SELECT throws_ok(
  $$SELECT tributary_test.insert_workflow('unknown', '[{"name": "a"}, {"name": "b", "depends_on": ["a", "nope"]}]');
    SET CONSTRAINTS ALL IMMEDIATE$$,
  'TB002', 'task "b" depends on unknown task "nope"',
  'an unknown dependency fails at COMMIT with TB002, naming the task and the dependency');
SELECT is(pg_temp.rows_now(), :'baseline', 'nothing is left of it');

SELECT throws_ok(
  $$SELECT tributary_test.insert_workflow('cross', '[{"name": "a", "depends_on": ["other"]}]');
    SET CONSTRAINTS ALL IMMEDIATE$$,
  'TB002', 'task "a" depends on unknown task "other"',
  'a dependency on a task of another workflow is unknown');

SELECT throws_ok(
  $$SELECT tributary_test.insert_workflow('cycle', '[{"name": "r"}, {"name": "a", "depends_on": ["c", "r"]},
      {"name": "b", "depends_on": ["a"]}, {"name": "c", "depends_on": ["b"]}]');
    SET CONSTRAINTS ALL IMMEDIATE$$,
  'TB001', 'dependency cycle at task "a"',
  'a cycle fails at COMMIT with TB001');
SELECT is(
  tributary_test.error_of($$SELECT tributary_test.insert_workflow('cycle', '[{"name": "r"}, {"name": "a", "depends_on": ["c", "r"]},
      {"name": "b", "depends_on": ["a"]}, {"name": "c", "depends_on": ["b"]}]');
    SET CONSTRAINTS ALL IMMEDIATE$$)->>'detail',
  'cycle: a -> c -> b -> a (each task depends on the next)',
  'its DETAIL spells out the cycle, as with create_workflow');
SELECT throws_ok(
  $$SELECT tributary_test.insert_workflow('self', '[{"name": "a", "depends_on": ["a"]}]');
    SET CONSTRAINTS ALL IMMEDIATE$$,
  'TB001', 'dependency cycle at task "a": it depends on itself',
  'a self-dependency fails at COMMIT with TB001');
SELECT is(pg_temp.rows_now(), :'baseline', 'nothing is left of the cycles');

-- Outside a subtransaction: the failed check stays pending, so COMMIT would fail as well.
INSERT INTO tributary.workflows (name) VALUES ('empty') RETURNING id AS empty \gset
SELECT throws_ok('SET CONSTRAINTS ALL IMMEDIATE', 'TB004', format('workflow %s has no steps', :empty),
  'a workflow without steps fails at COMMIT with TB004');
SELECT throws_ok('SET CONSTRAINTS ALL IMMEDIATE', 'TB004', format('workflow %s has no steps', :empty),
  'the failed check is not consumed: it fails again, as COMMIT would');
SELECT results_eq(
  format('SELECT steps_total, steps_unfinished FROM tributary.workflows WHERE id = %s', :empty),
  $$VALUES (NULL::integer, NULL::integer)$$,
  'the empty workflow stays unresolved');
-- Steps inserted afterwards, still in the transaction, make it valid.
INSERT INTO tributary.steps (workflow_id, task_name, kind) VALUES (:empty, 'late', 'k');
SELECT lives_ok('SET CONSTRAINTS ALL IMMEDIATE', 'once it has a step, the same workflow resolves');
SET CONSTRAINTS ALL DEFERRED;
SELECT is(tributary_test.step_state(:empty, 'late'), 'available', 'and its step is available');

-- Failing at INSERT -------------------------------------------------------------------------------
SELECT tributary_test.insert_workflow('dup', '[{"name": "a"}, {"name": "b"}]') AS dup \gset
SELECT throws_ok(
  format($$INSERT INTO tributary.steps (workflow_id, task_name, kind) VALUES (%s, 'a', 'other')$$, :dup),
  'TB003', format('duplicate task name "a" in workflow %s', :dup),
  'a second step with a task name already in the workflow fails at INSERT with TB003');
SELECT results_eq(
  $$SELECT e->>'sqlstate', e->>'message' ~ '^duplicate task name "x" in workflow \d+$'
    FROM tributary_test.error_of($i$SELECT tributary_test.insert_workflow('dup2', '[{"name": "x"}, {"name": "y"}, {"name": "x"}]')$i$) AS e$$,
  $$VALUES ('TB003', true)$$,
  'a duplicate inside one multi-row INSERT fails with TB003 too');
SELECT is((SELECT count(*) FROM tributary.steps WHERE workflow_id = :dup), 2::bigint, 'the refused step was not added');

SELECT tributary.create_workflow('created', '[{"name": "a", "kind": "k"}]') AS created \gset
SELECT throws_ok(
  format($$INSERT INTO tributary.steps (workflow_id, task_name, kind) VALUES (%s, 'z', 'k')$$, :created),
  'TB010', format('workflow %s is already resolved: task "z" cannot be added to it', :created),
  'a step inserted into a workflow made by create_workflow fails with TB010');
SET CONSTRAINTS ALL IMMEDIATE;
SET CONSTRAINTS ALL DEFERRED;
SELECT throws_ok(
  format($$INSERT INTO tributary.steps (workflow_id, task_name, kind) VALUES (%s, 'c', 'k')$$, :dup),
  'TB010', format('workflow %s is already resolved: task "c" cannot be added to it', :dup),
  'a step inserted into a directly inserted workflow after its resolution fails with TB010');
SELECT results_eq(
  format('SELECT count(*), max(steps_total) FROM tributary.steps AS s JOIN tributary.workflows AS w ON w.id = s.workflow_id WHERE w.id = %s', :dup),
  $$VALUES (2::bigint, 2)$$,
  'the resolved workflow keeps its steps and counters');

SELECT throws_ok(
  $$INSERT INTO tributary.steps (workflow_id, task_name, kind) VALUES (-1, 'a', 'k')$$,
  '23503', 'workflow -1 does not exist: task "a" cannot be added to it',
  'a step of a workflow that does not exist is refused with 23503 (foreign_key_violation), naming the workflow and the task');

SELECT * FROM finish();
ROLLBACK;
