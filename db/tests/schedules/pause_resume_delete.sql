-- pause_schedule, resume_schedule, delete_schedule and the view schedule_status: what each
-- changes, what it returns on a second call, and TB204 for an unknown name.
BEGIN;
SELECT plan(17);
SELECT tributary_test.set_now('2030-01-01 08:59:30+00');
SELECT tributary.create_schedule('hourly', 'report', '[{"name": "a", "kind": "noop"}]', p_cron => '0 * * * *', p_catch_up => 'all');
SELECT tributary.create_schedule('quarter', 'q', '[{"name": "a", "kind": "noop"}]', p_every => '15 minutes');

SELECT results_eq(
  $$SELECT name, cron, time_zone, every, workflow_name, overlap, catch_up, paused, next_fire_at, next_fire_in FROM tributary.schedule_status ORDER BY name$$,
  $$VALUES ('hourly', '0 * * * *', 'UTC', NULL::interval, 'report', 'skip', 'all', false, '2030-01-01 09:00+00'::timestamptz, interval '30 seconds'),
           ('quarter', NULL, 'UTC', interval '15 minutes', 'q', 'skip', 'last', false, '2030-01-01 09:14:30+00'::timestamptz, interval '15 minutes')$$,
  'schedule_status: timing, policies, next fire time and how long until it');

SELECT is(tributary.pause_schedule('hourly'), true, 'pause_schedule returns true when it paused');
SELECT is(tributary.pause_schedule('hourly'), false, 'and false when the schedule was already paused');
SELECT results_eq($$SELECT paused, next_fire_at, next_fire_in FROM tributary.schedule_status WHERE name = 'hourly'$$,
  $$VALUES (true, NULL::timestamptz, NULL::interval)$$, 'a paused schedule shows no next fire time');
SELECT tributary_test.advance('3 hours 10 minutes');  -- 12:09:30: fire times 09:00 to 12:00 pass while paused
SELECT is_empty($$SELECT * FROM tributary.fire_due_schedules() WHERE schedule_name = 'hourly'$$, 'it fires nothing while paused');
SELECT is(tributary.resume_schedule('hourly'), true, 'resume_schedule returns true when it resumed');
SELECT is(tributary.resume_schedule('hourly'), false, 'and false when the schedule was not paused');
SELECT is((SELECT next_fire_at FROM tributary.schedule_status WHERE name = 'hourly'), '2030-01-01 13:00+00'::timestamptz,
  'resumed from the first fire time after now: fire times passed while paused do not fire, even with catch-up all');
SELECT is_empty($$SELECT * FROM tributary.fire_due_schedules() WHERE schedule_name = 'hourly'$$, 'nothing fires at once');
SELECT tributary_test.advance('51 minutes');
SELECT results_eq($$SELECT fire_at FROM tributary.fire_due_schedules() WHERE schedule_name = 'hourly'$$,
  $$VALUES ('2030-01-01 13:00+00'::timestamptz)$$, 'it fires again from the next fire time');
SELECT is((SELECT last_workflow_state FROM tributary.schedule_status WHERE name = 'hourly'), 'running',
  'schedule_status shows the state of the last fire time''s workflow');

SELECT lives_ok($$SELECT tributary.delete_schedule('hourly')$$, 'delete_schedule');
SELECT is((SELECT count(*)::int FROM tributary.schedules WHERE name = 'hourly'), 0, 'the schedule is gone');
SELECT is((SELECT count(*)::int FROM tributary.workflows WHERE state = 'running'), 2, 'the workflows it created stay');

SELECT throws_ok($$SELECT tributary.pause_schedule('nope')$$, 'TB204', 'schedule "nope" does not exist', 'pause: unknown name');
SELECT throws_ok($$SELECT tributary.resume_schedule('nope')$$, 'TB204', 'schedule "nope" does not exist', 'resume: unknown name');
SELECT throws_ok($$SELECT tributary.delete_schedule('hourly')$$, 'TB204', 'schedule "hourly" does not exist', 'delete: unknown name');

SELECT * FROM finish();
ROLLBACK;
