-- Bounds on what a caller gives, each refused up front: create_workflow names the task (TB005),
-- a direct INSERT or a settings UPDATE gets the named constraint (23514). Each of these inputs
-- used to break more than itself: a claim of the whole queue ("timestamp out of range"), the
-- completion of a dependency ("payload string too long"), an index ("index row size"), a release
-- ("integer out of range"), a step that never ran ('infinity').
BEGIN;
SELECT plan(27);

-- Names -------------------------------------------------------------------------------------------
SELECT lives_ok(
  format($$SELECT tributary.create_workflow(%L, jsonb_build_array(jsonb_build_object('name', %L, 'kind', %L, 'queue', %L)), p_idempotency_key => %L)$$,
         repeat('w', 255), repeat('n', 255), repeat('k', 255), repeat('q', 255), repeat('i', 255)),
  'names, kinds, queues and idempotency keys of 255 characters are accepted');
SELECT is(
  tributary_test.error_of(format($$SELECT tributary.create_workflow('w', jsonb_build_array(jsonb_build_object('name', %L, 'kind', 'k')))$$, repeat('n', 50000))) - 'hint',
  jsonb_build_object('sqlstate', 'TB005',
                     'message', format('task "%s..." in workflow "w": "name" is longer than 255 characters', repeat('n', 64)),
                     'detail', 'task #1 of the tasks array'),
  'a task name of 50,000 characters: TB005 naming the task (shortened), not an index row size error');
SELECT throws_ok(
  format($$SELECT tributary.create_workflow('w', jsonb_build_array(jsonb_build_object('name', 'a', 'kind', %L)))$$, repeat('k', 256)),
  'TB005', 'task "a" in workflow "w": "kind" is longer than 255 characters', 'a kind of 256 characters: TB005');
SELECT throws_ok(
  format($$SELECT tributary.create_workflow('w', jsonb_build_array(jsonb_build_object('name', 'a', 'kind', 'k'),
                                                                   jsonb_build_object('name', 'b', 'kind', 'k', 'depends_on', '["a"]'::jsonb, 'queue', %L)))$$,
         repeat('q', 9000)),
  'TB005', 'task "b" in workflow "w": "queue" is longer than 255 characters',
  'a dependent''s queue of 9,000 characters: TB005 at creation (its dependency could never complete)');
SELECT throws_ok(
  format($$SELECT tributary.create_workflow(%L, '[{"name": "a", "kind": "k"}]')$$, repeat('w', 256)),
  '23514', NULL, 'a workflow name of 256 characters: constraint workflows_name_length');
SELECT throws_like(
  format($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k"}]', p_idempotency_key => %L)$$, repeat('i', 256)),
  '%workflows_idempotency_key_length%', 'an idempotency key of 256 characters: constraint workflows_idempotency_key_length');

-- Attempts ----------------------------------------------------------------------------------------
SELECT throws_ok(
  $$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "max_attempts": 2147483647}]')$$,
  'TB005', 'task "a" in workflow "w": "max_attempts" must be at most 1000000, got 2147483647',
  'max_attempts 2147483647: TB005');
SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "queue": "limits_attempts", "max_attempts": 1000000}]') AS wf \gset
SELECT tributary_test.claim(:wf, 'a') AS attempt \gset
SELECT is(tributary.release_steps(ARRAY[tributary_test.step_id(:wf, 'a')], ARRAY[:attempt]), 1,
  'a step with 1,000,000 attempts is released without overflow (release does not count the attempt)');
SELECT results_eq(
  format('SELECT state, attempt, max_attempts FROM tributary.steps WHERE id = %s', tributary_test.step_id(:wf, 'a')),
  $$VALUES ('available', 1, 1000001)$$,
  '... and keeps its 1,000,000 attempts left');

-- Intervals and times -----------------------------------------------------------------------------
SELECT throws_ok(
  $$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "timeout": "300000 years"}]')$$,
  'TB005', 'task "a" in workflow "w": "timeout" must be at most 1 year, got 300000 years',
  'a timeout of 300,000 years: TB005 (it failed every claim of its queue)');
SELECT throws_ok(
  $$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "timeout": 100000000}]')$$,
  'TB005', NULL, 'a timeout of 10^8 seconds: TB005');
SELECT throws_ok(
  $$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "retry_backoff": "2 years"}]')$$,
  'TB005', 'task "a" in workflow "w": "retry_backoff" must be at most 1 year, got 2 years',
  'a retry_backoff of 2 years: TB005');
SELECT lives_ok(
  $$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "timeout": "1 year", "retry_backoff": "1 year"}]')$$,
  'a timeout and a retry_backoff of 1 year are accepted');
SELECT throws_ok(
  $$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "scheduled_at": "infinity"}]')$$,
  'TB005', 'task "a" in workflow "w": "scheduled_at" must be a finite timestamp, got infinity',
  'a task scheduled at infinity: TB005 (it was accepted and never ran)');
SELECT throws_like(
  $$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k"}]', p_scheduled_at => 'infinity')$$,
  '%workflows_scheduled_at_finite%', 'a workflow scheduled at infinity: constraint workflows_scheduled_at_finite');

-- The direct-INSERT path gets the same bounds as named constraints.
SELECT throws_like(
  format($$INSERT INTO tributary.steps (workflow_id, task_name, kind, queue) SELECT tributary_test.insert_workflow('d', '[{"name": "a"}]'), 'b', 'k', %L$$, repeat('q', 6000)),
  '%steps_queue_length%', 'a direct INSERT of a 6,000-character queue: constraint steps_queue_length');
SELECT throws_like(
  $$INSERT INTO tributary.steps (workflow_id, task_name, kind, timeout) SELECT tributary_test.insert_workflow('d2', '[{"name": "a"}]'), 'b', 'k', '300000 years'$$,
  '%steps_timeout_bounded%', 'a direct INSERT of a 300,000-year timeout: constraint steps_timeout_bounded');

-- Settings --------------------------------------------------------------------------------------
SELECT throws_like($$UPDATE tributary.settings SET lease_duration = '300000 years'$$,
  '%settings_lease_bounded%', 'a lease of 300,000 years: constraint settings_lease_bounded');
SELECT throws_like($$UPDATE tributary.settings SET default_timeout = '300000 years'$$,
  '%settings_timeout_bounded%', 'a default timeout of 300,000 years: constraint settings_timeout_bounded');
SELECT throws_like($$UPDATE tributary.settings SET retry_backoff_cap = '2 years'$$,
  '%settings_backoff_bounded%', 'a backoff cap of 2 years: constraint settings_backoff_bounded');
SELECT throws_like($$UPDATE tributary.settings SET default_max_attempts = 2147483647$$,
  '%settings_max_attempts_bounded%', 'default_max_attempts 2147483647: constraint settings_max_attempts_bounded');
SELECT throws_like(format($$UPDATE tributary.settings SET default_queue = %L$$, repeat('q', 256)),
  '%settings_queue_length%', 'a default queue of 256 characters: constraint settings_queue_length');

-- Worker and admin calls --------------------------------------------------------------------------
SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "queue": "limits_null_worker"}]') AS wf_n \gset
SELECT throws_like($$SELECT * FROM tributary.claim_step('limits_null_worker', NULL)$$,
  '%steps_running_has_worker%', 'a claim without a worker id: constraint steps_running_has_worker');
SELECT is(tributary_test.step_state(:wf_n, 'a'), 'available', '... and the step is still claimable');
SELECT throws_ok($$SELECT tributary.prune_finished('-1 year')$$,
  'TB012', 'older_than must be a finite interval of at least 0, got -1 years',
  'prune_finished with a negative interval: TB012 (it deleted workflows finalized a moment ago)');
SELECT throws_ok($$SELECT tributary.prune_finished(NULL)$$,
  'TB012', 'older_than must be a finite interval of at least 0, got NULL', 'prune_finished(NULL): TB012');
SELECT lives_ok($$SELECT tributary.prune_finished('0 seconds')$$, 'prune_finished(''0 seconds'') is allowed');

SELECT * FROM finish();
ROLLBACK;
