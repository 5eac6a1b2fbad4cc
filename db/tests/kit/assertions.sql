-- The testing kit's assertions, in pgTAP's style: each passes or fails as one test, with a
-- default description, and on failure diagnostics that say where the workflow or step stands.
-- check_test asserts the outcome, the description and the exact diagnostics.
BEGIN;
SELECT plan(73);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00') AS ignored \gset
SELECT tributary.create_workflow('asserted', '[
  {"name": "extract", "kind": "k", "queue": "aq", "max_attempts": 3, "retry_backoff": 0},
  {"name": "load", "kind": "k", "queue": "aq", "depends_on": ["extract"]},
  {"name": "side", "kind": "k", "queue": "aq"}
]') AS wf \gset
SELECT tributary_test.claim(:wf, 'extract') AS ignored \gset
SELECT tributary_test.fail(:wf, 'extract', '{"message": "timeout"}') AS ignored \gset

-- workflow_state_is ---------------------------------------------------------------------------
SELECT * FROM check_test(tributary_test.workflow_state_is(:wf, 'running'), true,
  'workflow_state_is passes', format('workflow %s should be running', :wf), '');
SELECT * FROM check_test(tributary_test.workflow_state_is(:wf, 'running', 'my description'), true,
  'workflow_state_is takes a description', 'my description', '');
SELECT * FROM check_test(tributary_test.workflow_state_is(:wf, 'completed'), false,
  'workflow_state_is fails', format('workflow %s should be completed', :wf),
  '        have: running
        want: completed
        task "extract": available for attempt 2 of 3; last error: timeout
        task "load": pending: waiting on "extract" (available)
        task "side": available');
SELECT * FROM check_test(tributary_test.workflow_state_is(-1, 'running'), false,
  'workflow_state_is fails on an unknown workflow', 'workflow -1 should be running',
  '        have: workflow -1 does not exist
        want: running');

-- step_state_is -------------------------------------------------------------------------------
SELECT * FROM check_test(tributary_test.step_state_is(:wf, 'extract', 'available'), true,
  'step_state_is passes', format('task "extract" of workflow %s should be available', :wf), '');
SELECT * FROM check_test(tributary_test.step_state_is(:wf, 'load', 'available', 'load is ready'), false,
  'step_state_is fails', 'load is ready',
  '        have: pending
        want: available
        task "load": pending: waiting on "extract" (available)');
SELECT * FROM check_test(tributary_test.step_state_is(:wf, 'nope', 'available'), false,
  'step_state_is fails on an unknown task', format('task "nope" of workflow %s should be available', :wf),
  format('        have: workflow %s has no task "nope"
        want: available', :wf));

-- step_attempts_are ---------------------------------------------------------------------------
SELECT * FROM check_test(tributary_test.step_attempts_are(:wf, 'extract', 1), true,
  'step_attempts_are passes', format('task "extract" of workflow %s should have 1 attempts', :wf), '');
SELECT * FROM check_test(tributary_test.step_attempts_are(:wf, 'extract', 3), false,
  'step_attempts_are fails with the error history', format('task "extract" of workflow %s should have 3 attempts', :wf),
  '        have: 1
        want: 3
        attempt 1: timeout
        task "extract": available for attempt 2 of 3; last error: timeout');
SELECT * FROM check_test(tributary_test.step_attempts_are(-1, 'extract', 3), false,
  'step_attempts_are fails on an unknown workflow', 'task "extract" of workflow -1 should have 3 attempts',
  '        have: workflow -1 does not exist
        want: 3');

-- steps_claimable_are -------------------------------------------------------------------------
SELECT * FROM check_test(tributary_test.steps_claimable_are(:wf, ARRAY['side', 'extract']), true,
  'steps_claimable_are passes, in any order', format('workflow %s should have claimable tasks {extract,side}', :wf), '');
SELECT * FROM check_test(tributary_test.steps_claimable_are(:wf, ARRAY['extract', 'load']), false,
  'steps_claimable_are fails', format('workflow %s should have claimable tasks {extract,load}', :wf),
  '        have: {extract,side}
        want: {extract,load}
        task "load": pending: waiting on "extract" (available)
        task "side": available');
SELECT * FROM check_test(tributary_test.steps_claimable_are(:wf, ARRAY['extract', 'side', 'ghost']), false,
  'steps_claimable_are names a task the workflow lacks', format('workflow %s should have claimable tasks {extract,ghost,side}', :wf),
  format('        have: {extract,side}
        want: {extract,ghost,side}
        task "ghost": not in workflow %s', :wf));
SELECT * FROM check_test(tributary_test.steps_claimable_are(-1, '{}'), false,
  'steps_claimable_are fails on an unknown workflow', 'workflow -1 should have claimable tasks {}',
  '        have: workflow -1 does not exist
        want: {}');
SELECT results_eq(format($$SELECT task_name, state, attempt FROM tributary.steps WHERE workflow_id = %s ORDER BY id$$, :wf),
  $$VALUES ('extract', 'available', 1), ('load', 'pending', 0), ('side', 'available', 0)$$,
  'probing what is claimable claims nothing');

-- The engine decides what is claimable: time, other sessions' locks.
SELECT tributary.create_workflow('timed', '[{"name": "t", "kind": "k", "queue": "tq", "scheduled_at": "2030-01-01 00:10:00+00"}]') AS timed \gset
SELECT * FROM check_test(tributary_test.steps_claimable_are(:timed, '{}'), true,
  'a step scheduled later is not claimable', format('workflow %s should have claimable tasks {}', :timed), '');
SELECT tributary_test.advance('10 minutes') AS ignored \gset
SELECT * FROM check_test(tributary_test.steps_claimable_are(:timed, ARRAY['t']), true,
  'it is once the clock reaches its time', format('workflow %s should have claimable tasks {t}', :timed), '');
SELECT tributary_test.set_now('2030-01-01 00:00:00+00') AS ignored \gset

-- step_result_is and dependency_results_are -----------------------------------------------------
SELECT tributary_test.claim(:wf, 'extract') AS ignored \gset
SELECT * FROM check_test(tributary_test.step_result_is(:wf, 'extract', NULL), true,
  'step_result_is passes on a step without result', format('task "extract" of workflow %s should have result NULL', :wf), '');
SELECT tributary_test.complete(:wf, 'extract', '{"rows": [1, 2], "source": "s3"}') AS ignored \gset
SELECT * FROM check_test(tributary_test.step_result_is(:wf, 'extract', '{"source": "s3", "rows": [1, 2]}'), true,
  'step_result_is compares jsonb values, not text', format('task "extract" of workflow %s should have result {"rows": [1, 2], "source": "s3"}', :wf), '');
SELECT * FROM check_test(tributary_test.step_result_is(:wf, 'extract', '{"rows": []}'), false,
  'step_result_is fails', format('task "extract" of workflow %s should have result {"rows": []}', :wf),
  '        have: {"rows": [1, 2], "source": "s3"}
        want: {"rows": []}
        task "extract": completed by attempt 2 of 3');
SELECT * FROM check_test(tributary_test.step_result_is(:wf, 'ghost', '{}'), false,
  'step_result_is fails on an unknown task', format('task "ghost" of workflow %s should have result {}', :wf),
  format('        have: workflow %s has no task "ghost"
        want: {}', :wf));

SELECT * FROM check_test(tributary_test.dependency_results_are(:wf, 'load', '{"extract": {"rows": [1, 2], "source": "s3"}}'), false,
  'dependency_results_are fails before the fake worker claimed the step',
  format('task "load" of workflow %s should receive dependency results {"extract": {"rows": [1, 2], "source": "s3"}}', :wf),
  '        have: never claimed by tributary_test.claim or run
        want: {"extract": {"rows": [1, 2], "source": "s3"}}
        task "load": available');
SELECT tributary_test.claim(:wf, 'load') AS ignored \gset
SELECT * FROM check_test(tributary_test.dependency_results_are(:wf, 'load', '{"extract": {"rows": [1, 2], "source": "s3"}}'), true,
  'dependency_results_are passes',
  format('task "load" of workflow %s should receive dependency results {"extract": {"rows": [1, 2], "source": "s3"}}', :wf), '');
SELECT * FROM check_test(tributary_test.dependency_results_are(:wf, 'load', '{"extract": null}', 'load got nothing'), false,
  'dependency_results_are fails', 'load got nothing',
  '        have: {"extract": {"rows": [1, 2], "source": "s3"}}
        want: {"extract": null}
        as claimed by attempt 1 (worker test-worker) at 2030-01-01 00:00:00+00');
SELECT * FROM check_test(tributary_test.dependency_results_are(-1, 'load', '{}'), false,
  'dependency_results_are fails on an unknown workflow', 'task "load" of workflow -1 should receive dependency results {}',
  '        have: workflow -1 does not exist
        want: {}');

SELECT * FROM finish();
ROLLBACK;
