-- A user's pgTAP suite for a nightly ETL workflow, written with the Tributary testing kit only
-- (schema tributary_test; see docs/testing.md). No worker process runs and nothing sleeps: the
-- test plays the worker (tributary_test.claim/complete/fail) and moves the engine's clock.
--
--   extract (3 attempts, 30 s backoff) -> transform -> load
--                                      \-> audit
--
-- Run it with pg_prove on a test database where the engine and the kit are deployed:
--   pg_prove --ext .sql examples/pgtap/
BEGIN;
SELECT plan(17);

-- The workflow, as the application creates it.
CREATE FUNCTION pg_temp.nightly_etl(p_day date) RETURNS bigint LANGUAGE sql AS $$
  SELECT tributary.create_workflow('nightly_etl', jsonb_build_array(
    jsonb_build_object('name', 'extract', 'kind', 'etl_extract', 'args', jsonb_build_object('day', p_day),
                       'max_attempts', 3, 'retry_backoff', '30 seconds'),
    jsonb_build_object('name', 'transform', 'kind', 'etl_transform', 'depends_on', jsonb_build_array('extract')),
    jsonb_build_object('name', 'load', 'kind', 'etl_load', 'depends_on', jsonb_build_array('transform')),
    jsonb_build_object('name', 'audit', 'kind', 'etl_audit', 'depends_on', jsonb_build_array('extract'))))
$$;

SELECT tributary_test.set_now('2030-03-01 02:00:00+00');

-- 1. When extract fails twice, load still runs, with the third attempt's result --------------
SELECT pg_temp.nightly_etl('2030-02-28') AS wf \gset
SELECT tributary_test.steps_claimable_are(:wf, ARRAY['extract'], 'only extract can start');

SELECT tributary_test.claim(:wf, 'extract');
SELECT tributary_test.fail(:wf, 'extract', '{"message": "source timed out"}');
SELECT tributary_test.steps_claimable_are(:wf, '{}', 'the retry waits for its backoff');
SELECT tributary_test.advance('1 minute');  -- past the 30 s backoff (with its jitter)
SELECT tributary_test.claim(:wf, 'extract');
SELECT tributary_test.fail(:wf, 'extract', '{"message": "source timed out"}');
SELECT tributary_test.advance('2 minutes');  -- the second backoff is twice as long
SELECT tributary_test.claim(:wf, 'extract');
SELECT tributary_test.complete(:wf, 'extract', '{"rows": 1200, "file": "2030-02-28.csv"}');

SELECT tributary_test.step_attempts_are(:wf, 'extract', 3, 'extract needed three attempts');
SELECT tributary_test.steps_claimable_are(:wf, ARRAY['audit', 'transform'], 'both dependents are unlocked');

SELECT tributary_test.claim(:wf, 'transform');
SELECT tributary_test.dependency_results_are(:wf, 'transform', '{"extract": {"rows": 1200, "file": "2030-02-28.csv"}}',
  'transform receives the third attempt''s result');
SELECT tributary_test.complete(:wf, 'transform', '{"rows": 1180}');
SELECT tributary_test.claim(:wf, 'load');
SELECT tributary_test.dependency_results_are(:wf, 'load', '{"transform": {"rows": 1180}}',
  'load receives transform''s result, by task name');
SELECT tributary_test.complete(:wf, 'load', '{"loaded": 1180}');
SELECT tributary_test.run(:wf, 'audit');

SELECT tributary_test.step_result_is(:wf, 'load', '{"loaded": 1180}', 'load stored its result');
SELECT tributary_test.workflow_state_is(:wf, 'completed', 'the night''s run completed');

-- 2. When extract fails three times, nothing downstream runs and the workflow fails ----------
SELECT pg_temp.nightly_etl('2030-03-01') AS wf2 \gset
SELECT tributary_test.claim(:wf2, 'extract');
SELECT tributary_test.fail(:wf2, 'extract', '{"message": "source timed out"}');
SELECT tributary_test.advance('1 minute');
SELECT tributary_test.claim(:wf2, 'extract');
SELECT tributary_test.fail(:wf2, 'extract', '{"message": "source timed out"}');
SELECT tributary_test.advance('2 minutes');
SELECT tributary_test.claim(:wf2, 'extract');
SELECT is(tributary_test.fail(:wf2, 'extract', '{"message": "source gone"}'), 'discarded',
  'the third failure discards extract');
SELECT tributary_test.step_state_is(:wf2, 'transform', 'cancelled', 'transform will never run');
SELECT tributary_test.step_state_is(:wf2, 'load', 'cancelled', 'nor will load');
SELECT tributary_test.workflow_state_is(:wf2, 'failed', 'the workflow failed');

-- 3. A worker that dies mid-load loses its lease; another worker finishes the job -------------
SELECT pg_temp.nightly_etl('2030-03-02') AS wf3 \gset
SELECT tributary_test.run(:wf3, 'extract', '{"rows": 5}');
SELECT tributary_test.run(:wf3, 'transform', '{"rows": 5}');
SELECT tributary_test.claim(:wf3, 'load', 'worker-that-dies');
SELECT tributary_test.expire_lease(:wf3, 'load');
SELECT is(tributary.rescue_expired_steps(), 1, 'the expired lease is rescued');
SELECT tributary_test.step_state_is(:wf3, 'load', 'available', 'load is back in its queue');
SELECT throws_ok(
  format('SELECT tributary.complete_step(%s, 1, ''{}'')', tributary_test.step_id(:wf3, 'load')), 'TB007', NULL,
  'the dead worker''s late completion is refused');
SELECT tributary_test.advance('1 minute');
SELECT is(tributary_test.claim(:wf3, 'load', 'healthy-worker'), 2, 'another worker takes attempt 2');
SELECT tributary_test.complete(:wf3, 'load', '{"loaded": 5}');
SELECT tributary_test.run(:wf3, 'audit');
SELECT tributary_test.workflow_state_is(:wf3, 'completed', 'the workflow completed after the crash');

SELECT * FROM finish();
ROLLBACK;
