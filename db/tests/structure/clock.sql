-- tributary.now(): the transaction time, or the tributary.fake_now setting when a test moves the
-- clock (tributary_test.set_now/advance/reset_now); the engine stamps rows with it.
BEGIN;
SELECT plan(9);

SELECT tributary_test.reset_now();
SELECT is(tributary.now(), now(), 'without a fake time, tributary.now() is the transaction time');

SELECT is(tributary_test.set_now('2030-01-01 00:00:00+00'), '2030-01-01 00:00:00+00'::timestamptz,
  'set_now returns the time it set');
SELECT is(tributary.now(), '2030-01-01 00:00:00+00'::timestamptz, 'tributary.now() follows set_now');
SELECT is(tributary_test.advance('90 seconds'), '2030-01-01 00:01:30+00'::timestamptz,
  'advance moves the clock forward from its current value');
SELECT is(tributary.now(), '2030-01-01 00:01:30+00'::timestamptz, 'tributary.now() follows advance');

SELECT tributary.create_workflow('clock', '[{"name": "a", "kind": "noop"}]') AS wf \gset
SELECT results_eq(
  format('SELECT created_at, scheduled_at FROM tributary.workflows WHERE id = %s', :wf),
  $$VALUES (timestamptz '2030-01-01 00:01:30+00', timestamptz '2030-01-01 00:01:30+00')$$,
  'a workflow is stamped with the engine clock');
SELECT results_eq(
  format('SELECT created_at, scheduled_at FROM tributary.steps WHERE workflow_id = %s', :wf),
  $$VALUES (timestamptz '2030-01-01 00:01:30+00', timestamptz '2030-01-01 00:01:30+00')$$,
  'its steps are stamped with the engine clock');

SELECT tributary_test.reset_now();
SELECT is(tributary.now(), now(), 'reset_now goes back to the transaction time');
SELECT is(current_setting('tributary.fake_now'), '', 'reset_now leaves tributary.fake_now empty');

SELECT * FROM finish();
ROLLBACK;
