-- Retries and branches: a step cancelled by a discarded dependency that also has a skipped
-- dependency is skipped again when retry_workflow reopens it (all_completed), or waits for the
-- reopened dependency and runs (any_completed); skipped steps themselves are never reopened.
BEGIN;
SELECT plan(8);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT tributary.create_workflow('retry_branches', $$[
  {"name": "d", "kind": "k", "queue": "rq"},
  {"name": "f", "kind": "k", "queue": "rq", "max_attempts": 1},
  {"name": "x", "kind": "k", "queue": "rq", "depends_on": ["d"], "run_if": {"d": {"go": true}}},
  {"name": "all", "kind": "k", "queue": "rq", "depends_on": ["x", "f"]},
  {"name": "after_all", "kind": "k", "queue": "rq", "depends_on": ["all"]},
  {"name": "any", "kind": "k", "queue": "rq", "depends_on": ["x", "f"], "run_when": "any_completed"}
]$$) AS wf \gset

SELECT tributary.fail_step(tributary_test.step_id(:wf, 'f'), tributary_test.claim(:wf, 'f'), '{"message": "boom"}', false);
SELECT tributary_test.run(:wf, 'd', '{"go": false}');
SELECT results_eq(
  format($$SELECT task_name, state FROM tributary.steps WHERE workflow_id = %s ORDER BY id$$, :wf),
  $$VALUES ('d', 'completed'), ('f', 'discarded'), ('x', 'skipped'), ('all', 'cancelled'),
           ('after_all', 'cancelled'), ('any', 'cancelled')$$,
  'f discarded first: its dependents are cancelled; then x is skipped');
SELECT is(tributary_test.workflow_state(:wf), 'failed', 'the workflow failed');

SELECT is(tributary.retry_workflow(:wf), 4, 'retry_workflow reopens f, all, after_all and any');
SELECT results_eq(
  format($$SELECT task_name, state, finalized_at IS NOT NULL FROM tributary.steps WHERE workflow_id = %s ORDER BY id$$, :wf),
  $$VALUES ('d', 'completed', true), ('f', 'available', false), ('x', 'skipped', true), ('all', 'skipped', true),
           ('after_all', 'skipped', true), ('any', 'pending', false)$$,
  'an all_completed step with a skipped dependency is skipped again, and what needs it; the join waits for f');
SELECT is((SELECT remaining_deps FROM tributary.steps WHERE id = tributary_test.step_id(:wf, 'any')), 1,
  'the join waits for f only');
SELECT tributary_test.run(:wf, 'f', '"F"');
SELECT is(tributary_test.step_state(:wf, 'any'), 'available', 'the join runs once f completed');
SELECT tributary_test.run(:wf, 'any');
SELECT is(tributary_test.workflow_state(:wf), 'completed', 'and the workflow completes');
SELECT results_eq(
  format('SELECT steps_unfinished FROM tributary.workflows WHERE id = %s', :wf), $$VALUES (0)$$,
  'every step counted once');

SELECT * FROM finish();
ROLLBACK;
