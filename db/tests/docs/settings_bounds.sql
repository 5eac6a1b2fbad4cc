-- sql-api.md, The settings table: "Every interval is at most 1 year". For every interval column
-- of tributary.settings (hand_back_delay and hand_back_grace included), a value over a year is
-- refused by a named constraint (23514) and a year is accepted.
BEGIN;
SELECT plan(2);

CREATE FUNCTION pg_temp.refused(p_column text, p_value interval) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('UPDATE tributary.settings SET %I = $1', p_column) USING p_value;
  RETURN NULL;
EXCEPTION WHEN check_violation THEN
  RETURN p_column;
END $$;

SELECT is(
  (SELECT array_agg(pg_temp.refused(a.attname, interval '1 year 1 day') ORDER BY a.attnum) FROM pg_attribute AS a
   WHERE a.attrelid = 'tributary.settings'::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.atttypid = 'interval'::regtype),
  (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute AS a
   WHERE a.attrelid = 'tributary.settings'::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.atttypid = 'interval'::regtype),
  'every interval setting over a year is refused (23514)');
-- default_retry_backoff is bounded through retry_backoff_cap (>= it), so raise the cap with it.
SELECT lives_ok($$UPDATE tributary.settings SET retry_backoff_cap = '1 year', default_retry_backoff = '1 year', default_timeout = '1 year',
  lease_duration = '1 year', hand_back_delay = '1 year', hand_back_grace = '1 year'$$, 'a year is accepted for each');

SELECT * FROM finish();
ROLLBACK;
