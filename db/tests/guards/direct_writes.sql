-- Direct writes to the engine's tables are refused with TB013 before anything changes: any write
-- by a role that is not the owner, even one granted table privileges (as the v0.1.0 docs
-- advised), and, for everyone, changing a completed step, setting the engine columns of a step
-- that is not resolved yet, and deleting a step without its workflow.
BEGIN;
SELECT plan(17);

SELECT role_name AS legacy FROM tributary.roles WHERE purpose = 'worker' \gset
-- A role with the full DML the old docs gave "a role that creates and works workflows".
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA tributary TO tributary_worker;
GRANT EXECUTE ON FUNCTION tributary.now() TO tributary_worker;

SELECT tributary.create_workflow('guarded', '[{"name": "a", "kind": "k", "queue": "gq"},
                                             {"name": "b", "kind": "k", "queue": "gq", "depends_on": ["a"]}]') AS wf \gset
SELECT tributary.create_workflow('other', '[{"name": "x", "kind": "k", "queue": "gq_other"}]') AS wf_other \gset
SELECT tributary_test.run(:wf, 'a', '"a result"') AS ignored \gset
SELECT tributary_test.claim(:wf, 'b') AS b_attempt \gset
SELECT tributary_test.step_id(:wf, 'a') AS a, tributary_test.step_id(:wf, 'b') AS b,
       tributary_test.step_id(:wf_other, 'x') AS x \gset

-- Any role but the owner ------------------------------------------------------------------------
SELECT throws_ok(format($$SET LOCAL ROLE %I; UPDATE tributary.steps SET result = '"forged"' WHERE id = %s$$, :'legacy', :a),
  'TB013', NULL, 'another role cannot overwrite a step''s result, even with UPDATE granted');
SELECT throws_ok(format($$SET LOCAL ROLE %I; UPDATE tributary.steps SET args = '{"forged": 1}' WHERE id = %s$$, :'legacy', :x),
  'TB013', NULL, '... nor another workflow''s args');
SELECT throws_ok(format($$SET LOCAL ROLE %I; UPDATE tributary.workflows SET cancelled_at = now() WHERE id = %s$$, :'legacy', :wf),
  'TB013', NULL, '... nor a workflow row');
SELECT throws_ok(format($$SET LOCAL ROLE %I; DELETE FROM tributary.workflows WHERE id = %s$$, :'legacy', :wf_other),
  'TB013', NULL, '... nor delete a workflow (prune_finished does)');
SELECT throws_ok(format($$SET LOCAL ROLE %I; DELETE FROM tributary.steps WHERE id = %s$$, :'legacy', :b),
  'TB013', NULL, '... nor delete a step');
SELECT throws_ok(format($$SET LOCAL ROLE %I; INSERT INTO tributary.step_dependencies VALUES (%s, %s)$$, :'legacy', :x, :b),
  'TB013', NULL, '... nor link a step to another workflow''s step');
SELECT throws_ok(format($$SET LOCAL ROLE %I; SET LOCAL tributary.creating_workflow = 'on';
  INSERT INTO tributary.steps (workflow_id, task_name, kind, state, remaining_deps) VALUES (%s, 'late', 'k', 'available', 0)$$, :'legacy', :wf),
  'TB010', NULL, '... nor, with tributary.creating_workflow on, add an available step to a resolved workflow');
SELECT results_eq(
  format('SELECT state, result FROM tributary.steps WHERE id IN (%s, %s) ORDER BY id', :a, :b),
  $$VALUES ('completed', '"a result"'::jsonb), ('running', NULL)$$,
  'nothing changed');

-- Everyone, the owner included ------------------------------------------------------------------
SELECT throws_ok(
  format($$UPDATE tributary.steps SET state = 'available', result = NULL, finalized_at = NULL, remaining_deps = 0 WHERE id = %s$$, :a),
  'TB013', format('step %s (task "a") is completed: it does not change any more', :a),
  'a completed step cannot be made available again (it used to stop every rescue)');
SELECT throws_ok(format($$UPDATE tributary.steps SET result = '"other"' WHERE id = %s$$, :a),
  'TB013', NULL, 'a completed step''s result cannot be overwritten (its dependents read it)');
SELECT throws_ok(format('DELETE FROM tributary.steps WHERE id = %s', :b),
  'TB013', format('step %s (task "b") cannot be deleted on its own', :b),
  'a running step cannot be deleted on its own (its workflow stayed running for ever)');
SELECT lives_ok(format($$UPDATE tributary.steps SET priority = 5 WHERE id = %s$$, :x),
  'the owner may still change an option of a step that has not finished');

SELECT tributary_test.insert_workflow('direct', '[{"name": "p"}, {"name": "q", "depends_on": ["p"]}]') AS wf_direct \gset
SELECT throws_ok(
  format($$UPDATE tributary.steps SET state = 'available', remaining_deps = 0 WHERE workflow_id = %s AND task_name = 'q'$$, :wf_direct),
  'TB013', NULL,
  'in the inserting transaction, a step with an unfinished dependency cannot be made available');
SELECT lives_ok(
  format($$UPDATE tributary.steps SET priority = 3 WHERE workflow_id = %s AND task_name = 'q'$$, :wf_direct),
  '... its options can still be set');
SET CONSTRAINTS ALL IMMEDIATE;
SELECT results_eq(
  format('SELECT task_name, state, remaining_deps, priority FROM tributary.steps WHERE workflow_id = %s ORDER BY task_name', :wf_direct),
  $$VALUES ('p', 'available', 0, 0), ('q', 'pending', 1, 3)$$,
  '... and the resolution at COMMIT sets the engine columns');

-- A workflow still goes with its steps (the delete trigger of workflows), and prune_finished works.
SELECT lives_ok(format('DELETE FROM tributary.workflows WHERE id = %s', :wf_other),
  'the owner deletes a workflow, and its steps go with it');
SELECT is((SELECT count(*) FROM tributary.steps WHERE workflow_id = :wf_other), 0::bigint, '... none is left');

SELECT * FROM finish();
ROLLBACK;
