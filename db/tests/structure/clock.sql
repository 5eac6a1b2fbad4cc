-- tributary.now() is the engine's one clock: every timestamp the engine writes comes from it. On
-- this test database the testing kit controls it (db/tests/kit/clock.sql tests that control);
-- the production clock it replaced ignores every setting (scripts/test checks it on a production
-- deploy, tests/test_testing_kit.py on both).
BEGIN;
SELECT plan(6);

SELECT tributary_test.reset_now();
SELECT is(tributary.now(), now(), 'without a set time, tributary.now() is the transaction time');
SELECT volatility_is('tributary', 'now', ARRAY[]::text[], 'stable', 'tributary.now() is STABLE');

SELECT tributary_test.set_now('2030-01-01 00:01:30+00');
SELECT tributary.create_workflow('clock', '[{"name": "a", "kind": "noop"}]') AS wf \gset
SELECT results_eq(
  format('SELECT created_at, scheduled_at FROM tributary.workflows WHERE id = %s', :wf),
  $$VALUES (timestamptz '2030-01-01 00:01:30+00', timestamptz '2030-01-01 00:01:30+00')$$,
  'a workflow is stamped with the engine clock');
SELECT results_eq(
  format('SELECT created_at, scheduled_at FROM tributary.steps WHERE workflow_id = %s', :wf),
  $$VALUES (timestamptz '2030-01-01 00:01:30+00', timestamptz '2030-01-01 00:01:30+00')$$,
  'its steps are stamped with the engine clock');

-- The production clock the kit saved: the transaction time, whatever any setting says.
SELECT alike((SELECT definition FROM tributary_test.production_now), '%RETURN pg_catalog.now();%',
  'the production clock the kit replaced returns pg_catalog.now()');
SELECT unalike((SELECT definition FROM tributary_test.production_now), '%current_setting%',
  'the production clock reads no setting');

SELECT * FROM finish();
ROLLBACK;
