-- Deploy tributary_test:schema
-- requires: tributary:functions/now
--
-- The testing kit: helpers for pgTAP suites on TEST databases only. Production deploys the
-- project `tributary` (the engine) and never this one. The kit moves the engine's clock
-- (set_now, advance, reset_now), works named steps as a fake worker in SQL (claim, complete,
-- fail, release, run, expire_lease) and asserts in pgTAP's style (workflow_state_is,
-- step_state_is, step_result_is, step_attempts_are, dependency_results_are,
-- steps_claimable_are). Every state change still happens in the engine's functions: the kit
-- only calls them. See docs/testing.md.
BEGIN;

DO $$
BEGIN
  IF pg_catalog.to_regprocedure('tributary.claim_step(text, text, integer)') IS NULL THEN
    RAISE EXCEPTION 'the testing kit needs the tributary engine deployed first'
      USING ERRCODE = 'TB011', HINT = 'Deploy the project tributary (sqitch deploy, or tributary migrate up), then the kit.';
  END IF;
END
$$;

CREATE SCHEMA tributary_test;

COMMENT ON SCHEMA tributary_test IS
  'The Tributary testing kit (test databases only): the engine clock under the test''s control, a fake worker in SQL and pgTAP assertions. See docs/testing.md.';

COMMIT;
