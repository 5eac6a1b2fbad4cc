-- Deploy tributary:functions/_diagnose_task_options
-- requires: schema
--
-- Error path of create_workflow(): when inserting the steps failed on a value (an unparsable
-- interval or timestamp, a number out of range, a negative timeout), finds the first task and
-- option at fault, so the caller gets TB005 naming them instead of a bare cast error. Tries each
-- option of each task on its own; slow on purpose, it runs only after a failure. Also names the
-- task that breaks one of the bounds of tables/steps_limits (the limits here are the ones of those
-- constraints; db/tests/create_workflow/limits.sql checks both agree). Locks nothing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary._diagnose_task_options(
  p_tasks jsonb,
  OUT task_ordinal integer,
  OUT task_name text,
  OUT problem text
)
RETURNS record
LANGUAGE plpgsql
STABLE
SET search_path = ''
SET jit = off
AS $$
DECLARE
  v_task jsonb;
  v_key text;
  v_interval interval;
  v_number numeric;
BEGIN
  FOR v_task, task_ordinal IN
    SELECT t.task, t.ord FROM pg_catalog.jsonb_array_elements(p_tasks) WITH ORDINALITY AS t(task, ord)
  LOOP
    task_name := v_task->>'name';
    problem := CASE
      WHEN pg_catalog.char_length(v_task->>'name') > 255 THEN '"name" is longer than 255 characters'
      WHEN pg_catalog.char_length(v_task->>'kind') > 255 THEN '"kind" is longer than 255 characters'
      WHEN pg_catalog.char_length(v_task->>'queue') > 255 THEN '"queue" is longer than 255 characters'
    END;
    IF problem IS NOT NULL THEN
      task_name := pg_catalog.left(task_name, 64) || CASE WHEN pg_catalog.char_length(task_name) > 64 THEN '...' ELSE '' END;
      RETURN;
    END IF;
    FOREACH v_key IN ARRAY ARRAY['priority', 'max_attempts', 'timeout', 'retry_backoff', 'scheduled_at'] LOOP
      CONTINUE WHEN pg_catalog.jsonb_typeof(v_task->v_key) IS NULL OR pg_catalog.jsonb_typeof(v_task->v_key) = 'null';
      BEGIN
        IF v_key IN ('priority', 'max_attempts') THEN
          v_number := (v_task->>v_key)::numeric;
          IF v_number NOT BETWEEN -2147483648 AND 2147483647 THEN
            problem := pg_catalog.format('"%s" is out of range (%s)', v_key, v_task->>v_key);
          ELSIF v_key = 'max_attempts' AND v_number > 1000000 THEN
            problem := pg_catalog.format('"max_attempts" must be at most 1000000, got %s', v_task->>v_key);
          END IF;
        ELSIF v_key = 'scheduled_at' THEN
          IF NOT pg_catalog.isfinite((v_task->>v_key)::timestamptz) THEN
            problem := pg_catalog.format('"scheduled_at" must be a finite timestamp, got %s', v_task->>v_key);
          END IF;
        ELSE
          v_interval := CASE pg_catalog.jsonb_typeof(v_task->v_key)
                          WHEN 'number' THEN pg_catalog.make_interval(secs => (v_task->>v_key)::double precision)
                          ELSE (v_task->>v_key)::interval
                        END;
          IF v_key = 'timeout' AND v_interval <= interval '0' THEN
            problem := pg_catalog.format('"timeout" must be positive, got %s', v_task->>v_key);
          ELSIF v_key = 'retry_backoff' AND v_interval < interval '0' THEN
            problem := pg_catalog.format('"retry_backoff" must not be negative, got %s', v_task->>v_key);
          ELSIF v_interval > interval '1 year' THEN
            problem := pg_catalog.format('"%s" must be at most 1 year, got %s', v_key, v_task->>v_key);
          END IF;
        END IF;
      EXCEPTION WHEN data_exception THEN
        problem := pg_catalog.format('"%s" is not a valid %s: %s', v_key,
                     CASE v_key WHEN 'scheduled_at' THEN 'timestamp'
                                WHEN 'priority' THEN 'integer' WHEN 'max_attempts' THEN 'integer'
                                ELSE 'interval' END,
                     v_task->>v_key);
      END;
      IF problem IS NOT NULL THEN
        RETURN;
      END IF;
    END LOOP;
  END LOOP;
  task_ordinal := NULL;
  task_name := NULL;
END;
$$;

COMMENT ON FUNCTION tributary._diagnose_task_options(jsonb) IS
  'Internal: after create_workflow() failed on a value, names the first task and option whose value is unusable.';

COMMIT;
