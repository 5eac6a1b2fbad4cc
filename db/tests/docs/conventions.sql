-- sql-api.md, "Conventions of the schema": every function runs with search_path = pg_catalog,
-- pg_temp and jit = off but _step_rules (steps' CHECK constraint, every name in it qualified); the entry points (every public function but now and
-- complete_steps_and_start, every trigger function but the three
-- write guards and the two TRUNCATE triggers) are SECURITY DEFINER and the internal functions (_*) are not; every public object
-- has a COMMENT (functions, tables, views).
BEGIN;
SELECT plan(5);

SELECT set_eq(
  $$SELECT p.oid::regprocedure::text FROM pg_proc AS p WHERE p.pronamespace = 'tributary'::regnamespace
      AND NOT (coalesce(p.proconfig, '{}') @> ARRAY['search_path=pg_catalog, pg_temp', 'jit=off'])$$,
  $$SELECT 'tributary._step_rules'::regproc::oid::regprocedure::text$$,
  'every function sets search_path = pg_catalog, pg_temp and jit = off, but steps'' CHECK function _step_rules');
SELECT is(
  (SELECT array_agg(p.proname::text ORDER BY p.proname) FROM pg_proc AS p
   WHERE p.pronamespace = 'tributary'::regnamespace AND NOT p.prosecdef AND p.proname NOT LIKE '\_%'),
  ARRAY['complete_steps_and_start', 'now', 'tg_refuse_direct_write', 'tg_refuse_key_change', 'tg_steps__guard_writes',
        'tg_steps__truncate_dependencies', 'tg_workflows__truncate_steps'],
  'every entry point but now, complete_steps_and_start, the three write guards and the two TRUNCATE triggers is SECURITY DEFINER');
SELECT is_empty(
  $$SELECT p.proname::text FROM pg_proc AS p WHERE p.pronamespace = 'tributary'::regnamespace AND p.prosecdef AND p.proname LIKE '\_%'$$,
  'no internal function is SECURITY DEFINER (they run inside the entry points)');
SELECT is_empty(
  $$SELECT p.oid::regprocedure::text FROM pg_proc AS p WHERE p.pronamespace = 'tributary'::regnamespace
      AND p.proname NOT LIKE '\_%' AND obj_description(p.oid, 'pg_proc') IS NULL
    UNION ALL
    SELECT c.oid::regclass::text FROM pg_class AS c WHERE c.relnamespace = 'tributary'::regnamespace
      AND c.relkind IN ('r', 'v') AND obj_description(c.oid, 'pg_class') IS NULL$$,
  'every public function, table and view has a COMMENT');

-- operations.md: a member of tributary_worker fires schedules with EXECUTE alone.
SELECT tributary.create_schedule('docs-worker-fires', 'w', '[{"name": "a", "kind": "k"}]', p_every => '1 minute');
SELECT tributary_test.set_now(now() + interval '2 minutes');
SELECT role_name AS worker FROM tributary.roles WHERE purpose = 'worker' \gset
SET LOCAL ROLE :"worker";
SELECT outcome AS fired, current_user AS fired_by FROM tributary.fire_due_schedules() WHERE schedule_name = 'docs-worker-fires' \gset
RESET ROLE;
SELECT is(:'fired' || ' by ' || :'fired_by', 'fired by ' || :'worker',
  'fire_due_schedules as the worker role creates the workflow (no table privilege needed)');

SELECT * FROM finish();
ROLLBACK;
