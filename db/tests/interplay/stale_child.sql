-- Child workflows meet retries: a step whose first child failed is retried and spawns a second
-- child; an admin then re-runs the first child with retry_workflow. The step waits for its newest
-- child only: the old child finishing (completed or failed again) leaves the step waiting, and
-- the newest child's outcome is the one the step takes.
BEGIN;
SELECT plan(9);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT tributary.create_workflow('parent', $$[{"name": "p", "kind": "k", "queue": "ip", "max_attempts": 3, "retry_backoff": 0}]$$) AS pw \gset
SELECT tributary_test.step_id(:pw, 'p') AS ps \gset

-- attempt 1 spawns child A, which fails: the step's attempt fails and it is available again
SELECT tributary_test.claim(:pw, 'p') AS a1 \gset
SELECT tributary.spawn_child_workflow(:ps, :a1, 'child', '[{"name": "x", "kind": "k", "queue": "ic", "max_attempts": 1}]') AS ca \gset
SELECT tributary_test.claim(:ca, 'x') AS xa \gset
SELECT tributary.fail_step(tributary_test.step_id(:ca, 'x'), :xa, '{"message": "boom"}', false);
SELECT is(tributary_test.step_state(:pw, 'p'), 'available', 'child A failed: the parent step''s attempt failed, attempts left');

-- attempt 2 spawns child B
SELECT tributary_test.claim(:pw, 'p') AS a2 \gset
SELECT tributary.spawn_child_workflow(:ps, :a2, 'child', '[{"name": "x", "kind": "k", "queue": "ic2"}]') AS cb \gset
SELECT is(tributary_test.step_state(:pw, 'p'), 'waiting', 'attempt 2 waits for child B');

-- an admin re-runs the failed child A, and it completes
SELECT is(tributary.retry_workflow(:ca), 1, 'retry_workflow reopens child A');
SELECT tributary_test.run(:ca, 'x', '{"from": "A"}');
SELECT is(tributary_test.workflow_state(:ca), 'completed', 'child A completed on its retry');
SELECT is(tributary_test.step_state(:pw, 'p'), 'waiting', 'the parent step still waits for child B, its newest child');
SELECT is((SELECT attempt FROM tributary.steps WHERE id = :ps), 2, 'with its attempt unchanged');

-- child B completes: the step completes with B's results
SELECT tributary_test.run(:cb, 'x', '{"from": "B"}');
SELECT is(tributary_test.step_state(:pw, 'p'), 'completed', 'child B completed: the parent step completes');
SELECT is((SELECT result FROM tributary.steps WHERE id = :ps), '{"x": {"from": "B"}}'::jsonb, 'with child B''s results, not A''s');
SELECT is(tributary_test.workflow_state(:pw), 'completed', 'and the parent workflow completes');

SELECT * FROM finish();
ROLLBACK;
