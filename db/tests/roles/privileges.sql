-- The group roles' rights, allowed and refused: EXECUTE per function (has_function_privilege,
-- membership included), no function executable by PUBLIC, no internal function callable by any
-- group role, table privileges only where the direct-INSERT path and the settings need them.
BEGIN;
SELECT plan(70);

SELECT role_name AS worker FROM tributary.roles WHERE purpose = 'worker' \gset
SELECT role_name AS submitter FROM tributary.roles WHERE purpose = 'submitter' \gset
SELECT role_name AS reader FROM tributary.roles WHERE purpose = 'reader' \gset
SELECT role_name AS admin FROM tributary.roles WHERE purpose = 'admin' \gset

SELECT results_eq(
  $$SELECT (purpose || ' ' || role_name) COLLATE "default", r.rolcanlogin FROM tributary.roles JOIN pg_roles AS r ON r.rolname = role_name ORDER BY purpose$$,
  $$VALUES ('admin tributary_admin', false), ('reader tributary_reader', false),
           ('submitter tributary_submitter', false), ('worker tributary_worker', false)$$,
  'the deploy records four NOLOGIN group roles under their default names');

-- Who may call each public function: the roles of its purpose, and admin (a member of all).
CREATE TEMP TABLE expected_execute (fn regprocedure, purposes text[]) ON COMMIT DROP;
INSERT INTO expected_execute VALUES
  ('tributary.claim_step(text, text, integer)', '{worker,admin}'),
  ('tributary.complete_step(bigint, integer, jsonb)', '{worker,admin}'),
  ('tributary.complete_steps(bigint[], integer[], jsonb[])', '{worker,admin}'),
  ('tributary.fail_step(bigint, integer, jsonb, boolean)', '{worker,admin}'),
  ('tributary.heartbeat(bigint, integer)', '{worker,admin}'),
  ('tributary.heartbeat_steps(bigint[], integer[])', '{worker,admin}'),
  ('tributary.release_steps(bigint[], integer[])', '{worker,admin}'),
  ('tributary.rescue_expired_steps(integer)', '{worker,admin}'),
  ('tributary.create_workflow(text, jsonb, timestamptz, jsonb, text)', '{submitter,admin}'),
  ('tributary.cancel_workflow(bigint, text)', '{submitter,admin}'),
  ('tributary.get_workflow(bigint)', '{reader,submitter,admin}'),
  ('tributary.now()', '{reader,submitter,admin}'),
  ('tributary.retry_step(bigint)', '{admin}'),
  ('tributary.retry_workflow(bigint)', '{admin}'),
  ('tributary.prune_finished(interval, integer)', '{admin}'),
  ('tributary.create_workflows(jsonb)', '{submitter,admin}'),
  ('tributary.list_workflows(text, text, timestamptz, text, bigint, integer)', '{reader,submitter,admin}'),
  ('tributary.report_worker_process(text, text, integer, text[], text[], text)', '{worker,admin}'),
  ('tributary.forget_worker_process(text)', '{worker,admin}'),
  ('tributary.prune_worker_processes(interval)', '{worker,admin}'),
  ('tributary.fire_due_schedules(integer)', '{worker,admin}'),
  ('tributary.create_schedule(text, text, jsonb, text, interval, text, jsonb, text, text, integer, interval, timestamptz, boolean)', '{submitter,admin}'),
  ('tributary.pause_schedule(text)', '{admin}'),
  ('tributary.resume_schedule(text)', '{admin}'),
  ('tributary.delete_schedule(text)', '{admin}'),
  ('tributary.cron_next(text, text, timestamptz)', '{reader,submitter,admin}'),
  ('tributary.pause_queue(text)', '{admin}'),
  ('tributary.resume_queue(text)', '{admin}'),
  ('tributary.hand_back_step(bigint, integer, text, jsonb)', '{worker,admin}'),
  ('tributary.reserve_workflow_ids(integer)', '{submitter,admin}'),
  ('tributary.claim_steps(text, text, integer)', '{worker,admin}'),
  ('tributary.send_event(text, jsonb, bigint, text, interval)', '{submitter,worker,admin}'),
  ('tributary.wake_due_steps(integer)', '{worker,admin}'),
  ('tributary.spawn_child_workflow(bigint, integer, text, jsonb, jsonb)', '{worker,admin}'),
  ('tributary.set_concurrency_limit(text, text, integer)', '{admin}'),
  ('tributary.remove_concurrency_limit(text, text)', '{admin}'),
  ('tributary.set_rate_limit(text, text, integer, interval)', '{admin}'),
  ('tributary.remove_rate_limit(text, text)', '{admin}'),
  ('tributary.claim_retry_in(text)', '{worker,admin}'),
  ('tributary.complete_steps_and_claim(bigint[], integer[], jsonb[], text, text[], integer[])', '{worker,admin}'),
  ('tributary.complete_steps_and_start(bigint[], integer[], jsonb[], jsonb[], text, text[], integer[])', '{worker,admin}'),
  -- The one internal function a group role calls: steps' CHECK constraint, which runs as the
  -- writing role, and submitters write steps with plain INSERTs (tables/steps_rules).
  ('tributary._step_rules'::regproc::oid::regprocedure, '{submitter,admin}');

SELECT is(
  (SELECT array_agg(r.purpose ORDER BY r.purpose) FROM tributary.roles AS r
   WHERE has_function_privilege(r.role_name, e.fn, 'execute')),
  (SELECT array_agg(p ORDER BY p) FROM unnest(e.purposes) AS p),
  format('%s: EXECUTE for %s only', e.fn, array_to_string(e.purposes, ', ')))
FROM expected_execute AS e ORDER BY e.fn::text;

SELECT is(
  (SELECT array_agg(p.oid::regprocedure::text ORDER BY 1) FROM pg_proc AS p
   WHERE p.pronamespace = 'tributary'::regnamespace AND p.oid NOT IN (SELECT fn FROM expected_execute)
     AND EXISTS (SELECT 1 FROM tributary.roles AS r WHERE has_function_privilege(r.role_name, p.oid, 'execute'))),
  NULL,
  'no group role may call an internal function (_*) but _step_rules, a trigger function or anything not listed');
SELECT is(
  (SELECT array_agg(p.oid::regprocedure::text ORDER BY 1) FROM pg_proc AS p
   WHERE p.pronamespace = 'tributary'::regnamespace AND has_function_privilege('public', p.oid, 'execute')),
  NULL,
  'PUBLIC may call no function of tributary');
-- Table privileges -------------------------------------------------------------------------------
SELECT is(
  (SELECT array_agg(r.purpose || ':' || c.relname || ':' || priv ORDER BY r.purpose, c.relname, priv)
   FROM tributary.roles AS r
   CROSS JOIN pg_class AS c
   CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) AS priv
   WHERE c.relnamespace = 'tributary'::regnamespace AND c.relkind = 'r'
     AND has_table_privilege(r.role_name, c.oid, priv)),
  ARRAY['admin:settings:SELECT', 'admin:settings:UPDATE'],
  'no group role holds a table-wide privilege but admin on settings');
SELECT is(
  (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute AS a
   WHERE a.attrelid = 'tributary.steps'::regclass AND a.attnum > 0 AND NOT a.attisdropped
     AND has_column_privilege(:'submitter', 'tributary.steps', a.attname, 'INSERT')),
  ARRAY['workflow_id', 'task_name', 'kind', 'args', 'depends_on', 'queue', 'priority', 'max_attempts',
        'timeout', 'retry_backoff', 'scheduled_at', 'concurrency_key']::text[],
  'submitters may INSERT the columns a caller sets on steps, never an engine column nor the id');
SELECT is(
  (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute AS a
   WHERE a.attrelid = 'tributary.workflows'::regclass AND a.attnum > 0 AND NOT a.attisdropped
     AND has_column_privilege(:'submitter', 'tributary.workflows', a.attname, 'INSERT')),
  ARRAY['name', 'metadata', 'idempotency_key', 'scheduled_at']::text[],
  'submitters may INSERT the columns a caller sets on workflows');
SELECT is(
  (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute AS a
   WHERE a.attrelid = 'tributary.workflows'::regclass AND a.attnum > 0 AND NOT a.attisdropped
     AND has_column_privilege(:'submitter', 'tributary.workflows', a.attname, 'SELECT')),
  ARRAY['id']::text[],
  'submitters may read workflows.id only (for INSERT ... RETURNING id)');
SELECT is(
  (SELECT array_agg(r.purpose || ':' || v ORDER BY r.purpose, v) FROM tributary.roles AS r
   CROSS JOIN unnest(ARRAY['workflow_progress', 'queue_depths', 'recent_failures']) AS v
   WHERE has_table_privilege(r.role_name, 'tributary.' || v, 'SELECT')),
  ARRAY['admin:queue_depths', 'admin:recent_failures', 'admin:workflow_progress',
        'reader:queue_depths', 'reader:recent_failures', 'reader:workflow_progress',
        'submitter:queue_depths', 'submitter:recent_failures', 'submitter:workflow_progress'],
  'readers (and the submitters and admins who are readers) may read the views; workers may not');
SELECT is(
  (SELECT array_agg(r.purpose || ':' || v ORDER BY r.purpose, v) FROM tributary.roles AS r
   CROSS JOIN unnest(ARRAY['expired_leases', 'worker_process_status', 'unserved_queues', 'schedule_status', 'workflow_counts']) AS v
   WHERE has_table_privilege(r.role_name, 'tributary.' || v, 'SELECT')),
  (SELECT array_agg(p || ':' || v ORDER BY p, v) FROM unnest(ARRAY['admin', 'reader', 'submitter']) AS p
   CROSS JOIN unnest(ARRAY['expired_leases', 'worker_process_status', 'unserved_queues', 'schedule_status', 'workflow_counts']) AS v),
  'the operators'' views (leases, worker processes, unserved queues, schedules): readers, submitters, admins; not workers');
-- docs/security.md: a reader (so a submitter and an admin) may SELECT every view; a worker none.
SELECT is(
  (SELECT array_agg(r.purpose || ':' || c.relname ORDER BY r.purpose, c.relname) FROM tributary.roles AS r
   CROSS JOIN pg_class AS c
   WHERE c.relnamespace = 'tributary'::regnamespace AND c.relkind = 'v'
     AND has_table_privilege(r.role_name, c.oid, 'SELECT')),
  (SELECT array_agg(p || ':' || c.relname ORDER BY p, c.relname) FROM unnest(ARRAY['admin', 'reader', 'submitter']) AS p
   CROSS JOIN pg_class AS c
   WHERE c.relnamespace = 'tributary'::regnamespace AND c.relkind = 'v'),
  'every view of the schema (flow_limit_status included): readers, submitters, admins; no view for workers');
SELECT is(
  (SELECT array_agg(r.purpose ORDER BY r.purpose) FROM tributary.roles AS r
   WHERE has_schema_privilege(r.role_name, 'tributary', 'USAGE') AND NOT has_schema_privilege(r.role_name, 'tributary', 'CREATE')),
  ARRAY['admin', 'reader', 'submitter', 'worker'],
  'every group role may use the schema, none may create in it');

-- Calls under each role: what it may do works, what it may not fails with 42501 ----------------
SELECT tributary.create_workflow('privileges', '[{"name": "a", "kind": "k", "queue": "roles_q"}]') AS wf \gset

SELECT lives_ok(format($$SET LOCAL ROLE %I; SELECT * FROM tributary.claim_step('roles_q', 'w1'); RESET ROLE$$, :'worker'),
  'a worker claims');
SELECT throws_ok(format($$SET LOCAL ROLE %I; SELECT tributary.create_workflow('x', '[{"name": "a", "kind": "k"}]')$$, :'worker'),
  '42501', NULL, 'a worker cannot create workflows');
SELECT throws_ok(format($$SET LOCAL ROLE %I; SELECT tributary.cancel_workflow(%s)$$, :'worker', :wf),
  '42501', NULL, 'a worker cannot cancel workflows');
SELECT throws_ok(format($$SET LOCAL ROLE %I; SELECT tributary._settle_workflows(ARRAY[%s]::bigint[])$$, :'worker', :wf),
  '42501', NULL, 'a worker cannot call an internal function (it finalized another workflow before)');
SELECT throws_ok(format($$SET LOCAL ROLE %I; SELECT args, result FROM tributary.steps$$, :'worker'),
  '42501', NULL, 'a worker cannot read the tables (other workflows'' args and results)');
SELECT throws_ok(format($$SET LOCAL ROLE %I; UPDATE tributary.steps SET result = '1'$$, :'worker'),
  '42501', NULL, 'a worker cannot write the tables');

SELECT lives_ok(format($$SET LOCAL ROLE %I; SELECT tributary.create_workflow('by submitter', '[{"name": "a", "kind": "k"}]'); RESET ROLE$$, :'submitter'),
  'a submitter creates a workflow');
SELECT lives_ok(format($$SET LOCAL ROLE %I; SELECT tributary.get_workflow(%s); SELECT tributary.cancel_workflow(%s); RESET ROLE$$, :'submitter', :wf, :wf),
  'a submitter reads and cancels a workflow');
SELECT throws_ok(format($$SET LOCAL ROLE %I; SELECT * FROM tributary.claim_step('roles_q', 'w1')$$, :'submitter'),
  '42501', NULL, 'a submitter cannot claim');
SELECT throws_ok(format($$SET LOCAL ROLE %I; SELECT tributary.retry_workflow(%s)$$, :'submitter', :wf),
  '42501', NULL, 'a submitter cannot retry (an admin''s job)');
SELECT throws_ok(format($$SET LOCAL ROLE %I; INSERT INTO tributary.workflows (name, state) VALUES ('x', 'completed')$$, :'submitter'),
  '42501', NULL, 'a submitter cannot set an engine column in a direct INSERT');

SELECT lives_ok(format($$SET LOCAL ROLE %I; SELECT tributary.get_workflow(%s); SELECT * FROM tributary.workflow_progress; SELECT * FROM tributary.queue_depths; SELECT * FROM tributary.recent_failures; RESET ROLE$$, :'reader', :wf),
  'a reader reads get_workflow and the views');
SELECT throws_ok(format($$SET LOCAL ROLE %I; SELECT tributary.cancel_workflow(%s)$$, :'reader', :wf),
  '42501', NULL, 'a reader cannot cancel');
SELECT throws_ok(format($$SET LOCAL ROLE %I; SELECT * FROM tributary.steps$$, :'reader'),
  '42501', NULL, 'a reader cannot read the tables directly');

SELECT lives_ok(format($$SET LOCAL ROLE %I; UPDATE tributary.settings SET lease_duration = '90 seconds'; SELECT tributary.prune_finished('1 day'); SELECT tributary.retry_workflow(%s); SELECT * FROM tributary.claim_step('nothing', 'admin'); RESET ROLE$$, :'admin', :wf),
  'an admin changes settings, prunes, retries, and can do what a worker can');
SELECT throws_ok(format($$SET LOCAL ROLE %I; SELECT tributary._resolve_workflow(%s)$$, :'admin', :wf),
  '42501', NULL, 'not even an admin may call an internal function');
SELECT throws_ok(format($$SET LOCAL ROLE %I; DELETE FROM tributary.workflows$$, :'admin'),
  '42501', NULL, 'an admin deletes workflows only through prune_finished');

SELECT * FROM finish();
ROLLBACK;
