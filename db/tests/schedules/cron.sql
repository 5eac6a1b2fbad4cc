-- The cron evaluator: _cron_parse (every syntax form and every TB201 error), cron_next (lists,
-- ranges, steps, names, day-of-month OR day-of-week, macros, TB202), and the daylight-saving rule
-- in Europe/Paris and America/New_York: a wall-clock time that does not exist fires once at the
-- end of the gap, one that exists twice fires once, at its first occurrence.
BEGIN;
SELECT plan(42);
SET LOCAL TimeZone = 'Asia/Tokyo';  -- the session's zone must not matter

-- Parsing ------------------------------------------------------------------------------------------
SELECT results_eq($$SELECT minutes, hours, days, months, weekdays, any_day, any_weekday FROM tributary._cron_parse('*/20 6,18 1-3 * MON-FRI')$$,
  $$VALUES ('{0,20,40}'::int[], '{6,18}'::int[], '{1,2,3}'::int[], '{1,2,3,4,5,6,7,8,9,10,11,12}'::int[], '{1,2,3,4,5}'::int[], false, false)$$,
  'steps, lists, ranges and day names');
SELECT results_eq($$SELECT minutes, months, weekdays FROM tributary._cron_parse('5/20 * * jan-mar/2,Dec 7')$$,
  $$VALUES ('{5,25,45}'::int[], '{1,3,12}'::int[], '{0}'::int[])$$,
  'N/STEP runs to the maximum; month names in any case with a step; 7 is Sunday');
SELECT results_eq($$SELECT minutes, hours, days, months, any_day, any_weekday FROM tributary._cron_parse('  @daily ')$$,
  $$VALUES ('{0}'::int[], '{0}'::int[], (SELECT array_agg(d) FROM generate_series(1, 31) AS d), '{1,2,3,4,5,6,7,8,9,10,11,12}'::int[], true, true)$$,
  '@daily is 0 0 * * * (surrounding spaces ignored)');
SELECT is((SELECT weekdays FROM tributary._cron_parse('0 0 * * 5-7')), '{0,5,6}'::int[], 'a range up to 7 includes Sunday as 0');
SELECT is((SELECT hours FROM tributary._cron_parse('@hourly')), (SELECT array_agg(h) FROM generate_series(0, 23) AS h), '@hourly');

SELECT throws_ok($$SELECT tributary._cron_parse('* * * *')$$, 'TB201',
  'invalid cron expression "* * * *": it has 4 fields, a cron expression has 5', 'four fields');
SELECT throws_ok($$SELECT tributary._cron_parse('')$$, 'TB201',
  'invalid cron expression "": it has 0 fields, a cron expression has 5', 'an empty expression');
SELECT throws_ok($$SELECT tributary._cron_parse(NULL)$$, 'TB201', NULL, 'NULL');
SELECT throws_ok($$SELECT tributary._cron_parse('60 * * * *')$$, 'TB201',
  'invalid cron expression "60 * * * *": minute field: 60 is out of range 0-59', 'a minute out of range');
SELECT throws_ok($$SELECT tributary._cron_parse('0 24 * * *')$$, 'TB201',
  'invalid cron expression "0 24 * * *": hour field: 24 is out of range 0-23', 'an hour out of range');
SELECT throws_ok($$SELECT tributary._cron_parse('0 0 0 * *')$$, 'TB201',
  'invalid cron expression "0 0 0 * *": day of month field: 0 is out of range 1-31', 'day of month 0');
SELECT throws_ok($$SELECT tributary._cron_parse('0 0 * 13 *')$$, 'TB201',
  'invalid cron expression "0 0 * 13 *": month field: 13 is out of range 1-12', 'month 13');
SELECT throws_ok($$SELECT tributary._cron_parse('0 0 * * 8')$$, 'TB201',
  'invalid cron expression "0 0 * * 8": day of week field: 8 is out of range 0-7', 'weekday 8');
SELECT throws_ok($$SELECT tributary._cron_parse('0 0 * FOO *')$$, 'TB201',
  'invalid cron expression "0 0 * FOO *": month field: "FOO" is not a number or a month name (JAN-DEC)', 'an unknown month name');
SELECT throws_ok($$SELECT tributary._cron_parse('0 0 * * MON-FUN')$$, 'TB201',
  'invalid cron expression "0 0 * * MON-FUN": day of week field: "FUN" is not a number or a day name (SUN-SAT)', 'an unknown day name');
SELECT throws_ok($$SELECT tributary._cron_parse('0 MON * * *')$$, 'TB201',
  'invalid cron expression "0 MON * * *": hour field: "MON" is not a number', 'a day name in the hour field');
SELECT throws_ok($$SELECT tributary._cron_parse('*/0 * * * *')$$, 'TB201',
  'invalid cron expression "*/0 * * * *": minute field: "*/0" has no valid step (a number >= 1 after /)', 'a zero step');
SELECT throws_ok($$SELECT tributary._cron_parse('*/x * * * *')$$, 'TB201', NULL, 'a step that is not a number');
SELECT throws_ok($$SELECT tributary._cron_parse('1/2/3 * * * *')$$, 'TB201', NULL, 'two steps');
SELECT throws_ok($$SELECT tributary._cron_parse('30-10 * * * *')$$, 'TB201',
  'invalid cron expression "30-10 * * * *": minute field: the range "30-10" runs backwards', 'a backwards range');
SELECT throws_ok($$SELECT tributary._cron_parse('1-2-3 * * * *')$$, 'TB201',
  'invalid cron expression "1-2-3 * * * *": minute field: "1-2-3" is not *, N, N-M or a list of them', 'a range of three');
SELECT throws_ok($$SELECT tributary._cron_parse('1,,2 * * * *')$$, 'TB201', NULL, 'an empty list item');
SELECT throws_ok($$SELECT tributary._cron_parse('@reboot')$$, 'TB201', NULL, '@reboot is not a schedule');

-- cron_next ----------------------------------------------------------------------------------------
SELECT is(tributary.cron_next('*/15 * * * *', 'UTC', '2030-01-01 10:07:12+00'), '2030-01-01 10:15:00+00'::timestamptz,
  'the next quarter hour');
SELECT is(tributary.cron_next('0 * * * *', 'UTC', '2030-01-01 10:00:00+00'), '2030-01-01 11:00:00+00'::timestamptz,
  'strictly after: an occurrence at p_after itself is not returned');
SELECT is(tributary.cron_next('30 6 * * MON-FRI', 'UTC', '2030-01-04 07:00+00'), '2030-01-07 06:30:00+00'::timestamptz,
  'weekdays only: Friday evening -> Monday (2030-01-04 is a Friday)');
SELECT is(tributary.cron_next('0 9 1 * *', 'Europe/Paris', '2030-01-01 09:00+00'), '2030-02-01 08:00:00+00'::timestamptz,
  'the first of the month, 09:00 Paris time (UTC+1 in winter)');
SELECT is(tributary.cron_next('0 0 13 * FRI', 'UTC', '2030-01-01 00:00+00'), '2030-01-04 00:00:00+00'::timestamptz,
  'day of month and day of week both restricted: either matches (a Friday before the 13th)');
SELECT is(tributary.cron_next('0 0 29 2 *', 'UTC', '2030-01-01 00:00+00'), '2032-02-29 00:00:00+00'::timestamptz,
  '29 February: the next leap year');
SELECT is(tributary.cron_next('@yearly', 'UTC', '2030-06-01 00:00+00'), '2031-01-01 00:00:00+00'::timestamptz, '@yearly');
SELECT is(tributary.cron_next('0 0 30 2 *', 'UTC', '2030-01-01 00:00+00'), NULL, '30 February never comes: NULL');
SELECT throws_ok($$SELECT tributary.cron_next('0 0 * * *', 'Mars/Olympus_Mons')$$, 'TB202',
  'unknown time zone "Mars/Olympus_Mons"', 'an unknown time zone');
SELECT throws_ok($$SELECT tributary.cron_next('0 0 * * *', NULL)$$, 'TB202', NULL, 'a NULL time zone');
SELECT throws_ok($$SELECT tributary.cron_next('0 0 * *', 'UTC')$$, 'TB201', NULL, 'a bad expression');
SELECT tributary_test.set_now('2030-01-01 10:07:00+00');
SELECT is(tributary.cron_next('0 * * * *'), '2030-01-01 11:00:00+00'::timestamptz, 'defaults: UTC, after tributary.now()');

-- Daylight saving ------------------------------------------------------------------------------------
-- Europe/Paris, 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC); 02:xx does not exist.
SELECT results_eq(
  $$SELECT o FROM tributary._cron_occurrences('30 2 * * *', 'Europe/Paris', '2026-03-27 12:00+00', 'infinity', 3) AS o$$,
  $$VALUES ('2026-03-28 01:30+00'::timestamptz), ('2026-03-29 01:00+00'), ('2026-03-30 00:30+00')$$,
  'Paris spring forward: 02:30 does not exist that day and fires once at 03:00 CEST, the end of the gap');
SELECT results_eq(
  $$SELECT o FROM tributary._cron_occurrences('*/30 * * * *', 'Europe/Paris', '2026-03-29 00:00+00', '2026-03-29 02:00+00', 100) AS o$$,
  $$VALUES ('2026-03-29 00:30+00'::timestamptz), ('2026-03-29 01:00+00'), ('2026-03-29 01:30+00'), ('2026-03-29 02:00+00')$$,
  'Paris spring forward, every 30 minutes: 02:00, 02:30 and 03:00 all mean 01:00 UTC and fire once');
-- Europe/Paris, 2026-10-25: 03:00 CEST goes back to 02:00 CET (01:00 UTC); 02:xx happens twice.
SELECT results_eq(
  $$SELECT o FROM tributary._cron_occurrences('30 2 * * *', 'Europe/Paris', '2026-10-24 12:00+00', 'infinity', 2) AS o$$,
  $$VALUES ('2026-10-25 00:30+00'::timestamptz), ('2026-10-26 01:30+00')$$,
  'Paris fall back: 02:30 happens twice and fires once, at its first occurrence (CEST)');
SELECT results_eq(
  $$SELECT o FROM tributary._cron_occurrences('*/30 * * * *', 'Europe/Paris', '2026-10-24 23:45+00', '2026-10-25 02:30+00', 100) AS o$$,
  $$VALUES ('2026-10-25 00:00+00'::timestamptz), ('2026-10-25 00:30+00'), ('2026-10-25 02:00+00'), ('2026-10-25 02:30+00')$$,
  'Paris fall back, every 30 minutes: the repeated 02:00 and 02:30 CET do not fire again');
SELECT is(tributary.cron_next('15 2 * * *', 'Europe/Paris', '2026-10-25 01:10+00'), '2026-10-26 01:15+00'::timestamptz,
  'from inside the repeated hour (02:10 CET), 02:15 already fired in the first pass: next is tomorrow');
-- America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST.
SELECT is(tributary.cron_next('30 2 * * *', 'America/New_York', '2026-03-08 05:00+00'), '2026-03-08 07:00+00'::timestamptz,
  'New York spring forward: 02:30 fires at 03:00 EDT');
SELECT results_eq(
  $$SELECT o FROM tributary._cron_occurrences('30 1 * * *', 'America/New_York', '2026-10-31 12:00+00', 'infinity', 2) AS o$$,
  $$VALUES ('2026-11-01 05:30+00'::timestamptz), ('2026-11-02 06:30+00')$$,
  'New York fall back: 01:30 happens twice and fires once (EDT)');

SELECT * FROM finish();
ROLLBACK;
