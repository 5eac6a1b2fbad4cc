-- fire_due_schedules: each due fire time fires once; the workflow it creates (template, metadata,
-- idempotency key); the idempotency guard; overlap (skip, allow, cancel_previous); catch-up
-- (none with its grace, last, all with its limit); a fire time that fails does not stop the others;
-- paused schedules; p_limit; a schedule across a daylight-saving change.
BEGIN;
SELECT plan(40);
SELECT tributary_test.set_now('2030-01-01 08:59:30+00');
SELECT tributary.create_schedule('hourly', 'report', '[{"name": "a", "kind": "noop", "queue": "reports"}]',
                                 p_cron => '0 * * * *', p_metadata => '{"team": "bi"}');

SELECT is_empty($$SELECT * FROM tributary.fire_due_schedules()$$, 'nothing is due before the first fire time');
SELECT tributary_test.advance('45 seconds');  -- 09:00:15
SELECT results_eq($$SELECT schedule_name, fire_at, outcome FROM tributary.fire_due_schedules()$$,
  $$VALUES ('hourly', '2030-01-01 09:00+00'::timestamptz, 'fired')$$, 'the 09:00 fire time fires');
SELECT results_eq(
  $$SELECT name, metadata, idempotency_key, scheduled_at, steps_total FROM tributary.workflows$$,
  $$VALUES ('report', '{"team": "bi", "schedule": "hourly", "fire_at": "2030-01-01T09:00:00.000000Z"}'::jsonb,
            'tributary.schedule:' || (SELECT id FROM tributary.schedules WHERE name = 'hourly') || ':2030-01-01T09:00:00.000000Z',
            '2030-01-01 09:00:15+00'::timestamptz, 1)$$,
  'one workflow from the template: metadata names the schedule and fire time; a key per (schedule, fire time); claimable now');
SELECT is((SELECT queue FROM tributary.steps), 'reports', 'its steps come from the template');
SELECT results_eq($$SELECT next_fire_at, last_fire_at, last_workflow_id, last_workflow_state FROM tributary.schedule_status$$,
  $$VALUES ('2030-01-01 10:00+00'::timestamptz, '2030-01-01 09:00+00'::timestamptz, (SELECT max(id) FROM tributary.workflows), 'running')$$,
  'next_fire_at moved to the next fire time in the same transaction; the last fire time and workflow are recorded');
SELECT is_empty($$SELECT * FROM tributary.fire_due_schedules()$$, 'a second call fires nothing: the fire time fired once');

-- The idempotency key guards a fire time even if next_fire_at were set back.
UPDATE tributary.schedules SET next_fire_at = '2030-01-01 09:00+00';
SELECT results_eq($$SELECT workflow_id, outcome FROM tributary.fire_due_schedules()$$,
  $$VALUES ((SELECT max(id) FROM tributary.workflows), 'already_fired')$$,
  'a fire time whose workflow exists is reported already_fired');
SELECT is((SELECT count(*)::int FROM tributary.workflows), 1, 'and no second workflow was created');

-- Overlap: skip (the default) while the previous workflow runs.
SELECT tributary_test.advance('1 hour');  -- 10:00:15
SELECT results_eq($$SELECT fire_at, workflow_id, outcome FROM tributary.fire_due_schedules()$$,
  $$VALUES ('2030-01-01 10:00+00'::timestamptz, NULL::bigint, 'skipped')$$, 'skip: the previous workflow is running');
SELECT is((SELECT next_fire_at FROM tributary.schedules), '2030-01-01 11:00+00'::timestamptz, 'a skipped fire time is handled: next is 11:00');
SELECT tributary_test.drain('reports');
SELECT tributary_test.advance('1 hour');  -- 11:00:15
SELECT results_eq($$SELECT outcome FROM tributary.fire_due_schedules()$$, $$VALUES ('fired')$$,
  'skip: once the previous workflow finished, the next fire time fires');

-- Overlap: allow.
UPDATE tributary.schedules SET overlap = 'allow';
SELECT tributary_test.advance('1 hour');  -- 12:00:15
SELECT results_eq($$SELECT outcome FROM tributary.fire_due_schedules()$$, $$VALUES ('fired')$$,
  'allow: fires while the previous workflow runs');
SELECT is((SELECT count(*)::int FROM tributary.workflows WHERE state = 'running'), 2, 'two workflows run side by side');

-- Overlap: cancel_previous.
UPDATE tributary.schedules SET overlap = 'cancel_previous';
SELECT tributary_test.advance('1 hour');  -- 13:00:15
SELECT results_eq($$SELECT outcome FROM tributary.fire_due_schedules()$$, $$VALUES ('fired_after_cancel')$$,
  'cancel_previous: reported as fired_after_cancel');
SELECT results_eq(
  $$SELECT state, (SELECT DISTINCT cancel_reason FROM tributary.steps s WHERE s.workflow_id = w.id)
    FROM tributary.workflows w WHERE metadata->>'fire_at' = '2030-01-01T12:00:00.000000Z'$$,
  $$VALUES ('cancelled', 'schedule "hourly" fired again at 2030-01-01T13:00:00.000000Z')$$,
  'the previous workflow was cancelled, with a reason naming the schedule and the fire time');
SELECT is((SELECT state FROM tributary.workflows WHERE metadata->>'fire_at' = '2030-01-01T13:00:00.000000Z'), 'running',
  'the new one runs');
SELECT is((SELECT state FROM tributary.workflows WHERE metadata->>'fire_at' = '2030-01-01T11:00:00.000000Z'), 'running',
  'only the previous fire time''s workflow is cancelled');
UPDATE tributary.schedules SET overlap = 'allow';

-- Catch-up: last (the default) fires the newest due fire time only.
SELECT tributary_test.advance('5 hours');  -- 18:00:15: 14:00 to 18:00 are due
SELECT results_eq($$SELECT fire_at, outcome FROM tributary.fire_due_schedules()$$,
  $$VALUES ('2030-01-01 18:00+00'::timestamptz, 'fired')$$, 'last: five fire times were due, the newest fired');
SELECT is((SELECT next_fire_at FROM tributary.schedules), '2030-01-01 19:00+00'::timestamptz, 'the missed ones are dropped');

-- Catch-up: all, up to the limit, oldest first.
UPDATE tributary.schedules SET catch_up = 'all', catch_up_limit = 3;
SELECT tributary_test.advance('5 hours');  -- 23:00:15: 19:00 to 23:00 are due
SELECT results_eq($$SELECT fire_at, outcome FROM tributary.fire_due_schedules()$$,
  $$VALUES ('2030-01-01 21:00+00'::timestamptz, 'fired'), ('2030-01-01 22:00+00', 'fired'), ('2030-01-01 23:00+00', 'fired')$$,
  'all: the newest catch_up_limit due fire times fire, oldest first');
UPDATE tributary.schedules SET catch_up_limit = 100;
SELECT tributary_test.advance('3 days');  -- 72 hourly fire times due
SELECT is((SELECT count(*)::int FROM tributary.fire_due_schedules()), 72, 'all: every due fire time within the limit fires');

-- Catch-up: none fires a fire time only within the grace.
UPDATE tributary.schedules SET catch_up = 'none', catch_up_grace = '5 minutes';
SELECT tributary_test.advance('1 hour 4 minutes');  -- 4 minutes 15 s late
SELECT results_eq($$SELECT outcome FROM tributary.fire_due_schedules()$$, $$VALUES ('fired')$$,
  'none: a fire time within the grace fires');
SELECT tributary_test.advance('3 hours');  -- the newest due fire time is 4 minutes 15 s late, two more before it
SELECT results_eq($$SELECT count(*)::int FROM tributary.fire_due_schedules()$$, $$VALUES (1)$$,
  'none: only the newest due fire time, still within the grace');
SELECT tributary_test.advance('1 hour 2 minutes');  -- 6 minutes 15 s late
SELECT is_empty($$SELECT * FROM tributary.fire_due_schedules()$$, 'none: a fire time later than the grace is dropped');
SELECT is((SELECT next_fire_at - tributary.now() < interval '1 hour' AND next_fire_at > tributary.now() FROM tributary.schedules), true,
  'and the schedule waits for its next fire time');

-- Interval schedules catch up the same way, counted from starts_at in elapsed time.
SELECT tributary.create_schedule('tenmin', 'w', '[{"name": "a", "kind": "noop"}]', p_every => '10 minutes',
                                 p_starts_at => tributary.now() + interval '1 minute', p_overlap => 'allow',
                                 p_catch_up => 'all', p_catch_up_limit => 3);
SELECT tributary_test.advance('1 hour 2 minutes');  -- 7 fire times due: +1 min to +61 min
SELECT results_eq($$SELECT fire_at - (SELECT starts_at FROM tributary.schedules WHERE name = 'tenmin')
                    FROM tributary.fire_due_schedules() WHERE schedule_name = 'tenmin'$$,
  $$VALUES (interval '40 minutes'), (interval '50 minutes'), (interval '60 minutes')$$,
  'interval, all: the newest 3 of 7 due fire times, oldest first, on the starts_at + k * every series');
SELECT is((SELECT next_fire_at - starts_at FROM tributary.schedules WHERE name = 'tenmin'), interval '70 minutes',
  'interval: next_fire_at is the next fire time of the series');
UPDATE tributary.schedules SET catch_up = 'last' WHERE name = 'tenmin';
SELECT tributary_test.advance('25 minutes');
SELECT results_eq($$SELECT fire_at - (SELECT starts_at FROM tributary.schedules WHERE name = 'tenmin')
                    FROM tributary.fire_due_schedules() WHERE schedule_name = 'tenmin'$$,
  $$VALUES (interval '80 minutes')$$, 'interval, last: only the newest due fire time');
SELECT tributary.delete_schedule('tenmin');

-- Paused schedules fire nothing; p_limit.
SELECT tributary.pause_schedule('hourly');
SELECT tributary_test.advance('2 hours');
SELECT is_empty($$SELECT * FROM tributary.fire_due_schedules()$$, 'a paused schedule fires nothing');
SELECT throws_ok($$SELECT * FROM tributary.fire_due_schedules(0)$$, 'TB012', 'limit must be at least 1, got 0', 'p_limit below 1');
SELECT tributary.create_schedule('s' || i, 'w', '[{"name": "a", "kind": "noop"}]', p_every => '1 minute', p_overlap => 'allow')
FROM generate_series(1, 3) AS i;
SELECT tributary_test.advance('1 minute');
SELECT is((SELECT count(*)::int FROM tributary.fire_due_schedules(2)), 2, 'p_limit: at most that many schedules per call');
SELECT is((SELECT count(*)::int FROM tributary.fire_due_schedules(2)), 1, 'the next call takes the rest');

-- A fire time that cannot be created is reported and recorded; the other schedules still fire.
UPDATE tributary.schedules SET tasks = '[{"name": "a", "kind": "noop", "priority": 1e20}]' WHERE name = 's1';
SELECT tributary_test.advance('1 minute');
SELECT results_eq($$SELECT schedule_name, outcome FROM tributary.fire_due_schedules() ORDER BY schedule_name$$,
  $$VALUES ('s1', 'failed'), ('s2', 'fired'), ('s3', 'fired')$$, 'a failing fire time is reported failed; the others fire');
SELECT matches((SELECT last_error FROM tributary.schedule_status WHERE name = 's1'),
  '^fire time .*: task "a" in workflow "w": "priority" is out of range .*\(SQLSTATE TB005\)$', 'last_error says why');

-- A daily schedule across the spring-forward change in Europe/Paris: 02:30 does not exist on 29 March.
SELECT tributary_test.set_now('2026-03-27 12:00+00');
SELECT tributary.create_schedule('night', 'n', '[{"name": "a", "kind": "noop"}]', p_cron => '30 2 * * *',
                                 p_time_zone => 'Europe/Paris', p_overlap => 'allow');
SELECT tributary_test.set_now('2026-03-28 01:30:10+00');
SELECT results_eq($$SELECT fire_at FROM tributary.fire_due_schedules()$$,
  $$VALUES ('2026-03-28 01:30+00'::timestamptz)$$, 'the day before: 02:30 CET is 01:30 UTC');
SELECT tributary_test.set_now('2026-03-29 00:59:30+00');  -- 01:59:30 CET
SELECT is_empty($$SELECT * FROM tributary.fire_due_schedules()$$, 'spring forward: nothing before the gap');
SELECT tributary_test.set_now('2026-03-29 01:00:10+00');  -- 03:00:10 CEST, just after the gap
SELECT results_eq($$SELECT fire_at, outcome FROM tributary.fire_due_schedules()$$,
  $$VALUES ('2026-03-29 01:00+00'::timestamptz, 'fired')$$, 'spring forward: 02:30 does not exist and fires at 03:00 CEST');
SELECT is((SELECT next_fire_at FROM tributary.schedules WHERE name = 'night'), '2026-03-30 00:30+00'::timestamptz,
  'then 02:30 CEST the next day, once');
-- Fall back in Europe/Paris on 25 October: 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET).
SELECT tributary_test.set_now('2026-10-25 00:30:10+00');
UPDATE tributary.schedules SET next_fire_at = '2026-10-25 00:30+00' WHERE name = 'night';
SELECT results_eq($$SELECT fire_at FROM tributary.fire_due_schedules()$$,
  $$VALUES ('2026-10-25 00:30+00'::timestamptz)$$, 'fall back: 02:30 CEST fires');
SELECT tributary_test.set_now('2026-10-25 01:30:10+00');
SELECT is_empty($$SELECT * FROM tributary.fire_due_schedules()$$, 'fall back: the repeated 02:30 CET does not fire again');

SELECT * FROM finish();
ROLLBACK;
