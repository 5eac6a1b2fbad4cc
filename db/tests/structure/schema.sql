-- Structure of schema tributary: tables and their column types, the few indexes (partial ones
-- for claim and rescue), named CHECK constraints, the two triggers of the direct-insert path and
-- the rules every function follows (search_path = pg_catalog, pg_temp, SECURITY DEFINER for entry points only, a COMMENT).
BEGIN;
SELECT plan(119);

SELECT has_schema('tributary');
SELECT isnt(obj_description('tributary'::regnamespace, 'pg_namespace'), NULL, 'schema tributary has a COMMENT');

-- Tables and views -------------------------------------------------------------------------------
SELECT has_table('tributary', t, format('table tributary.%s exists', t))
FROM unnest(ARRAY['workflows', 'steps', 'step_dependencies', 'settings']) AS t;
SELECT has_view('tributary', v, format('view tributary.%s exists', v))
FROM unnest(ARRAY['workflow_progress', 'queue_depths', 'recent_failures', 'expired_leases']) AS v;

SELECT columns_are('tributary', 'workflows', ARRAY[
  'id', 'name', 'state', 'metadata', 'idempotency_key', 'scheduled_at', 'created_at', 'steps_total',
  'steps_unfinished', 'cancelled_at', 'finalized_at', 'parent_step_id', 'parent_workflow_id']);
SELECT columns_are('tributary', 'steps', ARRAY[
  'id', 'workflow_id', 'task_name', 'kind', 'args', 'depends_on', 'queue', 'priority', 'max_attempts',
  'timeout', 'retry_backoff', 'state', 'attempt', 'remaining_deps', 'scheduled_at', 'created_at',
  'attempted_at', 'worker_id', 'lease_expires_at', 'deadline_at', 'result', 'errors', 'cancel_reason',
  'finalized_at', 'wait', 'wake_at', 'map_over', 'map_path', 'map_size', 'map_step_id', 'map_index', 'run_if', 'run_when',
  'concurrency_key', 'flow_limited']);
SELECT columns_are('tributary', 'step_dependencies', ARRAY['step_id', 'depends_on_step_id']);
SELECT columns_are('tributary', 'settings', ARRAY[
  'singleton', 'default_queue', 'default_priority', 'default_max_attempts', 'default_timeout',
  'default_retry_backoff', 'retry_backoff_cap', 'lease_duration', 'hand_back_delay', 'hand_back_grace',
  'max_map_elements']);

-- 11 columns
SELECT col_type_is('tributary', 'workflows', c, t, format('workflows.%s is %s', c, t))
FROM (VALUES ('id', 'bigint'), ('name', 'text'), ('state', 'text'), ('metadata', 'jsonb'),
             ('idempotency_key', 'text'), ('scheduled_at', 'timestamp with time zone'),
             ('created_at', 'timestamp with time zone'), ('steps_total', 'integer'),
             ('steps_unfinished', 'integer'), ('cancelled_at', 'timestamp with time zone'),
             ('finalized_at', 'timestamp with time zone')) AS v(c, t);
-- 33 columns
SELECT col_type_is('tributary', 'steps', c, t, format('steps.%s is %s', c, t))
FROM (VALUES ('id', 'bigint'), ('workflow_id', 'bigint'), ('task_name', 'text'), ('kind', 'text'),
             ('args', 'jsonb'), ('depends_on', 'text[]'), ('queue', 'text'), ('priority', 'integer'),
             ('max_attempts', 'integer'), ('timeout', 'interval'), ('retry_backoff', 'interval'),
             ('state', 'text'), ('attempt', 'integer'), ('remaining_deps', 'integer'),
             ('scheduled_at', 'timestamp with time zone'), ('created_at', 'timestamp with time zone'),
             ('attempted_at', 'timestamp with time zone'), ('worker_id', 'text'),
             ('lease_expires_at', 'timestamp with time zone'), ('deadline_at', 'timestamp with time zone'),
             ('result', 'jsonb'), ('errors', 'jsonb'), ('cancel_reason', 'text'),
             ('finalized_at', 'timestamp with time zone'), ('map_over', 'text'), ('map_path', 'text'),
             ('map_size', 'integer'), ('map_step_id', 'bigint'), ('map_index', 'integer'),
             ('run_if', 'jsonb'), ('run_when', 'text'), ('concurrency_key', 'text'),
             ('flow_limited', 'boolean')) AS v(c, t);
-- 2 columns
SELECT col_type_is('tributary', 'step_dependencies', c, 'bigint', format('step_dependencies.%s is bigint', c))
FROM unnest(ARRAY['step_id', 'depends_on_step_id']) AS c;
-- 11 columns
SELECT col_type_is('tributary', 'settings', c, t, format('settings.%s is %s', c, t))
FROM (VALUES ('singleton', 'boolean'), ('default_queue', 'text'), ('default_priority', 'integer'),
             ('default_max_attempts', 'integer'), ('default_timeout', 'interval'),
             ('default_retry_backoff', 'interval'), ('retry_backoff_cap', 'interval'),
             ('lease_duration', 'interval'), ('hand_back_delay', 'interval'),
             ('hand_back_grace', 'interval'), ('max_map_elements', 'integer')) AS v(c, t);

-- Indexes: few on purpose (state and lease updates stay HOT-friendly) ------------------------------
SELECT indexes_are('tributary', 'steps', ARRAY[
  'steps_pkey', 'steps_task_name_unique_in_workflow', 'steps_ready_idx', 'steps_lease_expiry_idx',
  'steps_wake_idx', 'steps_waiting_event_idx', 'steps_running_queue_idx', 'steps_running_key_idx']);
SELECT indexes_are('tributary', 'step_dependencies', ARRAY['step_dependencies_pkey', 'step_dependencies_depends_on_idx']);
SELECT indexes_are('tributary', 'workflows', ARRAY[
  'workflows_pkey', 'workflows_idempotency_key_unique', 'workflows_finalized_at_idx', 'workflows_unresolved_idx',
  'workflows_created_at_idx', 'workflows_state_created_at_idx', 'workflows_name_created_at_idx', 'workflows_parent_idx',
  'workflows_parent_step_idx']);
SELECT is(pg_get_indexdef('tributary.workflows_parent_step_idx'::regclass),
  'CREATE INDEX workflows_parent_step_idx ON tributary.workflows USING btree (parent_step_id, id) WHERE (parent_step_id IS NOT NULL)',
  'child workflows by their parent step: a probe by key per dependency claim_steps reports on');
SELECT is(pg_get_indexdef('tributary.workflows_unresolved_idx'::regclass),
  'CREATE INDEX workflows_unresolved_idx ON tributary.workflows USING btree (id) WHERE (steps_total IS NULL)',
  'workflows_unresolved_idx: only the directly inserted workflows not yet resolved');
SELECT is(pg_get_indexdef('tributary.steps_ready_idx'::regclass),
  'CREATE INDEX steps_ready_idx ON tributary.steps USING btree (queue, priority DESC, scheduled_at, id) WHERE (state = ''available''::text)',
  'steps_ready_idx: available steps only, in claim order per queue');
SELECT is(pg_get_indexdef('tributary.steps_lease_expiry_idx'::regclass),
  'CREATE INDEX steps_lease_expiry_idx ON tributary.steps USING btree (lease_expires_at) WHERE (lease_expires_at IS NOT NULL)',
  'steps_lease_expiry_idx: running steps only (the ones with a lease), by lease expiry');
SELECT is(pg_get_indexdef('tributary.step_dependencies_depends_on_idx'::regclass),
  'CREATE INDEX step_dependencies_depends_on_idx ON tributary.step_dependencies USING btree (depends_on_step_id)',
  'step_dependencies_depends_on_idx: dependents of a step by depends_on_step_id');
SELECT is(pg_get_indexdef('tributary.workflows_idempotency_key_unique'::regclass),
  'CREATE UNIQUE INDEX workflows_idempotency_key_unique ON tributary.workflows USING btree (idempotency_key) WHERE (idempotency_key IS NOT NULL)',
  'idempotency keys are unique where given');

-- Named CHECK constraints -------------------------------------------------------------------------
SELECT set_has(
  $$SELECT conname::text FROM pg_constraint WHERE conrelid = 'tributary.workflows'::regclass AND contype = 'c'$$,
  $$SELECT unnest(ARRAY['workflows_state_valid', 'workflows_name_not_blank', 'workflows_metadata_is_object',
        'workflows_finalized_at_set_iff_final', 'workflows_cancelled_state_has_cancelled_at',
        'workflows_counters_resolved_together', 'workflows_counters_in_range',
        'workflows_final_means_nothing_unfinished'])$$,
  'workflows has its named CHECK constraints');
SELECT is(
  (SELECT array_agg(conname::text || ' ' || pg_get_constraintdef(oid)) FROM pg_constraint
   WHERE conrelid = 'tributary.steps'::regclass AND contype = 'c'),
  ARRAY['steps_rules CHECK (tributary._step_rules(attempt, cancel_reason, concurrency_key, depends_on, errors, finalized_at, kind, lease_expires_at, map_index, map_over, map_path, map_size, map_step_id, max_attempts, queue, remaining_deps, result, retry_backoff, run_if, run_when, scheduled_at, state, task_name, timeout, wait, wake_at, worker_id))'],
  'steps has one CHECK constraint, its rules'' function of the whole row (each rule: db/tests/structure/step_rules.sql)');
SELECT set_has(
  $$SELECT conname::text FROM pg_constraint WHERE conrelid = 'tributary.step_dependencies'::regclass AND contype = 'c'$$,
  $$SELECT unnest(ARRAY['step_dependencies_not_self'])$$,
  'step_dependencies has its named CHECK constraint');
SELECT set_has(
  $$SELECT conname::text FROM pg_constraint WHERE conrelid = 'tributary.settings'::regclass AND contype = 'c'$$,
  $$SELECT unnest(ARRAY['settings_one_row', 'settings_queue_not_blank', 'settings_max_attempts_positive',
        'settings_timeout_positive', 'settings_backoff_positive', 'settings_lease_positive',
        'settings_hand_back_delay_not_negative', 'settings_hand_back_grace_not_negative',
        'settings_max_map_elements_bounded'])$$,
  'settings has its named CHECK constraints');
SELECT is_empty(
  $$SELECT conrelid::regclass::text || '.' || conname FROM pg_constraint
    WHERE connamespace = 'tributary'::regnamespace AND contype = 'c' AND conname ~ '_check\d*$'$$,
  'no CHECK constraint in tributary carries a generated name');

-- Triggers of the direct-insert path --------------------------------------------------------------
SELECT has_trigger('tributary', 'steps', '_100_check_direct_insert', 'steps has trigger _100_check_direct_insert');
SELECT is(
  (SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'tributary.steps'::regclass AND tgname = '_100_check_direct_insert'),
  format('CREATE TRIGGER _100_check_direct_insert BEFORE INSERT ON tributary.steps FOR EACH ROW WHEN (((current_setting(''tributary.creating_workflow''::text, true) IS DISTINCT FROM ''on''::text) OR (CURRENT_USER <> %L::name))) EXECUTE FUNCTION tributary.tg_steps__check_direct_insert()',
         pg_get_userbyid((SELECT relowner FROM pg_class WHERE oid = 'tributary.steps'::regclass))),
  '_100_check_direct_insert: BEFORE INSERT per row, for every insert not made by create_workflow as the owner');
SELECT has_trigger('tributary', 'workflows', '_100_resolve_at_commit', 'workflows has trigger _100_resolve_at_commit');
SELECT is(
  (SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'tributary.workflows'::regclass AND tgname = '_100_resolve_at_commit'),
  'CREATE CONSTRAINT TRIGGER _100_resolve_at_commit AFTER INSERT ON tributary.workflows DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN ((new.steps_total IS NULL)) EXECUTE FUNCTION tributary.tg_workflows__resolve_at_commit()',
  '_100_resolve_at_commit: a constraint trigger deferred to COMMIT, only for unresolved workflows');
SELECT has_trigger('tributary', 'workflows', '_050_reset_direct_insert', 'workflows has trigger _050_reset_direct_insert');
SELECT is(
  (SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'tributary.workflows'::regclass AND tgname = '_050_reset_direct_insert'),
  format('CREATE TRIGGER _050_reset_direct_insert BEFORE INSERT ON tributary.workflows FOR EACH ROW WHEN (((current_setting(''tributary.creating_workflow''::text, true) IS DISTINCT FROM ''on''::text) OR (CURRENT_USER <> %L::name))) EXECUTE FUNCTION tributary.tg_workflows__reset_direct_insert()',
         pg_get_userbyid((SELECT relowner FROM pg_class WHERE oid = 'tributary.workflows'::regclass))),
  '_050_reset_direct_insert: BEFORE INSERT per row, for every insert not made by create_workflow as the owner');

-- Functions ---------------------------------------------------------------------------------------
SELECT has_function('tributary', f, format('function tributary.%s exists', f))
FROM unnest(ARRAY['now', 'create_workflow', 'claim_step', 'complete_step', 'fail_step', 'heartbeat',
                  'rescue_expired_steps', 'cancel_workflow', 'retry_step', 'retry_workflow',
                  'prune_finished', 'get_workflow', 'list_workflows']) AS f;
SELECT function_returns('tributary', 'create_workflow', 'bigint', 'create_workflow returns the workflow id (bigint)');
SELECT function_returns('tributary', 'create_workflows', ARRAY['jsonb'], 'bigint[]', 'create_workflows returns the ids in input order (bigint[])');
SELECT volatility_is('tributary', 'create_workflows', ARRAY['jsonb'], 'volatile');
SELECT volatility_is('tributary', 'now', ARRAY[]::name[], 'stable');
SELECT volatility_is('tributary', '_backoff', ARRAY['integer', 'interval'], 'volatile');
SELECT volatility_is('tributary', 'create_workflow', ARRAY['text', 'jsonb', 'timestamp with time zone', 'jsonb', 'text'], 'volatile');

-- One query each, so functions added later are covered too.
SELECT is(
  (SELECT array_agg(p.oid::regprocedure::text ORDER BY 1) FROM pg_proc AS p
   WHERE p.pronamespace = 'tributary'::regnamespace
     AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false)
     AND p.oid <> 'tributary._step_rules'::regproc),
  NULL,
  'every function in tributary but _step_rules (a CHECK''s, called per row; every name in it qualified) has SET search_path = pg_catalog, pg_temp');
SELECT is(
  (SELECT array_agg(p.oid::regprocedure::text ORDER BY 1) FROM pg_proc AS p
   WHERE p.pronamespace = 'tributary'::regnamespace
     AND NOT coalesce(p.proconfig @> ARRAY['jit=off'], false)
     AND p.oid <> 'tributary._step_rules'::regproc),
  NULL,
  'every function in tributary but _step_rules has SET jit = off');
SELECT is(
  (SELECT array_agg(p.proname::text ORDER BY 1) FROM pg_proc AS p
   WHERE p.pronamespace = 'tributary'::regnamespace
     AND p.proname IN ('claim_step', 'claim_steps', 'complete_steps_and_claim', 'complete_step', 'complete_steps',
                       'fail_step', 'heartbeat', 'heartbeat_steps',
                       'release_steps', 'rescue_expired_steps', '_unlock_dependents', '_settle_workflows',
                       '_fail_attempt', '_check_attempt', '_notify_available', '_claim_under_limits')
     AND NOT coalesce(p.proconfig @> ARRAY['plan_cache_mode=force_generic_plan', 'enable_seqscan=off',
                                            'enable_bitmapscan=off', 'enable_hashjoin=off', 'enable_mergejoin=off'], false)),
  NULL,
  'the functions workers call over and over plan each statement once per session, as index scans joined by nested loops');
SELECT is(
  (SELECT array_agg(p.proname::text ORDER BY 1) FROM pg_proc AS p
   WHERE p.pronamespace = 'tributary'::regnamespace
     AND p.proname IN ('create_workflow', '_resolve_workflow', 'prune_finished', 'tg_steps__check_direct_insert',
                       'tg_workflows__resolve_at_commit', 'tg_workflows__reset_direct_insert')
     AND coalesce(p.proconfig @> ARRAY['plan_cache_mode=force_custom_plan'], false)),
  NULL,
  'functions that insert or delete many rows keep cached plans (the statements their rows fire, per-row triggers and foreign-key checks, would be re-planned per row)');
SELECT is(
  (SELECT array_agg(p.oid::regprocedure::text ORDER BY 1) FROM pg_proc AS p
   WHERE p.pronamespace = 'tributary'::regnamespace AND p.prosecdef
     AND (p.proname LIKE '\_%' OR p.proname IN ('now', 'tg_refuse_direct_write', 'tg_steps__guard_writes', 'tg_refuse_key_change',
                                           'tg_workflows__truncate_steps', 'tg_steps__truncate_dependencies'))),
  NULL,
  'internal functions, now(), the guards and the TRUNCATE triggers run as their caller (SECURITY INVOKER)');
SELECT is(
  (SELECT array_agg(p.oid::regprocedure::text ORDER BY 1) FROM pg_proc AS p
   WHERE p.pronamespace = 'tributary'::regnamespace AND NOT p.prosecdef
     AND p.proname NOT LIKE '\_%' AND p.proname NOT IN ('now', 'tg_refuse_direct_write', 'tg_steps__guard_writes', 'tg_refuse_key_change',
                                           'tg_workflows__truncate_steps', 'tg_steps__truncate_dependencies',
                                           'complete_steps_and_start')),
  NULL,
  'every entry point (public functions, direct-INSERT triggers) runs as its owner (SECURITY DEFINER), but complete_steps_and_start, which runs as its caller so that starting workflows needs the caller''s right to create them');
SELECT is(
  (SELECT array_agg(p.oid::regprocedure::text ORDER BY 1) FROM pg_proc AS p
   WHERE p.pronamespace = 'tributary'::regnamespace AND obj_description(p.oid, 'pg_proc') IS NULL),
  NULL,
  'every function in tributary has a COMMENT');
SELECT is(
  (SELECT array_agg(c.relname::text ORDER BY 1) FROM pg_class AS c
   WHERE c.relnamespace = 'tributary'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p')
     AND obj_description(c.oid, 'pg_class') IS NULL),
  NULL,
  'every table and view in tributary has a COMMENT');
SELECT is(
  (SELECT array_agg(t.tgname::text ORDER BY 1) FROM pg_trigger AS t JOIN pg_class AS c ON c.oid = t.tgrelid
   WHERE c.relnamespace = 'tributary'::regnamespace AND NOT t.tgisinternal
     AND obj_description(t.oid, 'pg_trigger') IS NULL),
  NULL,
  'every trigger in tributary has a COMMENT');

SELECT * FROM finish();
ROLLBACK;
