-- Revert tributary:functions/create_workflow to its @v0.1.0 form
-- requires: functions/_resolve_workflow
-- requires: functions/_diagnose_task_options
-- requires: triggers/steps_check_direct_insert
-- requires: triggers/workflows_resolve_at_commit
--
-- Creates a workflow and all its steps in one call (one transaction, one round trip), set-based:
-- O(steps + edges). p_tasks is a JSON array of task objects:
--   {"name", "kind", "args", "depends_on": [names], "queue", "priority", "max_attempts",
--    "timeout", "retry_backoff", "scheduled_at"}
-- name and kind are required; omitted options take tributary.settings' defaults; timeout and
-- retry_backoff are an interval string ('5 minutes') or a number of seconds. Errors name the
-- offending task and leave nothing behind: TB005 invalid task, TB003 duplicate task name,
-- TB002 unknown dependency, TB001 cycle, TB004 empty workflow. With p_idempotency_key, a second
-- call with the same key returns the first workflow's id and creates nothing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.create_workflow(
  p_name text,
  p_tasks jsonb,
  p_scheduled_at timestamptz DEFAULT NULL,
  p_metadata jsonb DEFAULT '{}',
  p_idempotency_key text DEFAULT NULL
)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET jit = off
AS $$
DECLARE
  v_settings tributary.settings := tributary._settings();
  v_scheduled_at timestamptz := coalesce(p_scheduled_at, tributary.now());
  v_count integer;
  v_bad record;
  v_id bigint;
  v_diagnosis record;
BEGIN
  IF p_tasks IS NULL OR pg_catalog.jsonb_typeof(p_tasks) <> 'array' THEN
    RAISE EXCEPTION 'tasks must be a JSON array of task objects'
      USING ERRCODE = 'TB005', HINT = 'Pass ''[{"name": "a", "kind": "my_kind"}]''.';
  END IF;
  v_count := pg_catalog.jsonb_array_length(p_tasks);
  IF v_count = 0 THEN
    RAISE EXCEPTION 'workflow "%" has no steps', p_name
      USING ERRCODE = 'TB004', HINT = 'A workflow needs at least one task.';
  END IF;

  SELECT t.ord, CASE WHEN pg_catalog.jsonb_typeof(t.task->'name') = 'string' THEN t.task->>'name' END AS name,
         problem.text
  INTO v_bad
  FROM pg_catalog.jsonb_array_elements(p_tasks) WITH ORDINALITY AS t(task, ord)
  CROSS JOIN LATERAL (SELECT CASE
    WHEN pg_catalog.jsonb_typeof(t.task) <> 'object' THEN 'not a JSON object'
    WHEN pg_catalog.jsonb_typeof(t.task->'name') IS DISTINCT FROM 'string' OR t.task->>'name' = ''
      THEN 'no "name" (a non-empty string)'
    WHEN pg_catalog.jsonb_typeof(t.task->'kind') IS DISTINCT FROM 'string' OR t.task->>'kind' = ''
      THEN 'no "kind" (a non-empty string)'
    WHEN EXISTS (SELECT 1 FROM pg_catalog.jsonb_object_keys(t.task) AS k(key)
                 WHERE k.key NOT IN ('name', 'kind', 'args', 'depends_on', 'queue', 'priority', 'max_attempts',
                                     'timeout', 'retry_backoff', 'scheduled_at'))
      THEN (SELECT pg_catalog.format('unknown key "%s" (known: name, kind, args, depends_on, queue, priority, max_attempts, timeout, retry_backoff, scheduled_at)', k.key)
            FROM pg_catalog.jsonb_object_keys(t.task) AS k(key)
            WHERE k.key NOT IN ('name', 'kind', 'args', 'depends_on', 'queue', 'priority', 'max_attempts',
                                'timeout', 'retry_backoff', 'scheduled_at')
            ORDER BY k.key LIMIT 1)
    WHEN pg_catalog.jsonb_typeof(t.task->'depends_on') NOT IN ('array', 'null')
      OR EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(
                   CASE pg_catalog.jsonb_typeof(t.task->'depends_on') WHEN 'array' THEN t.task->'depends_on' ELSE '[]' END) AS e
                 WHERE pg_catalog.jsonb_typeof(e) <> 'string')
      THEN '"depends_on" is not an array of task names'
    WHEN pg_catalog.jsonb_typeof(t.task->'queue') NOT IN ('string', 'null') OR t.task->>'queue' = ''
      THEN '"queue" is not a non-empty string'
    WHEN CASE pg_catalog.jsonb_typeof(t.task->'priority')
           WHEN 'number' THEN (t.task->>'priority')::numeric <> pg_catalog.trunc((t.task->>'priority')::numeric)
           WHEN 'null' THEN false
           ELSE t.task ? 'priority' END
      THEN '"priority" is not an integer'
    WHEN CASE pg_catalog.jsonb_typeof(t.task->'max_attempts')
           WHEN 'number' THEN (t.task->>'max_attempts')::numeric < 1
                              OR (t.task->>'max_attempts')::numeric <> pg_catalog.trunc((t.task->>'max_attempts')::numeric)
           WHEN 'null' THEN false
           ELSE t.task ? 'max_attempts' END
      THEN '"max_attempts" is not an integer >= 1'
    WHEN pg_catalog.jsonb_typeof(t.task->'timeout') NOT IN ('number', 'string', 'null')
      THEN '"timeout" is not an interval string or a number of seconds'
    WHEN pg_catalog.jsonb_typeof(t.task->'retry_backoff') NOT IN ('number', 'string', 'null')
      THEN '"retry_backoff" is not an interval string or a number of seconds'
    WHEN pg_catalog.jsonb_typeof(t.task->'scheduled_at') NOT IN ('string', 'null')
      THEN '"scheduled_at" is not a timestamp string'
  END AS text) AS problem
  WHERE problem.text IS NOT NULL
  ORDER BY t.ord
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'task % in workflow "%": %', coalesce('"' || v_bad.name || '"', '#' || v_bad.ord), p_name, v_bad.text
      USING ERRCODE = 'TB005',
            DETAIL = pg_catalog.format('task #%s of the tasks array', v_bad.ord),
            HINT = 'Each task is {"name": ..., "kind": ..., "args": ..., "depends_on": [...]} plus optional options.';
  END IF;

  SELECT t.task->>'name' AS name INTO v_bad
  FROM pg_catalog.jsonb_array_elements(p_tasks) AS t(task)
  GROUP BY t.task->>'name'
  HAVING pg_catalog.count(*) > 1
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'duplicate task name "%" in workflow "%"', v_bad.name, p_name
      USING ERRCODE = 'TB003', HINT = 'Task names must be unique within a workflow.';
  END IF;

  -- Our own rows are resolved here, not by the direct-insert triggers.
  PERFORM pg_catalog.set_config('tributary.creating_workflow', 'on', true);
  INSERT INTO tributary.workflows (name, metadata, idempotency_key, scheduled_at, steps_total, steps_unfinished)
  VALUES (p_name, coalesce(p_metadata, '{}'), p_idempotency_key, v_scheduled_at, v_count, v_count)
  ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING id INTO v_id;
  IF v_id IS NULL THEN
    PERFORM pg_catalog.set_config('tributary.creating_workflow', 'off', true);
    SELECT w.id INTO STRICT v_id FROM tributary.workflows AS w WHERE w.idempotency_key = p_idempotency_key;
    RETURN v_id;
  END IF;

  BEGIN
    INSERT INTO tributary.steps (
      workflow_id, task_name, kind, args, depends_on, queue, priority, max_attempts, timeout,
      retry_backoff, state, remaining_deps, scheduled_at
    )
    SELECT v_id,
           t.task->>'name',
           t.task->>'kind',
           coalesce(t.task->'args', '{}'),
           deps.names,
           coalesce(t.task->>'queue', v_settings.default_queue),
           coalesce((t.task->>'priority')::numeric::integer, v_settings.default_priority),
           coalesce((t.task->>'max_attempts')::numeric::integer, v_settings.default_max_attempts),
           coalesce(CASE pg_catalog.jsonb_typeof(t.task->'timeout')
                      WHEN 'number' THEN pg_catalog.make_interval(secs => (t.task->>'timeout')::double precision)
                      WHEN 'string' THEN (t.task->>'timeout')::interval
                    END, v_settings.default_timeout),
           coalesce(CASE pg_catalog.jsonb_typeof(t.task->'retry_backoff')
                      WHEN 'number' THEN pg_catalog.make_interval(secs => (t.task->>'retry_backoff')::double precision)
                      WHEN 'string' THEN (t.task->>'retry_backoff')::interval
                    END, v_settings.retry_backoff_base),
           CASE WHEN deps.n = 0 THEN 'available' ELSE 'pending' END,
           deps.n,
           GREATEST(coalesce((t.task->>'scheduled_at')::timestamptz, v_scheduled_at), v_scheduled_at)
    FROM pg_catalog.jsonb_array_elements(p_tasks) WITH ORDINALITY AS t(task, ord)
    CROSS JOIN LATERAL (
      SELECT coalesce(pg_catalog.array_agg(e.name), '{}') AS names,
             pg_catalog.count(DISTINCT e.name)::integer AS n
      FROM pg_catalog.jsonb_array_elements_text(
             CASE pg_catalog.jsonb_typeof(t.task->'depends_on') WHEN 'array' THEN t.task->'depends_on' ELSE '[]' END
           ) AS e(name)
    ) AS deps
    ORDER BY t.ord;
  EXCEPTION WHEN data_exception OR check_violation THEN
    SELECT * INTO v_diagnosis FROM tributary._diagnose_task_options(p_tasks);
    IF v_diagnosis.problem IS NULL THEN
      RAISE;
    END IF;
    RAISE EXCEPTION 'task % in workflow "%": %',
                    coalesce('"' || v_diagnosis.task_name || '"', '#' || v_diagnosis.task_ordinal), p_name, v_diagnosis.problem
      USING ERRCODE = 'TB005',
            DETAIL = pg_catalog.format('task #%s of the tasks array', v_diagnosis.task_ordinal),
            HINT = 'Intervals are strings such as ''5 minutes'' or numbers of seconds; scheduled_at is an ISO timestamp.';
  END;
  PERFORM pg_catalog.set_config('tributary.creating_workflow', 'off', true);

  PERFORM tributary._resolve_workflow(v_id);
  RETURN v_id;
END;
$$;

COMMENT ON FUNCTION tributary.create_workflow(text, jsonb, timestamptz, jsonb, text) IS
  'Creates a workflow and its steps atomically from a JSON array of tasks {name, kind, args, depends_on, queue, priority, max_attempts, timeout, retry_backoff, scheduled_at}; returns its id. Errors: TB005 invalid task, TB003 duplicate name, TB002 unknown dependency, TB001 cycle, TB004 empty. Same idempotency key -> same id.';

COMMIT;
