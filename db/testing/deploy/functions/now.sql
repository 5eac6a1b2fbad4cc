-- Deploy tributary_test:functions/now
-- requires: schema
--
-- Puts the engine's clock under the kit's control. tributary.now() is replaced (CREATE OR
-- REPLACE keeps its oid, owner, grants, and the column defaults that call it) by a version that
-- returns the time the setting tributary_test.fake_now holds, when set_now()/advance() set it,
-- and the transaction time otherwise. Same attributes as the production clock, so every plan
-- that calls it stays as it is. The production definition and comment are kept in
-- tributary_test.production_now, and the revert puts them back: production databases, which
-- never deploy the kit, have no setting that moves their clock.
BEGIN;

CREATE TABLE tributary_test.production_now (
  definition text NOT NULL,
  description text
);

COMMENT ON TABLE tributary_test.production_now IS
  'The definition and comment of tributary.now() the kit replaced; its revert restores them.';

INSERT INTO tributary_test.production_now (definition, description)
SELECT pg_catalog.pg_get_functiondef(p.oid), pg_catalog.obj_description(p.oid, 'pg_proc')
FROM pg_catalog.pg_proc AS p
WHERE p.oid = 'tributary.now()'::regprocedure;

CREATE OR REPLACE FUNCTION tributary.now()
RETURNS timestamptz
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_custom_plan
SET jit = off
AS $$
BEGIN
  RETURN coalesce(NULLIF(pg_catalog.current_setting('tributary_test.fake_now', true), '')::timestamptz,
                  pg_catalog.now());
END;
$$;

COMMENT ON FUNCTION tributary.now() IS
  'The engine clock, under the testing kit''s control: the time tributary_test.set_now()/advance() set in this session, else the transaction time.';

COMMIT;
