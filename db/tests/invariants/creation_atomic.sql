-- Invariant 7: creating a workflow is atomic. A create that fails inside a caller's transaction
-- (after it already inserted the workflow, its steps and its edges) leaves no row behind once the
-- caller rolls back to its savepoint, while the caller's earlier work stays. (The validation
-- errors themselves are covered in create_workflow/.)
BEGIN;
SELECT plan(9);

CREATE TEMP VIEW row_counts AS
SELECT (SELECT count(*) FROM tributary.workflows) AS workflows,
       (SELECT count(*) FROM tributary.steps) AS steps,
       (SELECT count(*) FROM tributary.step_dependencies) AS edges;

SELECT workflows AS w0, steps AS s0, edges AS e0 FROM row_counts \gset
-- The caller's earlier work in the same transaction.
SELECT tributary_test.diamond('i7') AS kept \gset

-- TB002 is raised after the workflow and steps rows were inserted; TB001 after the edges too.
SELECT throws_ok(
  $$SELECT tributary.create_workflow('bad-dependency', '[{"name": "a", "kind": "k"}, {"name": "b", "kind": "k", "depends_on": ["a"]}, {"name": "c", "kind": "k", "depends_on": ["zz"]}]')$$,
  'TB002', 'task "c" depends on unknown task "zz"', 'a create with an unknown dependency fails');
SELECT results_eq('SELECT workflows, steps, edges FROM row_counts',
  format('VALUES (%s::bigint + 1, %s::bigint + 4, %s::bigint + 4)', :w0, :s0, :e0),
  'after rolling back the failed create, only the caller''s earlier diamond was added');
SELECT throws_ok(
  $$SELECT tributary.create_workflow('bad-cycle', '[{"name": "a", "kind": "k", "depends_on": ["c"]}, {"name": "b", "kind": "k", "depends_on": ["a"]}, {"name": "c", "kind": "k", "depends_on": ["b"]}]')$$,
  'TB001', 'dependency cycle at task "a"', 'a create with a cycle fails');
SELECT results_eq('SELECT workflows, steps, edges FROM row_counts',
  format('VALUES (%s::bigint + 1, %s::bigint + 4, %s::bigint + 4)', :w0, :s0, :e0),
  'the failed create with a cycle left no workflow, step or edge (its edges were already written)');
SELECT is((SELECT count(*) FROM tributary.workflows WHERE name IN ('bad-dependency', 'bad-cycle')), 0::bigint,
  'no failed workflow is left by name');

-- A caller that catches the error in PL/pgSQL (an implicit savepoint) and goes on.
DO $$
BEGIN
  BEGIN
    PERFORM tributary.create_workflow('caught', '[{"name": "a", "kind": "k", "depends_on": ["a"]}]');
  EXCEPTION WHEN SQLSTATE 'TB001' THEN
    PERFORM tributary.create_workflow('after-catch', '[{"name": "a", "kind": "k"}]');
  END;
END
$$;
SELECT results_eq($$SELECT name, steps_total FROM tributary.workflows WHERE name IN ('caught', 'after-catch')$$,
  $$VALUES ('after-catch', 1)$$,
  'a caller that caught the failed create keeps nothing of it and can create the next workflow');

-- The direct-INSERT path: a workflow and its steps inserted by the caller, whose graph has a
-- cycle; the resolution fails (here forced early with SET CONSTRAINTS ALL IMMEDIATE, at COMMIT
-- otherwise) and the rollback to the savepoint removes every row the caller inserted.
SELECT throws_ok(
  $$INSERT INTO tributary.workflows (name) VALUES ('direct-cycle');
    INSERT INTO tributary.steps (workflow_id, task_name, kind, depends_on)
    SELECT currval(pg_get_serial_sequence('tributary.workflows', 'id')), t.name, 'k', t.deps
    FROM (VALUES ('a', '{c}'::text[]), ('b', '{a}'), ('c', '{b}')) AS t(name, deps);
    SET CONSTRAINTS ALL IMMEDIATE$$,
  'TB001', 'dependency cycle at task "a"', 'directly inserted steps with a cycle fail to resolve');
SELECT results_eq('SELECT workflows, steps, edges FROM row_counts',
  format('VALUES (%s::bigint + 2, %s::bigint + 5, %s::bigint + 4)', :w0, :s0, :e0),
  'the failed direct insert left no workflow, step or edge (only the diamond and after-catch were added)');
SELECT results_eq(format('SELECT state, steps_total, steps_unfinished FROM tributary.workflows WHERE id = %s', :kept),
  $$VALUES ('running', 4, 4)$$, 'the caller''s diamond created before is intact');

SELECT * FROM finish();
ROLLBACK;
