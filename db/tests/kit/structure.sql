-- Structure of the testing kit (schema tributary_test, project db/testing): its public
-- functions, the rules every kit function follows (search_path = pg_catalog, pg_temp, no SECURITY DEFINER, a
-- COMMENT), and the engine clock it installs, which keeps the production clock's attributes so
-- the engine's plans do not change. Our own fixtures (db/tests/fixtures.sql) are left out.
BEGIN;
SELECT plan(36);

SELECT has_schema('tributary_test');
SELECT isnt(obj_description('tributary_test'::regnamespace, 'pg_namespace'), NULL, 'schema tributary_test has a COMMENT');
SELECT has_table('tributary_test', 'claims', 'table tributary_test.claims exists');
SELECT isnt(obj_description('tributary_test.claims'::regclass, 'pg_class'), NULL, 'table tributary_test.claims has a COMMENT');

-- its 18 public functions and 3 internal ones
SELECT has_function('tributary_test', f, a, format('tributary_test.%s(%s) exists', f, array_to_string(a, ', ')))
FROM (VALUES
  ('set_now', ARRAY['timestamp with time zone']), ('advance', ARRAY['interval']), ('reset_now', ARRAY[]::text[]),
  ('step_id', ARRAY['bigint', 'text']), ('step_state', ARRAY['bigint', 'text']), ('workflow_state', ARRAY['bigint']),
  ('claim', ARRAY['bigint', 'text', 'text']), ('complete', ARRAY['bigint', 'text', 'jsonb']),
  ('fail', ARRAY['bigint', 'text', 'jsonb', 'boolean']), ('release', ARRAY['bigint', 'text']),
  ('run', ARRAY['bigint', 'text', 'jsonb']), ('expire_lease', ARRAY['bigint', 'text']),
  ('workflow_state_is', ARRAY['bigint', 'text', 'text']), ('step_state_is', ARRAY['bigint', 'text', 'text', 'text']),
  ('step_result_is', ARRAY['bigint', 'text', 'jsonb', 'text']),
  ('step_attempts_are', ARRAY['bigint', 'text', 'integer', 'text']),
  ('dependency_results_are', ARRAY['bigint', 'text', 'jsonb', 'text']),
  ('steps_claimable_are', ARRAY['bigint', 'text[]', 'text']),
  ('_tap', ARRAY['boolean', 'text', 'text', 'text', 'text[]']), ('_step', ARRAY['bigint', 'text']),
  ('_claimable_tasks', ARRAY['bigint'])) AS v(f, a);

-- The kit's own functions: the ones its sqitch changes create, not the fixtures added on top.
CREATE TEMP TABLE kit_functions ON COMMIT DROP AS
SELECT p.oid, p.proname, p.proconfig, p.prosecdef
FROM pg_proc AS p
WHERE p.pronamespace = 'tributary_test'::regnamespace
  AND p.proname NOT IN ('diamond', 'chain', 'drain', 'error_of', 'insert_workflow');

SELECT is((SELECT count(*)::int FROM kit_functions), 24, 'the kit has 24 functions (18 public, 6 internal)');
SELECT is_empty($$SELECT proname FROM kit_functions WHERE NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (proconfig), false)$$,
  'every kit function pins search_path = pg_catalog, pg_temp');
SELECT is_empty($$SELECT proname FROM kit_functions WHERE prosecdef$$, 'no kit function is SECURITY DEFINER');
SELECT is_empty($$SELECT proname FROM kit_functions WHERE obj_description(oid, 'pg_proc') IS NULL$$,
  'every kit function has a COMMENT');

-- The clock the kit installs keeps the production clock's attributes.
SELECT function_lang_is('tributary', 'now', ARRAY[]::text[], 'plpgsql', 'the kit''s tributary.now() is PL/pgSQL');
SELECT volatility_is('tributary', 'now', ARRAY[]::text[], 'stable', 'the kit''s tributary.now() is STABLE');
SELECT is((SELECT proparallel FROM pg_proc WHERE oid = 'tributary.now()'::regprocedure), 's',
  'the kit''s tributary.now() is PARALLEL SAFE');
SELECT is((SELECT proconfig FROM pg_proc WHERE oid = 'tributary.now()'::regprocedure),
  ARRAY['search_path=pg_catalog, pg_temp', 'plan_cache_mode=force_custom_plan', 'jit=off'],
  'the kit''s tributary.now() has the production clock''s settings');
SELECT alike((SELECT definition FROM tributary_test.production_now),
  '%STABLE PARALLEL SAFE%SET search_path TO ''pg_catalog'', ''pg_temp''%SET plan_cache_mode TO ''force_custom_plan''%SET jit TO ''off''%',
  'the production clock it saved has the same settings');

-- The assertions find pgTAP themselves: they work whatever the caller's search_path.
SELECT tributary.create_workflow('anywhere', '[{"name": "a", "kind": "k"}]') AS wf \gset
SET LOCAL search_path = pg_catalog;
SELECT tributary_test.workflow_state_is(:wf, 'running') AS output \gset
RESET search_path;
SELECT :'output'::text;  -- that assertion's own line of TAP
SELECT matches(:'output'::text, '^ok \d+ - workflow \d+ should be running$',
  'an assertion works with a search_path that does not list pgTAP');

SELECT * FROM finish();
ROLLBACK;
