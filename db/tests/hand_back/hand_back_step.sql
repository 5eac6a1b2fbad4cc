-- hand_back_step: a step its claiming process cannot run goes back for another process without
-- counting an attempt, claimable after settings.hand_back_delay; consecutive hand-backs keep one
-- entry of the error history; once settings.hand_back_grace has passed since the first hand-back
-- of the streak the step is discarded with a reason that says so, its dependents cancelled. A
-- real failure ends a streak. Fencing and bad reasons are refused.
BEGIN;
SELECT plan(33);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT tributary.create_workflow('rolling', $$[
  {"name": "a", "kind": "ghost", "queue": "hb", "max_attempts": 1},
  {"name": "b", "kind": "noop", "queue": "hb", "depends_on": ["a"]}
]$$) AS wf \gset
SELECT tributary_test.step_id(:wf, 'a') AS a \gset

SELECT is((SELECT attempt FROM tributary.claim_step('hb', 'old-1')), 1, 'the old process claims a');
SELECT is(tributary.hand_back_step(:a, 1, 'unknown_kind', '{"message": "no worker is registered for kind \"ghost\"", "type": "UnknownKind"}'),
  'available', 'hand_back_step returns available');
SELECT results_eq(
  format('SELECT state, attempt, max_attempts, scheduled_at, worker_id, lease_expires_at FROM tributary.steps WHERE id = %s', :a),
  $$VALUES ('available', 1, 2, '2030-01-01 00:00:05+00'::timestamptz, 'old-1', NULL::timestamptz)$$,
  'available again after hand_back_delay (5 s); max_attempts grew with attempt: the attempt does not count');
SELECT results_eq(
  format($$SELECT e ->> 'reason', e ->> 'handed_back', (e ->> 'since')::timestamptz, (e ->> 'hand_backs')::int, e ->> 'message', e ->> 'type', e ->> 'worker_id'
           FROM tributary.steps, jsonb_array_elements(errors) AS e WHERE id = %s$$, :a),
  $$VALUES ('unknown_kind', 'true', '2030-01-01 00:00:00+00'::timestamptz, 1, 'no worker is registered for kind "ghost"', 'UnknownKind', 'old-1')$$,
  'the error history records the hand-back: reason, since, count, the process''s message');
SELECT is_empty($$SELECT * FROM tributary.claim_step('hb', 'old-1')$$, 'not claimable before the delay has passed');

SELECT tributary_test.advance('5 seconds');
SELECT is((SELECT attempt FROM tributary.claim_step('hb', 'old-1')), 2, 'claimable once the delay has passed');
SELECT is(tributary.hand_back_step(:a, 2, 'unknown_kind', '{"message": "again"}'), 'available', 'a second hand-back');
SELECT results_eq(
  format($$SELECT jsonb_array_length(errors), (errors -> -1 ->> 'since')::timestamptz, (errors -> -1 ->> 'hand_backs')::int,
                  (errors -> -1 ->> 'at')::timestamptz, errors -> -1 ->> 'message', max_attempts
           FROM tributary.steps WHERE id = %s$$, :a),
  $$VALUES (1, '2030-01-01 00:00:00+00'::timestamptz, 2, '2030-01-01 00:00:05+00'::timestamptz, 'again', 3)$$,
  'the streak keeps one entry: since unchanged, the count and the time updated');
SELECT throws_ok(format($$SELECT tributary.hand_back_step(%s, 1, 'unknown_kind')$$, :a), 'TB007', NULL,
  'a stale attempt cannot hand back');

SELECT tributary_test.advance('5 seconds');
SELECT is((SELECT attempt FROM tributary.claim_step('hb', 'new-1')), 3, 'a process that knows the kind claims it');
SELECT lives_ok(format('SELECT tributary.complete_step(%s, 3, %L)', :a, '{"ok": true}'),
  'and completes it, though max_attempts was 1 and two attempts were handed back');
SELECT is(tributary_test.step_state(:wf, 'a'), 'completed', 'a completed');
SELECT is(tributary_test.step_state(:wf, 'b'), 'available', 'its dependent b is available');

-- Grace: discarded once no process could run it for hand_back_grace since the first hand-back.
SELECT tributary_test.set_now('2030-01-02 00:00:00+00');
SELECT tributary.create_workflow('abandoned', $$[
  {"name": "c", "kind": "ghost", "queue": "hb2"},
  {"name": "d", "kind": "noop", "queue": "hb2", "depends_on": ["c"]}
]$$) AS wf2 \gset
SELECT tributary_test.step_id(:wf2, 'c') AS c \gset
SELECT tributary.claim_step('hb2', 'old-1');
SELECT is(tributary.hand_back_step(:c, 1, 'unknown_kind', '{"message": "unknown"}'), 'available', 'first hand-back at 00:00');
SELECT tributary_test.advance('9 minutes 55 seconds');
SELECT tributary.claim_step('hb2', 'old-2');
SELECT is(tributary.hand_back_step(:c, 2, 'unknown_kind', '{"message": "unknown"}'), 'available',
  '9 min 55 s later: still within the 10-minute grace');
SELECT tributary_test.advance('5 seconds');
SELECT tributary.claim_step('hb2', 'old-1');
SELECT is(tributary.hand_back_step(:c, 3, 'unknown_kind', '{"message": "unknown to old-1"}'), 'discarded',
  'once the grace has passed since the first hand-back, the step is discarded');
SELECT results_eq(
  format($$SELECT state, jsonb_array_length(errors), errors -> -1 ->> 'reason', errors -> -1 ->> 'handed_back',
                  errors -> -1 ->> 'retryable', (errors -> -1 ->> 'hand_backs')::int, errors -> -1 ->> 'last_error'
           FROM tributary.steps WHERE id = %s$$, :c),
  $$VALUES ('discarded', 1, 'unknown_kind', 'false', 'false', 3, 'unknown to old-1')$$,
  'the streak''s entry becomes the final one: not retryable, with the last process message');
SELECT is((SELECT errors -> -1 ->> 'message' FROM tributary.steps WHERE id = :c),
  'no worker process could run kind "ghost" (task "c") for 00:10:00: none has a worker registered for it',
  'its message says no worker process could run the kind for the grace period');
SELECT is(tributary_test.step_state(:wf2, 'd'), 'cancelled', 'its dependent is cancelled');
SELECT is(tributary_test.workflow_state(:wf2), 'failed', 'the workflow failed');

-- missing_key, a zero delay (claimable at once), and a real failure ending a streak.
UPDATE tributary.settings SET hand_back_delay = '0', hand_back_grace = '1 hour';
SELECT tributary.create_workflow('sealed', '[{"name": "e", "kind": "noop", "queue": "hb3", "max_attempts": 3, "retry_backoff": 0}]') AS wf3 \gset
SELECT tributary_test.step_id(:wf3, 'e') AS e \gset
SELECT tributary.claim_step('hb3', 'keyless');
SELECT is(tributary.hand_back_step(:e, 1, 'missing_key', '"sealed with key \"k2\", which this worker does not have"'), 'available',
  'missing_key: handed back (a plain JSON string as the error)');
SELECT is((SELECT scheduled_at FROM tributary.steps WHERE id = :e), tributary.now(), 'a zero delay: claimable at once');
SELECT is((SELECT errors -> -1 ->> 'message' FROM tributary.steps WHERE id = :e), 'sealed with key "k2", which this worker does not have',
  'the string is the entry''s message');
SELECT tributary.claim_step('hb3', 'keyed');
SELECT tributary.fail_step(:e, 2, '{"message": "a real failure"}');
SELECT tributary_test.advance('1 minute');
SELECT tributary.claim_step('hb3', 'keyless');
SELECT tributary.hand_back_step(:e, 3, 'missing_key', '{"message": "no key"}');
SELECT results_eq(
  format($$SELECT jsonb_array_length(errors), (errors -> -1 ->> 'since')::timestamptz, (errors -> -1 ->> 'hand_backs')::int, attempt, max_attempts
           FROM tributary.steps WHERE id = %s$$, :e),
  $$VALUES (3, '2030-01-02 00:11:00+00'::timestamptz, 1, 3, 5)$$,
  'a real failure ends a streak: the next hand-back starts a new one (since = now); only the real failure counted');
UPDATE tributary.settings SET hand_back_grace = '0';
SELECT tributary.claim_step('hb3', 'keyless');
SELECT is(tributary.hand_back_step(:e, 4, 'missing_key', '{"message": "no key"}'), 'discarded', 'a zero grace discards at the first hand-back');
SELECT is((SELECT errors -> -1 ->> 'message' FROM tributary.steps WHERE id = :e),
  'no worker process could open the payloads of task "e" for 00:00:00: none has the key they are sealed with',
  'missing_key: the message says no process had the key');

-- Refused: a bad reason (nothing changes), an unknown step, a cancelled one; bad settings.
UPDATE tributary.settings SET hand_back_delay = '5 seconds', hand_back_grace = '10 minutes';
SELECT tributary.create_workflow('refusals', '[{"name": "f", "kind": "noop", "queue": "hb4"}]') AS wf4 \gset
SELECT tributary_test.step_id(:wf4, 'f') AS f \gset
SELECT tributary.claim_step('hb4', 'w');
SELECT throws_ok(format($$SELECT tributary.hand_back_step(%s, 1, 'bored')$$, :f), 'TB012',
  'hand-back reason must be unknown_kind or missing_key, got ''bored''', 'an unknown reason');
SELECT throws_ok(format($$SELECT tributary.hand_back_step(%s, 1, NULL)$$, :f), 'TB012',
  'hand-back reason must be unknown_kind or missing_key, got NULL', 'a NULL reason');
SELECT is(tributary_test.step_state(:wf4, 'f'), 'running', 'a refused hand-back changes nothing');
SELECT throws_ok($$SELECT tributary.hand_back_step(-1, 1, 'unknown_kind')$$, 'TB006', 'step -1 does not exist', 'an unknown step');
SELECT tributary.cancel_workflow(:wf4);
SELECT throws_ok(format($$SELECT tributary.hand_back_step(%s, 1, 'unknown_kind')$$, :f), 'TB008', NULL, 'a cancelled step');
SELECT throws_ok($$UPDATE tributary.settings SET hand_back_delay = '-1 second'$$, '23514', NULL, 'a negative hand_back_delay is refused');
SELECT throws_ok($$UPDATE tributary.settings SET hand_back_grace = '-1 second'$$, '23514', NULL, 'a negative hand_back_grace is refused');

SELECT * FROM finish();
ROLLBACK;
