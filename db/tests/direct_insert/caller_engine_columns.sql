-- Engine columns a caller sets on a plain INSERT must not change how the graph is resolved.
-- Regression tests. Before the fix, _100_check_direct_insert fires only WHEN
-- (NEW.remaining_deps IS NULL), and _100_resolve_at_commit only WHEN (NEW.steps_total IS NULL);
-- both columns are the caller's to set on a plain INSERT. A step inserted with remaining_deps
-- skips the TB003/TB010 checks and the reset of its engine columns, and keeps the state the caller
-- gave it (an "available" step whose dependency has not completed is claimable at once:
-- invariant 2 broken). A workflow inserted with its counters set is never resolved or validated.
BEGIN;
SELECT plan(4);

-- Regression: b depends on a, but arrives as available with remaining_deps 0 and stays so after resolution.
SELECT tributary_test.insert_workflow('forged', '[{"name": "a"}]') AS wf \gset
INSERT INTO tributary.steps (workflow_id, task_name, kind, depends_on, state, remaining_deps)
VALUES (:wf, 'b', 'noop', '{a}', 'available', 0);
SET CONSTRAINTS ALL IMMEDIATE;
SET CONSTRAINTS ALL DEFERRED;
SELECT results_eq(
  format('SELECT state, remaining_deps FROM tributary.steps WHERE workflow_id = %s AND task_name = %L', :wf, 'b'),
  $$VALUES ('pending', 1)$$,
  'a step whose caller set remaining_deps = 0 still waits for its dependency');
SELECT is(
  (SELECT array_agg(task_name ORDER BY task_name) FROM tributary.claim_step('default', 'w', 10) WHERE workflow_id = :wf),
  ARRAY['a'],
  'only the root is claimable, not its dependent');

-- Regression: a step with remaining_deps set is added to a workflow that is already resolved.
SELECT tributary.create_workflow('resolved', '[{"name": "a", "kind": "noop"}]') AS done \gset
SELECT throws_ok(
  format($$INSERT INTO tributary.steps (workflow_id, task_name, kind, state, remaining_deps) VALUES (%s, 'extra', 'noop', 'available', 0)$$, :done),
  'TB010', format('workflow %s is already resolved: task "extra" cannot be added to it', :done),
  'a step cannot be added to a resolved workflow by setting remaining_deps');

-- Regression: a workflow inserted with steps_total = steps_unfinished = 0 and no steps is never
-- checked: it commits as a running workflow without steps that never finalizes.
INSERT INTO tributary.workflows (name, steps_total, steps_unfinished) VALUES ('hollow', 0, 0) RETURNING id AS hollow \gset
SELECT throws_ok('SET CONSTRAINTS ALL IMMEDIATE', 'TB004', format('workflow %s has no steps', :hollow),
  'a directly inserted workflow with forged counters and no steps fails at COMMIT with TB004');

SELECT * FROM finish();
ROLLBACK;
