-- create_schedule: the row it writes, the first fire time of cron and interval schedules, every error
-- (each its own SQLSTATE, nothing left behind), template validation by create_workflow's own
-- checks, and replacing (p_replace) with and without a change of timing.
BEGIN;
SELECT plan(36);
SELECT tributary_test.set_now('2030-01-01 08:59:30+00');

SELECT tributary.create_schedule('hourly', 'report', '[{"name": "a", "kind": "noop"}]', p_cron => '0 * * * *');
SELECT results_eq(
  $$SELECT cron, time_zone, every, starts_at, workflow_name, tasks, metadata, overlap, catch_up, catch_up_limit,
           catch_up_grace, paused, next_fire_at, last_fire_at, last_workflow_id, last_error
    FROM tributary.schedules WHERE name = 'hourly'$$,
  $$VALUES ('0 * * * *', 'UTC', NULL::interval, '2030-01-01 08:59:30+00'::timestamptz, 'report',
            '[{"name": "a", "kind": "noop"}]'::jsonb, '{}'::jsonb, 'skip', 'last', 10, interval '5 minutes', false,
            '2030-01-01 09:00:00+00'::timestamptz, NULL::timestamptz, NULL::bigint, NULL::text)$$,
  'a cron schedule: defaults (UTC, skip, last, 10, 5 minutes) and the first fire time at or after now');
SELECT is((SELECT count(*)::int FROM tributary.workflows), 0, 'validating the template left no workflow behind');

SELECT tributary.create_schedule('quarter', 'q', '[{"name": "a", "kind": "noop"}]', p_every => '15 minutes');
SELECT results_eq($$SELECT starts_at, next_fire_at FROM tributary.schedules WHERE name = 'quarter'$$,
  $$VALUES ('2030-01-01 09:14:30+00'::timestamptz, '2030-01-01 09:14:30+00'::timestamptz)$$,
  'an interval schedule without starts_at: first fire time one interval from now');
SELECT tributary.create_schedule('daily', 'd', '[{"name": "a", "kind": "noop"}]', p_every => '1 day',
                                 p_starts_at => '2029-12-30 06:00+00');
SELECT is((SELECT next_fire_at FROM tributary.schedules WHERE name = 'daily'), '2030-01-02 06:00+00'::timestamptz,
  'an interval schedule with a past starts_at: the first fire time of its series after now (a day is 24 hours)');
SELECT tributary.create_schedule('later', 'l', '[{"name": "a", "kind": "noop"}]', p_cron => '0 * * * *',
                                 p_time_zone => 'Europe/Paris', p_starts_at => '2030-02-01 00:00+01');
SELECT is((SELECT next_fire_at FROM tributary.schedules WHERE name = 'later'), '2030-01-31 23:00+00'::timestamptz,
  'a cron schedule never fires before starts_at');
SELECT tributary.create_schedule('meta', 'm', '[{"name": "a", "kind": "noop"}]', p_cron => '@daily',
  p_time_zone => 'America/New_York', p_metadata => '{"team": "bi"}', p_overlap => 'cancel_previous',
  p_catch_up => 'all', p_catch_up_limit => 3, p_catch_up_grace => '1 minute');
SELECT results_eq(
  $$SELECT metadata, overlap, catch_up, catch_up_limit, catch_up_grace, next_fire_at FROM tributary.schedules WHERE name = 'meta'$$,
  $$VALUES ('{"team": "bi"}'::jsonb, 'cancel_previous', 'all', 3, interval '1 minute', '2030-01-02 05:00+00'::timestamptz)$$,
  'every option is stored; the next midnight in New York (03:59 there now) is 05:00 UTC tomorrow');

-- Errors: each refused up front with its own SQLSTATE ------------------------------------------------
SELECT throws_ok($$SELECT tributary.create_schedule('', 'w', '[{"name": "a", "kind": "k"}]', p_cron => '* * * * *')$$,
  'TB203', 'schedule "": a schedule needs a non-empty name', 'a blank name');
SELECT throws_ok($$SELECT tributary.create_schedule('x', 'w', '[{"name": "a", "kind": "k"}]')$$,
  'TB203', 'schedule "x": give exactly one of a cron expression (p_cron) and an interval (p_every)', 'neither cron nor interval');
SELECT throws_ok($$SELECT tributary.create_schedule('x', 'w', '[{"name": "a", "kind": "k"}]', p_cron => '* * * * *', p_every => '1 hour')$$,
  'TB203', 'schedule "x": give exactly one of a cron expression (p_cron) and an interval (p_every)', 'both cron and interval');
SELECT throws_ok($$SELECT tributary.create_schedule('x', 'w', '[{"name": "a", "kind": "k"}]', p_every => '0 seconds')$$,
  'TB203', 'schedule "x": the interval must be positive, got 00:00:00', 'a zero interval');
SELECT throws_ok($$SELECT tributary.create_schedule('x', 'w', '[{"name": "a", "kind": "k"}]', p_every => '-5 minutes')$$,
  'TB203', 'schedule "x": the interval must be positive, got -00:05:00', 'a negative interval');
SELECT throws_ok($$SELECT tributary.create_schedule('x', 'w', '[{"name": "a", "kind": "k"}]', p_every => '1 month')$$,
  'TB203', 'schedule "x": the interval 1 mon counts months, which have no fixed length; use a cron expression', 'an interval in months');
SELECT throws_ok($$SELECT tributary.create_schedule('x', '', '[{"name": "a", "kind": "k"}]', p_every => '1 hour')$$,
  'TB203', 'schedule "x": the workflow template needs a non-empty workflow name', 'a blank workflow name');
SELECT throws_ok($$SELECT tributary.create_schedule('x', 'w', '[{"name": "a", "kind": "k"}]', p_every => '1 hour', p_metadata => '[1]')$$,
  'TB203', 'schedule "x": the metadata must be a JSON object', 'metadata that is not an object');
SELECT throws_ok($$SELECT tributary.create_schedule('x', 'w', '[{"name": "a", "kind": "k"}]', p_every => '1 hour', p_overlap => 'queue')$$,
  'TB203', 'schedule "x": unknown overlap policy queue (known: skip, allow, cancel_previous)', 'an unknown overlap policy');
SELECT throws_ok($$SELECT tributary.create_schedule('x', 'w', '[{"name": "a", "kind": "k"}]', p_every => '1 hour', p_catch_up => 'some')$$,
  'TB203', 'schedule "x": unknown catch-up policy some (known: none, last, all)', 'an unknown catch-up policy');
SELECT throws_ok($$SELECT tributary.create_schedule('x', 'w', '[{"name": "a", "kind": "k"}]', p_every => '1 hour', p_catch_up_limit => 0)$$,
  'TB203', 'schedule "x": the catch-up limit must be at least 1, got 0', 'a catch-up limit of 0');
SELECT throws_ok($$SELECT tributary.create_schedule('x', 'w', '[{"name": "a", "kind": "k"}]', p_every => '1 hour', p_catch_up_grace => '-1 second')$$,
  'TB203', 'schedule "x": the catch-up grace must not be negative, got -00:00:01', 'a negative grace');
SELECT throws_ok($$SELECT tributary.create_schedule('x', 'w', '[{"name": "a", "kind": "k"}]', p_cron => '0 6 * * *', p_time_zone => 'Europe/Pariss')$$,
  'TB202', 'unknown time zone "Europe/Pariss"', 'an unknown time zone');
SELECT throws_ok($$SELECT tributary.create_schedule('x', 'w', '[{"name": "a", "kind": "k"}]', p_cron => '0 6 * *')$$,
  'TB201', 'invalid cron expression "0 6 * *": it has 4 fields, a cron expression has 5', 'an unparsable cron expression');
SELECT throws_ok($$SELECT tributary.create_schedule('x', 'w', '[{"name": "a", "kind": "k"}]', p_cron => '0 0 31 4 *')$$,
  'TB201', 'schedule "x": the cron expression "0 0 31 4 *" never fires', 'a cron expression that never fires (31 April)');
SELECT throws_ok($$SELECT tributary.create_schedule('x', 'w', '[]', p_cron => '0 6 * * *')$$,
  'TB004', 'schedule "x": invalid workflow template: workflow "w" has no steps', 'an empty template: create_workflow''s TB004');
SELECT throws_ok($$SELECT tributary.create_schedule('x', 'w', '{"name": "a"}', p_cron => '0 6 * * *')$$,
  'TB005', 'schedule "x": invalid workflow template: tasks must be a JSON array of task objects', 'tasks not an array: TB005');
SELECT throws_ok($$SELECT tributary.create_schedule('x', 'w', '[{"name": "a", "kind": "k", "timeout": "banana"}]', p_cron => '0 6 * * *')$$,
  'TB005', 'schedule "x": invalid workflow template: task "a" in workflow "w": "timeout" is not a valid interval: banana',
  'an unusable option value: TB005 naming the task');
SELECT throws_ok($$SELECT tributary.create_schedule('x', 'w', '[{"name": "a", "kind": "k", "depends_on": ["b"]}]', p_cron => '0 6 * * *')$$,
  'TB002', 'schedule "x": invalid workflow template: task "a" depends on unknown task "b"', 'an unknown dependency: TB002');
SELECT throws_ok($$SELECT tributary.create_schedule('x', 'w', '[{"name": "a", "kind": "k", "depends_on": ["b"]}, {"name": "b", "kind": "k", "depends_on": ["a"]}]', p_cron => '0 6 * * *')$$,
  'TB001', NULL, 'a cycle: TB001');
SELECT throws_ok($$SELECT tributary.create_schedule('x', 'w', '[{"name": "a", "kind": "k"}, {"name": "a", "kind": "k"}]', p_cron => '0 6 * * *')$$,
  'TB003', NULL, 'a duplicate task: TB003');
SELECT throws_ok($$SELECT tributary.create_schedule('hourly', 'w', '[{"name": "a", "kind": "k"}]', p_cron => '0 6 * * *')$$,
  'TB205', 'schedule "hourly" already exists', 'an existing name without p_replace');
SELECT is((SELECT count(*)::int FROM tributary.schedules WHERE name = 'x'), 0, 'no refused schedule was stored');
SELECT is((SELECT count(*)::int FROM tributary.workflows), 0, 'and no workflow');

-- Replacing ------------------------------------------------------------------------------------------------
SELECT tributary_test.advance('20 minutes');
SELECT is(tributary.create_schedule('quarter', 'q2', '[{"name": "b", "kind": "noop"}]', p_every => '15 minutes', p_replace => true),
  (SELECT id FROM tributary.schedules WHERE name = 'quarter'), 'replacing returns the same id');
SELECT results_eq($$SELECT workflow_name, tasks, starts_at, next_fire_at FROM tributary.schedules WHERE name = 'quarter'$$,
  $$VALUES ('q2', '[{"name": "b", "kind": "noop"}]'::jsonb, '2030-01-01 09:14:30+00'::timestamptz, '2030-01-01 09:14:30+00'::timestamptz)$$,
  'same timing: the template changes, starts_at and next_fire_at stay (a due fire time is still due)');
SELECT tributary.pause_schedule('hourly');
SELECT tributary.create_schedule('hourly', 'report', '[{"name": "a", "kind": "noop"}]', p_cron => '0 * * * *', p_replace => true);
SELECT is((SELECT paused FROM tributary.schedules WHERE name = 'hourly'), true, 'replacing keeps a pause');
SELECT tributary.create_schedule('quarter', 'q2', '[{"name": "b", "kind": "noop"}]', p_every => '10 minutes', p_replace => true);
SELECT results_eq($$SELECT every, starts_at, next_fire_at FROM tributary.schedules WHERE name = 'quarter'$$,
  $$VALUES (interval '10 minutes', '2030-01-01 09:29:30+00'::timestamptz, '2030-01-01 09:29:30+00'::timestamptz)$$,
  'a new interval: a new series from now');
SELECT tributary.create_schedule('quarter', 'q2', '[{"name": "b", "kind": "noop"}]', p_cron => '*/5 * * * *', p_replace => true);
SELECT results_eq($$SELECT cron, every, next_fire_at FROM tributary.schedules WHERE name = 'quarter'$$,
  $$VALUES ('*/5 * * * *', NULL::interval, '2030-01-01 09:20:00+00'::timestamptz)$$,
  'from an interval to a cron expression: its first fire time at or after now');
SELECT tributary.create_schedule('fresh', 'f', '[{"name": "a", "kind": "noop"}]', p_every => '1 hour', p_replace => true);
SELECT is((SELECT workflow_name FROM tributary.schedules WHERE name = 'fresh'), 'f', 'p_replace on a new name creates it');

SELECT * FROM finish();
ROLLBACK;
