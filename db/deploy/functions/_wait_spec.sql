-- Deploy tributary:functions/_wait_spec
-- requires: columns/steps_wait
--
-- Reads the wait options of one task object (wait_for, sleep, sleep_until: at most one) and
-- returns the normalized spec stored in steps.wait, or NULL for a task without them:
--   {"event", "key", "timeout", "on_timeout"}  from  "wait_for": {"event", "key"?, "timeout"?, "on_timeout"?}
--   {"sleep"}                                  from  "sleep": interval string or seconds (0 to 1 year)
--   {"sleep_until"}                            from  "sleep_until": finite timestamp string
-- Intervals are stored as interval text. Raises TB303 with the problem (the caller names the
-- task) for anything else: two of the options, an unknown key, a missing or non-string event or
-- key, an unparsable, negative (sleep), non-positive (timeout) or over a year interval, an on_timeout other
-- than "fail" or {"default": ...}, an on_timeout without timeout, an unparsable or infinite
-- sleep_until. Reads no table; IMMUTABLE apart from the parsing of time zones (STABLE).
BEGIN;

CREATE OR REPLACE FUNCTION tributary._wait_spec(p_task jsonb)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = ''
SET jit = off
AS $$
DECLARE
  v_wait jsonb := p_task -> 'wait_for';
  v_value jsonb;
  v_interval interval;
  v_until timestamptz;
  v_problem text;
  v_on_timeout jsonb;
BEGIN
  IF (p_task ? 'wait_for')::integer + (p_task ? 'sleep')::integer + (p_task ? 'sleep_until')::integer = 0 THEN
    RETURN NULL;
  END IF;
  IF (p_task ? 'wait_for')::integer + (p_task ? 'sleep')::integer + (p_task ? 'sleep_until')::integer > 1 THEN
    RAISE EXCEPTION 'at most one of "wait_for", "sleep" and "sleep_until"' USING ERRCODE = 'TB303';
  END IF;

  IF p_task ? 'sleep_until' THEN
    v_value := p_task -> 'sleep_until';
    IF pg_catalog.jsonb_typeof(v_value) IS DISTINCT FROM 'string' THEN
      RAISE EXCEPTION '"sleep_until" is not a timestamp string' USING ERRCODE = 'TB303';
    END IF;
    BEGIN
      v_until := (v_value #>> '{}')::timestamptz;
    EXCEPTION WHEN data_exception THEN
      RAISE EXCEPTION '"sleep_until" "%" is not a timestamp', v_value #>> '{}' USING ERRCODE = 'TB303';
    END;
    IF NOT pg_catalog.isfinite(v_until) THEN
      RAISE EXCEPTION '"sleep_until" must be a finite timestamp' USING ERRCODE = 'TB303';
    END IF;
    RETURN pg_catalog.jsonb_build_object('sleep_until', v_until);
  END IF;

  IF p_task ? 'sleep' THEN
    v_value := p_task -> 'sleep';
    v_problem := '"sleep"';
  ELSE
    IF pg_catalog.jsonb_typeof(v_wait) IS DISTINCT FROM 'object' THEN
      RAISE EXCEPTION '"wait_for" is not an object like {"event": "approved", "timeout": "3 days"}' USING ERRCODE = 'TB303';
    END IF;
    IF v_wait - ARRAY['event', 'key', 'timeout', 'on_timeout'] <> '{}' THEN
      RAISE EXCEPTION '"wait_for" has an unknown key "%" (known: event, key, timeout, on_timeout)',
        (SELECT k FROM pg_catalog.jsonb_object_keys(v_wait - ARRAY['event', 'key', 'timeout', 'on_timeout']) AS k ORDER BY k LIMIT 1)
        USING ERRCODE = 'TB303';
    END IF;
    IF pg_catalog.jsonb_typeof(v_wait -> 'event') IS DISTINCT FROM 'string' OR pg_catalog.length(v_wait ->> 'event') NOT BETWEEN 1 AND 255 THEN
      RAISE EXCEPTION '"wait_for" has no "event" (a string of 1 to 255 characters)' USING ERRCODE = 'TB303';
    END IF;
    IF pg_catalog.jsonb_typeof(v_wait -> 'key') NOT IN ('string', 'null') OR pg_catalog.length(v_wait ->> 'key') NOT BETWEEN 1 AND 255 THEN
      RAISE EXCEPTION '"wait_for" "key" is not a string of 1 to 255 characters' USING ERRCODE = 'TB303';
    END IF;
    v_on_timeout := coalesce(v_wait -> 'on_timeout', '"fail"');
    IF NOT (v_on_timeout = '"fail"' OR (pg_catalog.jsonb_typeof(v_on_timeout) = 'object' AND v_on_timeout ? 'default'
                                         AND v_on_timeout - 'default' = '{}')) THEN
      RAISE EXCEPTION '"wait_for" "on_timeout" is neither "fail" nor {"default": <result>}' USING ERRCODE = 'TB303';
    END IF;
    IF pg_catalog.jsonb_typeof(v_wait -> 'timeout') IS NULL OR pg_catalog.jsonb_typeof(v_wait -> 'timeout') = 'null' THEN
      IF v_wait ? 'on_timeout' THEN
        RAISE EXCEPTION '"wait_for" has an "on_timeout" but no "timeout"' USING ERRCODE = 'TB303';
      END IF;
      RETURN pg_catalog.jsonb_build_object('event', v_wait -> 'event', 'key', coalesce(v_wait -> 'key', 'null'),
                                           'timeout', NULL, 'on_timeout', NULL);
    END IF;
    v_value := v_wait -> 'timeout';
    v_problem := '"wait_for" "timeout"';
  END IF;

  -- An interval: a string PostgreSQL parses, or a number of seconds.
  BEGIN
    v_interval := CASE pg_catalog.jsonb_typeof(v_value)
                    WHEN 'number' THEN pg_catalog.make_interval(secs => (v_value #>> '{}')::double precision)
                    WHEN 'string' THEN (v_value #>> '{}')::interval
                  END;
  EXCEPTION WHEN data_exception THEN
    v_interval := NULL;
  END;
  IF v_interval IS NULL THEN
    RAISE EXCEPTION '% % is not an interval (a string such as ''1 hour'' or a number of seconds)', v_problem, v_value
      USING ERRCODE = 'TB303';
  END IF;
  -- At most a year, as every interval a caller gives (so wake_at = now + it stays a timestamp).
  IF v_interval > interval '1 year' THEN
    RAISE EXCEPTION '% % is over a year', v_problem, v_value
      USING ERRCODE = 'TB303', HINT = 'A longer sleep is "sleep_until" a timestamp.';
  END IF;
  IF p_task ? 'sleep' THEN
    IF v_interval < interval '0' THEN
      RAISE EXCEPTION '"sleep" % is negative', v_value USING ERRCODE = 'TB303';
    END IF;
    RETURN pg_catalog.jsonb_build_object('sleep', v_interval::text);
  END IF;
  IF v_interval <= interval '0' THEN
    RAISE EXCEPTION '"wait_for" "timeout" % is not positive', v_value USING ERRCODE = 'TB303';
  END IF;
  RETURN pg_catalog.jsonb_build_object('event', v_wait -> 'event', 'key', coalesce(v_wait -> 'key', 'null'),
                                       'timeout', v_interval::text, 'on_timeout', v_on_timeout);
END;
$$;

COMMENT ON FUNCTION tributary._wait_spec(jsonb) IS
  'Internal: the normalized steps.wait of a task object with wait_for, sleep or sleep_until (NULL without); TB303 for invalid options.';

COMMIT;
