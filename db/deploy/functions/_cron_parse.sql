-- Deploy tributary:functions/_cron_parse
-- requires: schema
--
-- Parses a standard 5-field cron expression: minute (0-59), hour (0-23), day of month (1-31),
-- month (1-12 or JAN-DEC), day of week (0-7 or SUN-SAT, 0 and 7 both Sunday). Each field is a
-- comma-separated list of `*`, `N`, `N-M`, each optionally followed by `/STEP` (`N/STEP` runs from
-- N to the field's maximum). The macros @yearly, @annually, @monthly, @weekly, @daily, @midnight
-- and @hourly stand for their usual expressions. Returns the allowed values of each field, and
-- whether day of month and day of week are `*` (when both are restricted a day matches either, as
-- in every cron since Vixie's). Raises TB201 naming the field at fault. Locks nothing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary._cron_parse(
  p_cron text,
  OUT minutes integer[],
  OUT hours integer[],
  OUT days integer[],
  OUT months integer[],
  OUT weekdays integer[],
  OUT any_day boolean,
  OUT any_weekday boolean
)
RETURNS record
LANGUAGE plpgsql
IMMUTABLE
SET search_path = ''
SET jit = off
AS $$
DECLARE
  c_fields CONSTANT text[] := ARRAY['minute', 'hour', 'day of month', 'month', 'day of week'];
  c_min CONSTANT integer[] := ARRAY[0, 0, 1, 1, 0];
  c_max CONSTANT integer[] := ARRAY[59, 23, 31, 12, 7];
  c_months CONSTANT text[] := ARRAY['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
  c_weekdays CONSTANT text[] := ARRAY['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
  v_expr text := pg_catalog.btrim(coalesce(p_cron, ''));
  v_parts text[];
  v_values integer[];
  v_item text;
  v_range text;
  v_step integer;
  v_bounds text[];
  v_low integer;
  v_high integer;
  v_bound text;
  v_n integer;
  i integer;
BEGIN
  v_expr := CASE pg_catalog.lower(v_expr)
              WHEN '@yearly' THEN '0 0 1 1 *' WHEN '@annually' THEN '0 0 1 1 *'
              WHEN '@monthly' THEN '0 0 1 * *' WHEN '@weekly' THEN '0 0 * * 0'
              WHEN '@daily' THEN '0 0 * * *' WHEN '@midnight' THEN '0 0 * * *'
              WHEN '@hourly' THEN '0 * * * *' ELSE v_expr END;
  v_parts := pg_catalog.regexp_split_to_array(v_expr, '\s+');
  IF v_expr = '' OR pg_catalog.cardinality(v_parts) <> 5 THEN
    RAISE EXCEPTION 'invalid cron expression "%": it has % fields, a cron expression has 5', p_cron,
                    CASE WHEN v_expr = '' THEN 0 ELSE pg_catalog.cardinality(v_parts) END
      USING ERRCODE = 'TB201',
            HINT = 'Fields: minute hour day-of-month month day-of-week, e.g. ''30 6 * * MON-FRI''; or @hourly, @daily, @weekly, @monthly, @yearly.';
  END IF;

  FOR i IN 1..5 LOOP
    v_values := '{}';
    FOREACH v_item IN ARRAY pg_catalog.string_to_array(v_parts[i], ',') LOOP
      v_range := v_item;
      v_step := NULL;
      IF pg_catalog.strpos(v_item, '/') > 0 THEN
        v_range := pg_catalog.split_part(v_item, '/', 1);
        IF pg_catalog.split_part(v_item, '/', 2) !~ '^[0-9]{1,4}$' OR pg_catalog.split_part(v_item, '/', 3) <> ''
           OR pg_catalog.split_part(v_item, '/', 2)::integer = 0 THEN
          RAISE EXCEPTION 'invalid cron expression "%": % field: "%" has no valid step (a number >= 1 after /)',
                          p_cron, c_fields[i], v_item
            USING ERRCODE = 'TB201', HINT = 'A step is */15, 0-30/5 or 5/10.';
        END IF;
        v_step := pg_catalog.split_part(v_item, '/', 2)::integer;
      END IF;
      IF v_range = '*' THEN
        v_low := c_min[i];
        v_high := CASE i WHEN 5 THEN 6 ELSE c_max[i] END;
      ELSE
        v_bounds := pg_catalog.string_to_array(v_range, '-');
        IF v_range = '' OR pg_catalog.cardinality(v_bounds) > 2 THEN
          RAISE EXCEPTION 'invalid cron expression "%": % field: "%" is not *, N, N-M or a list of them',
                          p_cron, c_fields[i], v_item
            USING ERRCODE = 'TB201', HINT = 'Each field is a comma-separated list of *, N or N-M, each with an optional /STEP.';
        END IF;
        FOR v_n IN 1..pg_catalog.cardinality(v_bounds) LOOP
          v_bound := pg_catalog.upper(v_bounds[v_n]);
          IF v_bound ~ '^[0-9]{1,4}$' THEN
            v_bounds[v_n] := v_bound;
          ELSIF i = 4 AND v_bound = ANY (c_months) THEN
            v_bounds[v_n] := pg_catalog.array_position(c_months, v_bound)::text;
          ELSIF i = 5 AND v_bound = ANY (c_weekdays) THEN
            v_bounds[v_n] := (pg_catalog.array_position(c_weekdays, v_bound) - 1)::text;
          ELSE
            RAISE EXCEPTION 'invalid cron expression "%": % field: "%" is not a number%', p_cron, c_fields[i], v_bounds[v_n],
                            CASE i WHEN 4 THEN ' or a month name (JAN-DEC)' WHEN 5 THEN ' or a day name (SUN-SAT)' ELSE '' END
              USING ERRCODE = 'TB201', HINT = 'Each field is a comma-separated list of *, N or N-M, each with an optional /STEP.';
          END IF;
          IF v_bounds[v_n]::integer NOT BETWEEN c_min[i] AND c_max[i] THEN
            RAISE EXCEPTION 'invalid cron expression "%": % field: % is out of range %-%', p_cron, c_fields[i],
                            v_bounds[v_n], c_min[i], c_max[i]
              USING ERRCODE = 'TB201', HINT = 'minute 0-59, hour 0-23, day of month 1-31, month 1-12, day of week 0-7 (0 and 7 are Sunday).';
          END IF;
        END LOOP;
        v_low := v_bounds[1]::integer;
        v_high := CASE WHEN pg_catalog.cardinality(v_bounds) = 2 THEN v_bounds[2]::integer
                       WHEN v_step IS NOT NULL THEN c_max[i]
                       ELSE v_low END;
        IF v_low > v_high THEN
          RAISE EXCEPTION 'invalid cron expression "%": % field: the range "%" runs backwards', p_cron, c_fields[i], v_item
            USING ERRCODE = 'TB201', HINT = 'Write N-M with N <= M; list wrapping ranges as two, e.g. 22-23,0-2.';
        END IF;
      END IF;
      v_values := v_values || ARRAY(SELECT pg_catalog.generate_series(v_low, v_high, coalesce(v_step, 1)));
    END LOOP;
    IF i = 5 THEN  -- 7 is Sunday too
      v_values := ARRAY(SELECT DISTINCT CASE WHEN v = 7 THEN 0 ELSE v END FROM pg_catalog.unnest(v_values) AS v ORDER BY 1);
    ELSE
      v_values := ARRAY(SELECT DISTINCT v FROM pg_catalog.unnest(v_values) AS v ORDER BY 1);
    END IF;
    CASE i
      WHEN 1 THEN minutes := v_values;
      WHEN 2 THEN hours := v_values;
      WHEN 3 THEN days := v_values;
      WHEN 4 THEN months := v_values;
      ELSE weekdays := v_values;
    END CASE;
  END LOOP;
  any_day := v_parts[3] = '*';
  any_weekday := v_parts[5] = '*';
END;
$$;

COMMENT ON FUNCTION tributary._cron_parse(text) IS
  'Internal: the allowed minutes, hours, days, months and weekdays of a 5-field cron expression; TB201 when it does not parse.';

COMMIT;
