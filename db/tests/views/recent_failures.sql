-- recent_failures: steps whose last failed attempt happened within the past day, newest first,
-- with the last error's message; older failures are not listed.
BEGIN;
SELECT plan(6);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT tributary.create_workflow('failures', $$[
  {"name": "old", "kind": "k_old", "queue": "rf-old"},
  {"name": "new", "kind": "k_new", "queue": "rf-new", "max_attempts": 1},
  {"name": "newer", "kind": "k_newer", "queue": "rf-newer"},
  {"name": "fine", "kind": "k_fine", "queue": "rf-fine"}
]$$) AS wf \gset
SELECT tributary_test.step_id(:wf, 'old') AS old \gset
SELECT tributary_test.step_id(:wf, 'new') AS new \gset
SELECT tributary_test.step_id(:wf, 'newer') AS newer \gset

SELECT tributary.fail_step(:old, tributary_test.claim(:wf, 'old'), '{"message": "old boom"}');
SELECT tributary_test.set_now('2030-01-03 00:00:00+00');
SELECT tributary.fail_step(:new, tributary_test.claim(:wf, 'new'), '{"message": "new boom", "detail": "d"}');
SELECT tributary_test.set_now('2030-01-03 01:00:00+00');
SELECT tributary.fail_step(:newer, tributary_test.claim(:wf, 'newer'), '"plain text error"');
SELECT tributary_test.drain('rf-fine');

SELECT results_eq(
  format('SELECT step_id, task_name, kind, state, attempt, max_attempts, failed_at, message FROM tributary.recent_failures WHERE workflow_id = %s', :wf),
  format($$VALUES (%s::bigint, 'newer', 'k_newer', 'available', 1, 5, '2030-01-03 01:00:00+00'::timestamptz, 'plain text error'),
                  (%s::bigint, 'new', 'k_new', 'discarded', 1, 1, '2030-01-03 00:00:00+00'::timestamptz, 'new boom')$$,
         :newer, :new),
  'the failures of the past day, newest first, with state, attempts, time and message; not the one two days old');
SELECT results_eq(
  format($$SELECT error - 'at', (error ->> 'at')::timestamptz FROM tributary.recent_failures WHERE step_id = %s$$, :new),
  $$VALUES ('{"attempt": 1, "worker_id": "test-worker", "retryable": true, "message": "new boom", "detail": "d"}'::jsonb,
            '2030-01-03 00:00:00+00'::timestamptz)$$,
  'the error column is the whole last error entry');
SELECT is((SELECT count(*) FROM tributary.recent_failures WHERE step_id = :old), 0::bigint,
  'a step that failed two days ago is not listed');

-- A later failure of the old step lists it again, with its last message.
SELECT tributary_test.advance('1 minute');
SELECT tributary.fail_step(:old, tributary_test.claim(:wf, 'old'), '{"message": "old boom again"}');
SELECT results_eq(
  format('SELECT task_name, attempt, message FROM tributary.recent_failures WHERE workflow_id = %s LIMIT 1', :wf),
  $$VALUES ('old', 2, 'old boom again')$$,
  'a new failure of the old step puts it first, with its last message');

-- The engine's keys of an error entry (attempt, at, worker_id, retryable) win over keys of the
-- same name in the worker's error object: an "at" that is not a timestamp must not break the view
-- (it did once: invalid input syntax for type timestamp with time zone), nor "attempt" falsify
-- the history.
SELECT tributary.create_workflow('forged', '[{"name": "f", "kind": "noop", "queue": "rf-forged"}]') AS wf_forged \gset
SELECT tributary.fail_step(tributary_test.step_id(:wf_forged, 'f'), tributary_test.claim(:wf_forged, 'f'),
                           '{"message": "m", "at": "yesterday-ish", "attempt": 99, "retryable": false}');
SELECT lives_ok('SELECT * FROM tributary.recent_failures',
  'recent_failures still works after a worker reported an error object with its own "at"');
SELECT is(
  (SELECT errors -> -1 ->> 'attempt' FROM tributary.steps WHERE workflow_id = :wf_forged), '1',
  'the error history records the real attempt, not the one in the worker''s error object');

SELECT * FROM finish();
ROLLBACK;
