-- The testing kit's clock: set_now, advance and reset_now move tributary.now() for this session;
-- a rollback undoes them; bad times are refused; a kit whose clock the engine replaced says so.
BEGIN;
SELECT plan(19);

SELECT is(tributary_test.set_now('2030-01-01 00:00:00+00'), '2030-01-01 00:00:00+00'::timestamptz,
  'set_now returns the time it set');
SELECT is(tributary.now(), '2030-01-01 00:00:00+00'::timestamptz, 'tributary.now() follows set_now');
SELECT is(tributary_test.advance('90 seconds'), '2030-01-01 00:01:30+00'::timestamptz,
  'advance moves the clock forward from where it stands');
SELECT is(tributary.now(), '2030-01-01 00:01:30+00'::timestamptz, 'tributary.now() follows advance');
SELECT is(tributary_test.advance('0'), '2030-01-01 00:01:30+00'::timestamptz, 'advance by nothing keeps the time');
SELECT is(tributary_test.set_now('2029-12-31 23:00:00+00'), '2029-12-31 23:00:00+00'::timestamptz,
  'set_now may go back in time');

SET LOCAL TimeZone = 'America/New_York';
SET LOCAL DateStyle = 'SQL, DMY';
SELECT tributary_test.set_now('2030-02-03 04:05:06.789+00');
SELECT is(tributary.now(), '2030-02-03 04:05:06.789+00'::timestamptz,
  'the clock keeps its time, to the microsecond, whatever the session''s TimeZone and DateStyle');
SET LOCAL TimeZone = 'UTC';
SET LOCAL DateStyle = 'ISO, MDY';

SAVEPOINT moved;
SELECT tributary_test.set_now('2040-01-01 00:00:00+00');
ROLLBACK TO SAVEPOINT moved;
SELECT is(tributary.now(), '2030-02-03 04:05:06.789+00'::timestamptz, 'a rollback undoes a move of the clock');

SELECT tributary_test.reset_now();
SELECT is(tributary.now(), now(), 'reset_now gives back the transaction time');
SELECT is(current_setting('tributary_test.fake_now'), '', 'reset_now empties tributary_test.fake_now');
SELECT tributary_test.advance('1 day');
SELECT is(tributary.now(), now() + interval '1 day', 'advance without a set time starts from the transaction time');

SELECT throws_ok($$SELECT tributary_test.set_now(NULL)$$, 'TB012',
  'the engine clock needs a finite time, got NULL', 'set_now refuses NULL');
SELECT throws_ok($$SELECT tributary_test.set_now('infinity')$$, 'TB012',
  'the engine clock needs a finite time, got infinity', 'set_now refuses infinity');
SELECT throws_ok($$SELECT tributary_test.advance('-1 second')$$, 'TB012',
  'advance moves the engine clock forward, got -00:00:01', 'advance refuses a negative interval');
SELECT throws_ok($$SELECT tributary_test.advance(NULL)$$, 'TB012',
  'advance moves the engine clock forward, got NULL', 'advance refuses NULL');
SELECT is(tributary.now(), now() + interval '1 day', 'a refused move leaves the clock where it was');

-- The setting alone is the kit's: the engine's old setting moves nothing.
SELECT set_config('tributary.fake_now', '2001-01-01 00:00:00+00', true);
SELECT is(tributary.now(), now() + interval '1 day', 'tributary.fake_now moves nothing');

-- When the engine's functions/now is deployed again over the kit, the kit says so (last: the
-- final ROLLBACK puts the kit's clock back).
DO $$ BEGIN EXECUTE (SELECT definition FROM tributary_test.production_now); END $$;
SELECT throws_ok($$SELECT tributary_test.set_now('2030-01-01 00:00:00+00')$$, 'TB011',
  'tributary.now() does not follow the testing kit''s clock',
  'set_now raises TB011 when tributary.now() is no longer the kit''s');
SELECT throws_ok($$SELECT tributary_test.advance('1 hour')$$, 'TB011',
  'tributary.now() does not follow the testing kit''s clock', 'so does advance');

SELECT * FROM finish();
ROLLBACK;
