-- The error paths the docs list for the functions added with waits, limits and bindings that no
-- other file checks: spawn_child_workflow's fencing (TB006, TB007, TB008) and a child that fails
-- the map and branch checks (TB320, TB321, the step stays running); TB011 and TB013 as documented; TB012 of claim_steps,
-- wake_due_steps, fire_due_schedules and the worker-process registry (sql-api.md, Errors).
BEGIN;
SELECT plan(23);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT tributary.create_workflow('docs-parent', '[{"name": "p", "kind": "k", "queue": "docs_err"}]') AS wf \gset
SELECT step_id AS ps, attempt AS pa FROM tributary.claim_step('docs_err', 'w1') \gset

SELECT throws_ok($$SELECT tributary.spawn_child_workflow(-1, 1, 'child', '[{"name": "a", "kind": "k"}]')$$,
  'TB006', 'step -1 does not exist', 'spawn_child_workflow: TB006 for an unknown step');
SELECT throws_ok(format($$SELECT tributary.spawn_child_workflow(%s, %s, 'child', '[{"name": "a", "kind": "k"}]')$$, :ps, :pa + 1),
  'TB007', NULL, 'spawn_child_workflow: TB007 for an attempt that does not hold the step');
SELECT throws_ok(format($$SELECT tributary.spawn_child_workflow(%s, %s, 'child', '[{"name": "a", "kind": "k", "map": {"over": "nothing"}}]')$$, :ps, :pa),
  'TB320', NULL, 'spawn_child_workflow: TB320 for a child with a bad map');
SELECT throws_ok(format($$SELECT tributary.spawn_child_workflow(%s, %s, 'child', '[{"name": "a", "kind": "k", "run_when": "sometimes"}]')$$, :ps, :pa),
  'TB321', NULL, 'spawn_child_workflow: TB321 for a child with a bad run_when');
SELECT results_eq(format($$SELECT state, attempt FROM tributary.steps WHERE id = %s$$, :ps),
  format($$VALUES ('running'::text, %s)$$, :pa), 'an invalid child leaves the step running, untouched');
SELECT is((SELECT count(*)::int FROM tributary.workflows WHERE parent_step_id = :ps), 0, 'and no child behind');
SELECT tributary.cancel_workflow(:wf);
SELECT throws_ok(format($$SELECT tributary.spawn_child_workflow(%s, %s, 'child', '[{"name": "a", "kind": "k"}]')$$, :ps, :pa),
  'TB008', format('step %s (task "p") was cancelled: workflow cancelled', :ps), 'spawn_child_workflow: TB008 once the step was cancelled');

SELECT throws_ok($$SELECT * FROM tributary.claim_steps('docs_err', 'w1', 0)$$, 'TB012', 'max_steps must be at least 1, got 0',
  'claim_steps: TB012 for max_steps below 1');
SELECT throws_ok($$SELECT tributary.wake_due_steps(NULL)$$, 'TB012', 'p_limit must be at least 1', 'wake_due_steps: TB012 for a NULL limit');
SELECT throws_ok($$SELECT * FROM tributary.fire_due_schedules(0)$$, 'TB012', 'limit must be at least 1, got 0', 'fire_due_schedules: TB012');
SELECT throws_ok($$SELECT tributary.report_worker_process('w', NULL, 1, '{}', '{}', '1')$$, 'TB012',
  'report_worker_process: every argument is required', 'report_worker_process: TB012 for a NULL argument');
SELECT throws_ok($$SELECT tributary.prune_worker_processes('-1 day')$$, 'TB012', NULL, 'prune_worker_processes: TB012 for a negative age');
SELECT is(tributary.claim_retry_in('docs_err'), NULL, 'claim_retry_in: NULL when no claim of the queue ran under a limit');

-- Bounded inputs (security.md): a sleep, a wait's timeout and a keyed event's ttl are at most a
-- year; over it, the specific SQLSTATE naming the task or event, not 22008 "timestamp out of range".
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "s", "sleep": "1000000 years"}]')$$,
  'TB303', 'task "s" in workflow "w": "sleep" "1000000 years" is over a year', 'TB303 for a sleep over a year');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "wait_for": {"event": "e", "timeout": "1000000 years"}}]')$$,
  'TB303', 'task "a" in workflow "w": "wait_for" "timeout" "1000000 years" is over a year', 'TB303 for a wait timeout over a year');
SELECT lives_ok($$SELECT tributary.create_workflow('w', '[{"name": "s", "sleep": "1 year"}, {"name": "a", "wait_for": {"event": "e", "timeout": 31104000}}]')$$,
  'a sleep of a year and a timeout of 360 days (a PostgreSQL year, in seconds) are accepted');
SELECT throws_ok($$SELECT tributary.send_event('x', NULL, p_key => 'k', p_ttl => '1000000 years')$$,
  'TB302', 'event "x": p_ttl must be at most a year, got 1000000 years', 'TB302 for a ttl over a year');
SELECT lives_ok($$SELECT tributary.send_event('x', NULL, p_key => 'k', p_ttl => '1 year')$$, 'a ttl of a year is accepted');

-- A finite age beyond the timestamp range deletes nothing instead of failing with 22008.
SELECT is(tributary.prune_finished('1000000 years'), 0, 'prune_finished of an age of a million years deletes nothing');
SELECT is(tributary.prune_worker_processes('1000000 years'), 0, 'prune_worker_processes too');

-- Direct writes and retry_step (sql-api.md, Direct writes; retry_step's table).
SELECT throws_ok(format($$SELECT tributary.retry_step(%s)$$, :ps), 'TB011',
  format('workflow %s was cancelled: its steps are retried together', :wf), 'retry_step: TB011 in a cancelled workflow');
INSERT INTO tributary.workflows (name) VALUES ('docs-direct') RETURNING id AS dwf \gset
INSERT INTO tributary.steps (workflow_id, task_name, kind) VALUES (:dwf, 'b', 'k') RETURNING id AS bid \gset
SELECT throws_ok(format($$UPDATE tributary.steps SET state = 'available' WHERE id = %s$$, :bid), 'TB013',
  format('step %s (task "b") is not resolved yet: its state is set when its workflow is resolved at COMMIT', :bid),
  'TB013 for an engine column of a step inserted in this transaction');
-- A role of its own (rolled back with the test; a unique name, as other databases share the server).
SELECT 'docs_writer_' || md5(random()::text || clock_timestamp()::text) AS writer \gset
CREATE ROLE :"writer" NOLOGIN;
GRANT USAGE ON SCHEMA tributary TO :"writer";
GRANT UPDATE, SELECT ON tributary.steps TO :"writer";
SELECT throws_ok(format($$SET LOCAL ROLE %I; UPDATE tributary.steps SET priority = 1 WHERE id = %s$$, :'writer', :ps), 'TB013',
  format('UPDATE of step %s (task "p") refused: only the engine''s functions write steps', :ps),
  'TB013 for a role but the owner that was granted UPDATE');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
