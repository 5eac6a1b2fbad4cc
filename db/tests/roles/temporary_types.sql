-- A session's temporary types never stand in for the built-in ones inside the engine
-- (functions/search_path_temp_last). PostgreSQL searches the temporary schema first for type
-- names unless search_path lists it: with search_path = '' a caller's pg_temp.text, with a cast
-- from pg_catalog.text, was what the engine's text variables and ::text casts meant, and the
-- cast's function ran as the schema's owner. Here a submitter and then a worker set that trap
-- before the engine's functions are compiled in the session (this file's first statements) and
-- call them: the cast never runs, and a bad step inserted directly is still refused by the rules.
BEGIN;
SELECT plan(5);

SELECT role_name AS worker FROM tributary.roles WHERE purpose = 'worker' \gset
SELECT role_name AS submitter FROM tributary.roles WHERE purpose = 'submitter' \gset

CREATE TEMP TABLE cast_calls (role_name pg_catalog.name, call pg_catalog.text) ON COMMIT DROP;
CREATE TEMP TABLE outcomes (call pg_catalog.text, outcome pg_catalog.text) ON COMMIT DROP;
GRANT ALL ON cast_calls, outcomes TO PUBLIC;

SET LOCAL ROLE :"submitter";
CREATE TYPE pg_temp.text AS ENUM ('trap');
CREATE FUNCTION pg_temp.trap(p pg_catalog.text) RETURNS pg_temp.text LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO pg_temp.cast_calls VALUES (CURRENT_USER, p);
  RETURN NULL;
END;
$$;
CREATE CAST (pg_catalog.text AS pg_temp.text) WITH FUNCTION pg_temp.trap(pg_catalog.text) AS ASSIGNMENT;

DO $$
DECLARE
  v_workflow pg_catalog.int8;
BEGIN
  v_workflow := tributary.create_workflow('trap', '[{"name": "a", "kind": "k", "queue": "trapq"}]');
  INSERT INTO pg_temp.outcomes VALUES ('create_workflow', 'created');
  INSERT INTO tributary.workflows (name) VALUES ('trap-direct') RETURNING id INTO v_workflow;
  BEGIN
    INSERT INTO tributary.steps (workflow_id, task_name, kind, queue) VALUES (v_workflow, 'a', '', 'trapq');
    INSERT INTO pg_temp.outcomes VALUES ('direct insert', 'inserted');
  EXCEPTION WHEN check_violation THEN
    DECLARE v_rule pg_catalog.text;
    BEGIN
      GET STACKED DIAGNOSTICS v_rule = CONSTRAINT_NAME;
      INSERT INTO pg_temp.outcomes VALUES ('direct insert', 'refused: ' OPERATOR(pg_catalog.||) v_rule);
    END;
  END;
END
$$;

SET LOCAL ROLE :"worker";
DO $$
DECLARE
  v_claimed pg_catalog.int4;
BEGIN
  SELECT pg_catalog.count(*) INTO v_claimed FROM tributary.claim_step('trapq', 'trap-worker', 8);
  INSERT INTO pg_temp.outcomes VALUES ('claim_step', 'claimed ' OPERATOR(pg_catalog.||) v_claimed);
END
$$;
RESET ROLE;

-- Out of the way before the assertions (pgTAP's own functions are compiled in this session too).
DROP CAST (pg_catalog.text AS pg_temp.text);
DROP FUNCTION pg_temp.trap(pg_catalog.text);
DROP TYPE pg_temp.text;

SELECT is((SELECT outcome FROM outcomes WHERE call = 'create_workflow'), 'created',
  'create_workflow works beside a temporary type named text');
SELECT is((SELECT outcome FROM outcomes WHERE call = 'direct insert'), 'refused: steps_kind_not_blank',
  'a step with a blank kind inserted directly is refused by the rules beside a temporary type named text');
SELECT is((SELECT outcome FROM outcomes WHERE call = 'claim_step'), 'claimed 1',
  'claim_step works beside a temporary type named text');
SELECT is_empty($$SELECT role_name, call FROM cast_calls$$,
  'the engine never ran the temporary cast (as its owner or anyone)');
SELECT is_empty(
  $$SELECT p.oid::regprocedure::text FROM pg_proc AS p
    WHERE p.pronamespace = 'tributary'::regnamespace AND p.proname <> '_step_rules'
      AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false)$$,
  'every function but _step_rules searches pg_catalog before the temporary schema');

SELECT * FROM finish();
ROLLBACK;
