-- tributary._backoff(attempt, base): base * 2^(attempt - 1), capped at settings.retry_backoff_cap,
-- then jittered to between 50% and 100% of that. Sampled many times, since it is random.
BEGIN;
SELECT plan(10);

-- 300 samples for each attempt 1..8 with a 1 second base: the delay is within [50%, 100%] of 2^(attempt-1) seconds.
SELECT is(
  (SELECT count(*) FROM generate_series(1, 8) AS a, generate_series(1, 300) AS i,
        LATERAL (SELECT tributary._backoff(a, '1 second') AS d) AS s
   WHERE s.d < interval '1 second' * 2 ^ (a - 1) * 0.5 OR s.d > interval '1 second' * 2 ^ (a - 1)),
  0::bigint,
  'the delay after attempt n is between 50% and 100% of base * 2^(n-1)');

SELECT ok(
  (SELECT min(d) < interval '4.5 seconds' AND max(d) > interval '7.5 seconds'
   FROM (SELECT tributary._backoff(4, '1 second') AS d FROM generate_series(1, 500)) AS s),
  'the jitter spreads delays over the whole band (attempt 4: 4 to 8 seconds)');
SELECT ok(
  (SELECT min(d) >= interval '4 seconds' AND max(d) <= interval '8 seconds'
   FROM (SELECT tributary._backoff(3, '2 seconds') AS d FROM generate_series(1, 300)) AS s),
  'the base scales the delay (attempt 3, base 2 seconds: 4 to 8 seconds)');
SELECT is(
  (SELECT count(*) FROM generate_series(1, 200),
        LATERAL (SELECT tributary._backoff(0, '1 second') AS d0, tributary._backoff(-3, '1 second') AS dn) AS s
   WHERE s.d0 NOT BETWEEN interval '0.5 seconds' AND interval '1 second'
      OR s.dn NOT BETWEEN interval '0.5 seconds' AND interval '1 second'),
  0::bigint,
  'an attempt below 1 is treated as the first (50% to 100% of base)');
SELECT is(tributary._backoff(5, '0 seconds'), interval '0', 'a zero base retries at once');

-- The cap (settings.retry_backoff_cap, 10 minutes by default).
SELECT is(
  (SELECT count(*) FROM generate_series(1, 300),
        LATERAL (SELECT tributary._backoff(20, '1 second') AS d) AS s
   WHERE s.d NOT BETWEEN interval '5 minutes' AND interval '10 minutes'),
  0::bigint,
  'a large attempt is capped at retry_backoff_cap (jittered to 5-10 minutes)');
SELECT ok(
  (SELECT max(d) <= interval '10 minutes' FROM (SELECT tributary._backoff(1, '1 hour') AS d FROM generate_series(1, 100)) AS s),
  'a base larger than the cap is capped too');
UPDATE tributary.settings SET retry_backoff_cap = '30 seconds';
SELECT is(
  (SELECT count(*) FROM generate_series(1, 300),
        LATERAL (SELECT tributary._backoff(10, '1 second') AS d) AS s
   WHERE s.d NOT BETWEEN interval '15 seconds' AND interval '30 seconds'),
  0::bigint,
  'an updated retry_backoff_cap applies at once');
UPDATE tributary.settings SET retry_backoff_cap = '10 minutes';

-- Regression: _backoff multiplies base by 2^(attempt-1) (exponent capped at 40) BEFORE applying the
-- cap, and interval multiplication overflows: with a 10 second base the product leaves the
-- interval range from attempt 41 on, with a 1 hour base from attempt 33 on, so _backoff raises
-- 22008 "interval out of range" instead of returning the capped delay. fail_step and
-- rescue_expired_steps (through _fail_attempt) then fail for any such step with attempts left
-- (max_attempts > 33 with an hourly backoff); the rescue error aborts the whole sweep, and since
-- that step stays first in lease order, every later rescue_expired_steps() call fails too.
SELECT lives_ok($$SELECT tributary._backoff(41, '10 seconds')$$,
  'the delay after attempt 41 with a 10 second base is capped, not an interval overflow');
SELECT lives_ok($$SELECT tributary._backoff(33, '1 hour')$$,
  'the delay after attempt 33 with a 1 hour base is capped, not an interval overflow');

SELECT * FROM finish();
ROLLBACK;
