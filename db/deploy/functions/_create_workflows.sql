-- Deploy tributary:functions/_create_workflows
-- requires: functions/_check_acyclic
-- requires: functions/_diagnose_task_options
-- requires: functions/_notify_available
-- requires: triggers/steps_check_direct_insert
-- requires: triggers/workflows_resolve_at_commit
--
-- The one implementation of workflow creation: create_workflows() is this over a batch,
-- create_workflow() is its one-workflow case. p_workflows is a JSON array of
--   {"name", "tasks", "scheduled_at", "metadata", "idempotency_key", "id"}
-- (tasks as documented for create_workflow; "id", optional, is an id from
-- reserve_workflow_ids(), so that a client can bind sealed args to the workflow before it exists). Every check runs over the whole batch before
-- anything is written, in this order: TB005 invalid workflow or task, TB004 no tasks, TB003
-- duplicate task name, TB002 unknown dependency, TB001 a task depending on itself, TB303
-- invalid wait options (wait_for, sleep, sleep_until: see _wait_spec; such a task's kind is
-- optional and defaults to "wait_for" or "sleep", and its steps.wait holds the normalized
-- options, which make the step enter waiting instead of available), TB320 a bad map option,
-- TB321 a bad run_if or run_when; then the rows are inserted, and TB001 for a longer cycle. An
-- error names the task and, with
-- p_in_batch, the workflow's position and name in the batch (DETAIL); nothing is left behind.
-- A workflow whose idempotency key is taken (before, or earlier in the batch) is not created:
-- its position gets the existing workflow's id. Returns the ids in input order.
--
-- Set-based and O(steps + edges) whatever the statistics say: ids are drawn from the identity
-- sequences up front, so steps and edges are computed from the input alone; a task's
-- dependencies are found through a jsonb object "workflow position/task name" -> step position
-- (a lookup by key: no join, so no join order can go quadratic). Tables are only written, and
-- read by key (the idempotency index). Only a workflow with a dependency listed after its
-- dependent pays for the full cycle check (_check_acyclic); listed in order, ids are a
-- topological order. Every column is given, so no column default calls tributary.now() per
-- row. Locks nothing but the rows it inserts.
BEGIN;

CREATE OR REPLACE FUNCTION tributary._create_workflows(p_workflows jsonb, p_in_batch boolean)
RETURNS bigint[]
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET enable_seqscan = off
SET enable_bitmapscan = off
SET jit = off
AS $$
DECLARE
  v_settings tributary.settings := tributary._settings();
  v_now timestamptz := tributary.now();
  v_count integer;
  v_bad record;
  v_diagnosis record;
  v_where text;          -- DETAIL prefix naming the workflow of the batch at fault
  v_offsets integer[];   -- workflow position -> number of tasks of the workflows before it
  v_names jsonb;         -- 'workflow position/task name' -> task position in the whole batch
  v_total integer;       -- tasks in the batch
  v_ids bigint[];        -- workflow position -> the id drawn for it
  v_inserted jsonb;      -- id -> true, for the workflows this call inserted
  v_all_new boolean;     -- every workflow of the batch was inserted (no key was taken)
  v_step_ids bigint[];   -- task position in the batch -> the step id drawn for it
  v_cyclic integer[];    -- positions of new workflows with a dependency listed after its dependent
  v_queues text[];
  v_result bigint[];
  v_has_dependencies boolean;  -- some task lists a dependency (else no TB002 check, no edges)
BEGIN
  IF p_workflows IS NULL OR pg_catalog.jsonb_typeof(p_workflows) <> 'array' THEN
    RAISE EXCEPTION 'workflows must be a JSON array of workflow objects'
      USING ERRCODE = 'TB005', HINT = 'Pass ''[{"name": "w", "tasks": [{"name": "a", "kind": "my_kind"}]}]''.';
  END IF;
  v_count := pg_catalog.jsonb_array_length(p_workflows);
  IF v_count = 0 THEN
    RETURN '{}';
  END IF;

  -- Each workflow object: TB005 for its shape, TB004 for an empty tasks array.
  SELECT w.ord, CASE WHEN pg_catalog.jsonb_typeof(w.wf->'name') = 'string' THEN w.wf->>'name' END AS name,
         problem.text
  INTO v_bad
  FROM pg_catalog.jsonb_array_elements(p_workflows) WITH ORDINALITY AS w(wf, ord)
  CROSS JOIN LATERAL (SELECT CASE
    WHEN pg_catalog.jsonb_typeof(w.wf) <> 'object' THEN 'workflow is not a JSON object'
    WHEN pg_catalog.jsonb_typeof(w.wf->'name') IS DISTINCT FROM 'string' OR w.wf->>'name' = ''
      THEN 'workflow has no "name" (a non-empty string)'
    WHEN w.wf - ARRAY['name', 'tasks', 'scheduled_at', 'metadata', 'idempotency_key', 'id'] <> '{}'
      THEN (SELECT pg_catalog.format('workflow has an unknown key "%s" (known: name, tasks, scheduled_at, metadata, idempotency_key, id)', k.key)
            FROM pg_catalog.jsonb_object_keys(w.wf) AS k(key)
            WHERE k.key NOT IN ('name', 'tasks', 'scheduled_at', 'metadata', 'idempotency_key', 'id')
            ORDER BY k.key LIMIT 1)
    WHEN pg_catalog.jsonb_typeof(w.wf->'tasks') IS DISTINCT FROM 'array' THEN 'tasks must be a JSON array of task objects'
    WHEN pg_catalog.jsonb_typeof(w.wf->'metadata') NOT IN ('object', 'null') THEN 'metadata must be a JSON object'
    WHEN pg_catalog.jsonb_typeof(w.wf->'scheduled_at') NOT IN ('string', 'null') THEN 'scheduled_at must be a timestamp string'
    WHEN pg_catalog.jsonb_typeof(w.wf->'idempotency_key') NOT IN ('string', 'null') THEN 'idempotency_key must be a string'
    WHEN CASE pg_catalog.jsonb_typeof(w.wf->'id')
           WHEN 'number' THEN (w.wf->>'id')::numeric < 1 OR (w.wf->>'id')::numeric > 9223372036854775807
                              OR (w.wf->>'id')::numeric <> pg_catalog.trunc((w.wf->>'id')::numeric)
           WHEN 'null' THEN false
           ELSE w.wf ? 'id' END
      THEN 'id must be a workflow id from reserve_workflow_ids()'
    WHEN pg_catalog.jsonb_array_length(w.wf->'tasks') = 0 THEN ''  -- TB004 below
  END AS text) AS problem
  WHERE problem.text IS NOT NULL
  ORDER BY w.ord
  LIMIT 1;
  IF FOUND THEN
    v_where := CASE WHEN p_in_batch
                 THEN pg_catalog.format('workflow #%s (%s) of the batch', v_bad.ord, coalesce(pg_catalog.format('"%s"', v_bad.name), 'unnamed'))
               END;
    IF v_bad.text = '' THEN
      RAISE EXCEPTION 'workflow "%" has no steps', v_bad.name
        USING ERRCODE = 'TB004', DETAIL = coalesce(v_where, 'the tasks array is empty'),
              HINT = 'A workflow needs at least one task.';
    END IF;
    RAISE EXCEPTION '%', v_bad.text
      USING ERRCODE = 'TB005', DETAIL = coalesce(v_where, 'the workflow''s arguments'),
            HINT = 'A workflow is {"name": ..., "tasks": [...]} plus optional scheduled_at, metadata, idempotency_key.';
  END IF;

  -- Each task (the same rules as always; see create_workflow).
  SELECT w.ord AS wf_ord, w.wf->>'name' AS wf_name, t.ord,
         CASE WHEN pg_catalog.jsonb_typeof(t.task->'name') = 'string' THEN t.task->>'name' END AS name,
         problem.text
  INTO v_bad
  FROM pg_catalog.jsonb_array_elements(p_workflows) WITH ORDINALITY AS w(wf, ord)
  CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(w.wf->'tasks') WITH ORDINALITY AS t(task, ord)
  CROSS JOIN LATERAL (SELECT CASE
    WHEN pg_catalog.jsonb_typeof(t.task) <> 'object' THEN 'not a JSON object'
    WHEN pg_catalog.jsonb_typeof(t.task->'name') IS DISTINCT FROM 'string' OR t.task->>'name' = ''
      THEN 'no "name" (a non-empty string)'
    WHEN (t.task ? 'kind' OR NOT t.task ?| ARRAY['wait_for', 'sleep', 'sleep_until'])
         AND (pg_catalog.jsonb_typeof(t.task->'kind') IS DISTINCT FROM 'string' OR t.task->>'kind' = '')
      THEN 'no "kind" (a non-empty string)'
    WHEN t.task - ARRAY['name', 'kind', 'args', 'depends_on', 'queue', 'priority', 'max_attempts',
                        'timeout', 'retry_backoff', 'scheduled_at', 'wait_for', 'sleep', 'sleep_until',
                        'map', 'run_if', 'run_when', 'concurrency_key'] <> '{}'
      THEN (SELECT pg_catalog.format('unknown key "%s" (known: name, kind, args, depends_on, queue, priority, max_attempts, timeout, retry_backoff, scheduled_at, wait_for, sleep, sleep_until, map, run_if, run_when, concurrency_key)', k.key)
            FROM pg_catalog.jsonb_object_keys(t.task) AS k(key)
            WHERE k.key NOT IN ('name', 'kind', 'args', 'depends_on', 'queue', 'priority', 'max_attempts',
                                'timeout', 'retry_backoff', 'scheduled_at', 'wait_for', 'sleep', 'sleep_until',
                                'map', 'run_if', 'run_when', 'concurrency_key')
            ORDER BY k.key LIMIT 1)
    WHEN pg_catalog.jsonb_typeof(t.task->'depends_on') NOT IN ('array', 'null')
      OR (pg_catalog.jsonb_typeof(t.task->'depends_on') = 'array'
          AND EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(t.task->'depends_on') AS e
                      WHERE pg_catalog.jsonb_typeof(e) <> 'string'))
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
    WHEN pg_catalog.jsonb_typeof(t.task->'concurrency_key') NOT IN ('string', 'null')
      OR t.task->>'concurrency_key' = '' OR pg_catalog.length(t.task->>'concurrency_key') > 255
      THEN '"concurrency_key" is not a string of 1 to 255 characters'
  END AS text) AS problem
  WHERE problem.text IS NOT NULL
  ORDER BY w.ord, t.ord
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'task % in workflow "%": %', coalesce('"' || v_bad.name || '"', '#' || v_bad.ord), v_bad.wf_name, v_bad.text
      USING ERRCODE = 'TB005',
            DETAIL = pg_catalog.concat_ws('; ', CASE WHEN p_in_batch THEN pg_catalog.format('workflow #%s ("%s") of the batch', v_bad.wf_ord, v_bad.wf_name) END,
                               pg_catalog.format('task #%s of the tasks array', v_bad.ord)),
            HINT = 'Each task is {"name": ..., "kind": ..., "args": ..., "depends_on": [...]} plus optional options.';
  END IF;

  -- Task positions in the whole batch (workflow by workflow, in task order) and the name map.
  SELECT pg_catalog.array_agg(o.before ORDER BY o.ord), pg_catalog.max(o.before + o.n)
  INTO v_offsets, v_total
  FROM (SELECT w.ord, pg_catalog.jsonb_array_length(w.wf->'tasks') AS n,
               (pg_catalog.sum(pg_catalog.jsonb_array_length(w.wf->'tasks')) OVER (ORDER BY w.ord) - pg_catalog.jsonb_array_length(w.wf->'tasks'))::integer AS before
        FROM pg_catalog.jsonb_array_elements(p_workflows) WITH ORDINALITY AS w(wf, ord)) AS o;
  SELECT pg_catalog.jsonb_object_agg(w.ord || '/' || (t.task->>'name'), v_offsets[w.ord] + t.ord)
  INTO v_names
  FROM pg_catalog.jsonb_array_elements(p_workflows) WITH ORDINALITY AS w(wf, ord)
  CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(w.wf->'tasks') WITH ORDINALITY AS t(task, ord);

  -- TB003: a name the map holds fewer times than the tasks bearing it.
  IF (SELECT pg_catalog.count(*) FROM pg_catalog.jsonb_object_keys(v_names)) < v_total THEN
    SELECT d.wf_ord, d.wf_name, d.name, d.positions INTO v_bad
    FROM (SELECT w.ord AS wf_ord, w.wf->>'name' AS wf_name, t.task->>'name' AS name,
                 pg_catalog.array_agg(t.ord ORDER BY t.ord) AS positions
          FROM pg_catalog.jsonb_array_elements(p_workflows) WITH ORDINALITY AS w(wf, ord)
          CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(w.wf->'tasks') WITH ORDINALITY AS t(task, ord)
          GROUP BY w.ord, w.wf->>'name', t.task->>'name'
          HAVING pg_catalog.count(*) > 1) AS d
    ORDER BY d.wf_ord, d.positions[1]
    LIMIT 1;
    RAISE EXCEPTION 'duplicate task name "%" in workflow "%"', v_bad.name, v_bad.wf_name
      USING ERRCODE = 'TB003',
            DETAIL = pg_catalog.concat_ws('; ', CASE WHEN p_in_batch THEN pg_catalog.format('workflow #%s ("%s") of the batch', v_bad.wf_ord, v_bad.wf_name) END,
                               pg_catalog.format('tasks #%s of the tasks array', pg_catalog.array_to_string(v_bad.positions, ', #'))),
            HINT = 'Task names must be unique within a workflow.';
  END IF;

  -- TB002 / TB001: every dependency names another task of the same workflow. The statements that
  -- only tasks with a dependency, a wait, a map or a branch can need are skipped, each after one
  -- probe of the input, when no task of the batch has one (one-step workflows have none).
  v_has_dependencies := pg_catalog.jsonb_path_exists(p_workflows, '$[*].tasks[*].depends_on[0]');
  IF v_has_dependencies THEN
    SELECT w.ord AS wf_ord, w.wf->>'name' AS wf_name, t.ord, t.task->>'name' AS name, e.name AS dependency
    INTO v_bad
    FROM pg_catalog.jsonb_array_elements(p_workflows) WITH ORDINALITY AS w(wf, ord)
    CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(w.wf->'tasks') WITH ORDINALITY AS t(task, ord)
    CROSS JOIN LATERAL pg_catalog.jsonb_array_elements_text(
      CASE pg_catalog.jsonb_typeof(t.task->'depends_on') WHEN 'array' THEN t.task->'depends_on' ELSE '[]' END
    ) WITH ORDINALITY AS e(name, ord)
    WHERE e.name = t.task->>'name' OR NOT v_names ? (w.ord || '/' || e.name)
    ORDER BY w.ord, t.ord, e.ord
    LIMIT 1;
    IF FOUND THEN
      v_where := CASE WHEN p_in_batch THEN pg_catalog.format('workflow #%s ("%s") of the batch; ', v_bad.wf_ord, v_bad.wf_name) ELSE '' END;
      IF v_bad.dependency = v_bad.name THEN
        RAISE EXCEPTION 'dependency cycle at task "%": it depends on itself', v_bad.name
          USING ERRCODE = 'TB001',
                DETAIL = v_where || pg_catalog.format('cycle: %I -> %I', v_bad.name, v_bad.name),
                HINT = 'Remove the task from its own depends_on.';
      END IF;
      RAISE EXCEPTION 'task "%" depends on unknown task "%"', v_bad.name, v_bad.dependency
        USING ERRCODE = 'TB002',
              DETAIL = v_where || pg_catalog.format('task #%s of the tasks array', v_bad.ord),
              HINT = 'depends_on names tasks of the same workflow; check the spelling or add the task.';
    END IF;
  END IF;

  -- TB303: the wait options of wait and sleep tasks (tributary._wait_spec), checked task by task
  -- for those tasks only (a task without wait_for, sleep or sleep_until costs one key test).
  IF p_workflows @? '$[*].tasks[*] ? (exists (@.wait_for) || exists (@.sleep) || exists (@.sleep_until))' THEN
    FOR v_bad IN
      SELECT w.ord AS wf_ord, w.wf->>'name' AS wf_name, t.ord, t.task->>'name' AS name, t.task
      FROM pg_catalog.jsonb_array_elements(p_workflows) WITH ORDINALITY AS w(wf, ord)
      CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(w.wf->'tasks') WITH ORDINALITY AS t(task, ord)
      WHERE t.task ?| ARRAY['wait_for', 'sleep', 'sleep_until']
      ORDER BY w.ord, t.ord
    LOOP
      DECLARE
        v_message text;
      BEGIN
        PERFORM tributary._wait_spec(v_bad.task);
      EXCEPTION WHEN SQLSTATE 'TB303' THEN
        GET STACKED DIAGNOSTICS v_message = MESSAGE_TEXT;
        RAISE EXCEPTION 'task "%" in workflow "%": %', v_bad.name, v_bad.wf_name, v_message
          USING ERRCODE = 'TB303',
                DETAIL = pg_catalog.concat_ws('; ', CASE WHEN p_in_batch THEN pg_catalog.format('workflow #%s ("%s") of the batch', v_bad.wf_ord, v_bad.wf_name) END,
                                   pg_catalog.format('task #%s of the tasks array', v_bad.ord)),
                HINT = '"wait_for": {"event": "approved", "key"?: "order:42", "timeout"?: "3 days", "on_timeout"?: "fail" | {"default": ...}}, "sleep": "1 hour" (>= 0) or "sleep_until": "2030-01-01T00:00:00Z".';
      END;
    END LOOP;
  END IF;

  -- TB320 / TB321: the options of map steps and branches. Only tasks that use them are examined.
  IF p_workflows @? '$[*].tasks[*] ? (exists (@.map) || exists (@.run_if) || exists (@.run_when))' THEN
    SELECT w.ord AS wf_ord, w.wf->>'name' AS wf_name, t.ord, t.task->>'name' AS name, problem.code, problem.text
    INTO v_bad
    FROM pg_catalog.jsonb_array_elements(p_workflows) WITH ORDINALITY AS w(wf, ord)
    CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(w.wf->'tasks') WITH ORDINALITY AS t(task, ord)
    CROSS JOIN LATERAL (SELECT c.code, c.text FROM (SELECT CASE
      WHEN pg_catalog.jsonb_typeof(t.task->'map') NOT IN ('object', 'null')
        THEN 'TB320:"map" is not an object {"over": <dependency>, "path": <keys separated by dots>}'
      WHEN t.task->'map' IS NOT NULL AND pg_catalog.jsonb_typeof(t.task->'map') = 'object'
           AND (t.task->'map') - ARRAY['over', 'path'] <> '{}'
        THEN 'TB320:"map" has an unknown key (known: over, path)'
      WHEN pg_catalog.jsonb_typeof(t.task->'map') = 'object'
           AND (pg_catalog.jsonb_typeof(t.task->'map'->'over') IS DISTINCT FROM 'string'
                OR NOT coalesce(t.task->'depends_on' ? (t.task->'map'->>'over'), false))
        THEN pg_catalog.format('TB320:"map"."over" must name one of the task''s dependencies (depends_on), got %s', coalesce((t.task->'map'->'over')::text, 'nothing'))
      WHEN pg_catalog.jsonb_typeof(t.task->'map') = 'object'
           AND (pg_catalog.jsonb_typeof(t.task->'map'->'path') NOT IN ('string', 'null') OR t.task->'map'->>'path' = '')
        THEN 'TB320:"map"."path" is not a non-empty string of keys separated by dots'
      WHEN pg_catalog.jsonb_typeof(t.task->'map') = 'object' AND pg_catalog.jsonb_typeof(t.task->'args') NOT IN ('object', 'null')
        THEN 'TB320:the args of a map task must be a JSON object (each element step gets them with "element" set)'
      WHEN pg_catalog.jsonb_typeof(t.task->'map') = 'object' AND t.task ?| ARRAY['wait_for', 'sleep', 'sleep_until']
        THEN 'TB320:a map task cannot wait or sleep ("wait_for", "sleep", "sleep_until"): workers run its elements'
      WHEN pg_catalog.jsonb_typeof(t.task->'map') = 'object' AND t.task->>'run_when' = 'any_completed'
        THEN 'TB320:a map task cannot have "run_when": "any_completed" (it needs the result it maps over)'
      WHEN pg_catalog.jsonb_typeof(t.task->'map') = 'object'
           AND EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(w.wf->'tasks') AS o(task)
                       WHERE pg_catalog.left(o.task->>'name', pg_catalog.length(t.task->>'name') + 1) = (t.task->>'name') || '[')
        THEN pg_catalog.format('TB320:another task''s name starts with "%s[", the names of this map''s elements', t.task->>'name')
      WHEN pg_catalog.jsonb_typeof(t.task->'run_when') NOT IN ('string', 'null')
           OR t.task->>'run_when' NOT IN ('all_completed', 'any_completed')
        THEN pg_catalog.format('TB321:"run_when" must be "all_completed" or "any_completed", got %s', t.task->'run_when')
      WHEN pg_catalog.jsonb_typeof(t.task->'run_if') NOT IN ('object', 'null')
        THEN 'TB321:"run_if" is not an object {"<dependency>": <value its result must contain>}'
      WHEN pg_catalog.jsonb_typeof(t.task->'run_if') = 'object'
           AND EXISTS (SELECT 1 FROM pg_catalog.jsonb_object_keys(t.task->'run_if') AS k(key)
                       WHERE NOT coalesce(t.task->'depends_on' ? k.key, false))
        THEN (SELECT pg_catalog.format('TB321:"run_if" names "%s", which is not one of the task''s dependencies (depends_on)', k.key)
              FROM pg_catalog.jsonb_object_keys(t.task->'run_if') AS k(key)
              WHERE NOT coalesce(t.task->'depends_on' ? k.key, false) ORDER BY k.key LIMIT 1)
    END AS problem) AS p
    CROSS JOIN LATERAL (SELECT pg_catalog.left(p.problem, 5) AS code, pg_catalog.substr(p.problem, 7) AS text) AS c
    WHERE p.problem IS NOT NULL) AS problem
    WHERE t.task ?| ARRAY['map', 'run_if', 'run_when']
    ORDER BY w.ord, t.ord
    LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION 'task "%" in workflow "%": %', v_bad.name, v_bad.wf_name, v_bad.text
        USING ERRCODE = v_bad.code,
              DETAIL = pg_catalog.concat_ws('; ', CASE WHEN p_in_batch THEN pg_catalog.format('workflow #%s ("%s") of the batch', v_bad.wf_ord, v_bad.wf_name) END,
                                 pg_catalog.format('task #%s of the tasks array', v_bad.ord)),
              HINT = CASE v_bad.code
                       WHEN 'TB320' THEN 'A map task is {"map": {"over": "<dependency>", "path": "items"}, "depends_on": ["<dependency>", ...], ...}.'
                       ELSE 'Branches: "run_if": {"<dependency>": <value its result contains>}, "run_when": "all_completed" | "any_completed".'
                     END;
    END IF;
  END IF;

  -- The workflows. Ids are drawn up front (one per position) so that rows skipped for their
  -- idempotency key can be told apart from inserted ones; a position that brings a reserved id
  -- keeps it.
  v_ids := ARRAY(SELECT coalesce((w.wf->>'id')::bigint, pg_catalog.nextval('tributary.workflows_id_seq'::regclass))
                 FROM pg_catalog.jsonb_array_elements(p_workflows) WITH ORDINALITY AS w(wf, ord)
                 ORDER BY w.ord);
  IF p_workflows @? '$[*].id ? (@ != null)' THEN
    -- TB014: a given id must have been drawn by reserve_workflow_ids() (at most the sequence's
    -- last value: a higher one would collide with a future workflow) and be free.
    SELECT g.ord, g.name, g.id, g.problem
    INTO v_bad
    FROM (SELECT w.ord, w.wf->>'name' AS name, (w.wf->>'id')::bigint AS id,
                 CASE WHEN (w.wf->>'id')::bigint > coalesce(pg_catalog.pg_sequence_last_value('tributary.workflows_id_seq'::regclass), 0)
                        THEN 'was not reserved with reserve_workflow_ids()'
                      WHEN pg_catalog.count(*) OVER (PARTITION BY (w.wf->>'id')::bigint) > 1 THEN 'is given twice in the batch'
                      WHEN EXISTS (SELECT 1 FROM tributary.workflows AS x WHERE x.id = (w.wf->>'id')::bigint)
                        THEN 'is taken by an existing workflow'
                 END AS problem
          FROM pg_catalog.jsonb_array_elements(p_workflows) WITH ORDINALITY AS w(wf, ord)
          WHERE pg_catalog.jsonb_typeof(w.wf->'id') = 'number') AS g
    WHERE g.problem IS NOT NULL
    ORDER BY g.ord
    LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION 'workflow "%": id % %', v_bad.name, v_bad.id, v_bad.problem
        USING ERRCODE = 'TB014',
              DETAIL = coalesce(CASE WHEN p_in_batch THEN pg_catalog.format('workflow #%s ("%s") of the batch', v_bad.ord, v_bad.name) END,
                                'the workflow''s id'),
              HINT = 'Reserve ids with tributary.reserve_workflow_ids(n) and use each once.';
    END IF;
  END IF;
  PERFORM pg_catalog.set_config('tributary.creating_workflow', 'on', true);  -- our rows are resolved here
  BEGIN
    -- Workflows without a key go in with a plain INSERT (cheaper than ON CONFLICT's speculative
    -- insertion), those with a key with ON CONFLICT DO NOTHING; the same columns either way.
    WITH input AS (
      SELECT v_ids[w.ord] AS id, w.wf->>'name' AS name,
             CASE pg_catalog.jsonb_typeof(w.wf->'metadata') WHEN 'object' THEN w.wf->'metadata' ELSE '{}' END AS metadata,
             w.wf->>'idempotency_key' AS idempotency_key,
             coalesce((w.wf->>'scheduled_at')::timestamptz, v_now) AS scheduled_at,
             pg_catalog.jsonb_array_length(w.wf->'tasks') AS steps_total
      FROM pg_catalog.jsonb_array_elements(p_workflows) WITH ORDINALITY AS w(wf, ord)
    ), keyless AS (
      INSERT INTO tributary.workflows (id, name, metadata, idempotency_key, scheduled_at, created_at, steps_total, steps_unfinished)
      SELECT i.id, i.name, i.metadata, NULL, i.scheduled_at, v_now, i.steps_total, i.steps_total
      FROM input AS i WHERE i.idempotency_key IS NULL
      ORDER BY i.id
      RETURNING id
    ), keyed AS (
      INSERT INTO tributary.workflows (id, name, metadata, idempotency_key, scheduled_at, created_at, steps_total, steps_unfinished)
      SELECT i.id, i.name, i.metadata, i.idempotency_key, i.scheduled_at, v_now, i.steps_total, i.steps_total
      FROM input AS i WHERE i.idempotency_key IS NOT NULL
      ORDER BY i.id
      ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
      RETURNING id
    )
    SELECT pg_catalog.jsonb_object_agg(n.id, true), pg_catalog.count(*) = v_count INTO v_inserted, v_all_new
    FROM (SELECT keyless.id FROM keyless UNION ALL SELECT keyed.id FROM keyed) AS n;
  EXCEPTION WHEN data_exception THEN
    -- Error path only: find the workflow whose scheduled_at does not parse.
    FOR v_bad IN
      SELECT w.ord, w.wf->>'name' AS name, w.wf->>'scheduled_at' AS value
      FROM pg_catalog.jsonb_array_elements(p_workflows) WITH ORDINALITY AS w(wf, ord)
      WHERE w.wf->>'scheduled_at' IS NOT NULL
      ORDER BY w.ord
    LOOP
      BEGIN
        PERFORM v_bad.value::timestamptz;
      EXCEPTION WHEN data_exception THEN
        RAISE EXCEPTION 'workflow "%": scheduled_at "%" is not a timestamp', v_bad.name, v_bad.value
          USING ERRCODE = 'TB005',
                DETAIL = coalesce(CASE WHEN p_in_batch THEN pg_catalog.format('workflow #%s ("%s") of the batch', v_bad.ord, v_bad.name) END,
                                  'the workflow''s scheduled_at'),
                HINT = 'scheduled_at is an ISO timestamp such as ''2030-01-01T00:00:00Z''.';
      END;
    END LOOP;
    RAISE;
  END;

  IF v_inserted IS NOT NULL THEN
    -- Step ids, drawn up front and sorted: within a workflow, ids follow the task order.
    SELECT pg_catalog.array_agg(n.id ORDER BY n.id) INTO v_step_ids
    FROM (SELECT pg_catalog.nextval('tributary.steps_id_seq'::regclass) FROM pg_catalog.generate_series(1, v_total)) AS n(id);
    BEGIN
      WITH steps AS (
        INSERT INTO tributary.steps (
          id, workflow_id, task_name, kind, args, depends_on, queue, priority, max_attempts, timeout,
          retry_backoff, state, remaining_deps, scheduled_at, created_at, wait, map_over, map_path, run_if, run_when,
          concurrency_key
        )
        SELECT v_step_ids[v_offsets[w.ord] + t.ord],
               v_ids[w.ord],
               t.task->>'name',
               coalesce(t.task->>'kind', CASE WHEN t.task ? 'wait_for' THEN 'wait_for' ELSE 'sleep' END),
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
                        END, v_settings.default_retry_backoff),
               CASE WHEN deps.n = 0 THEN 'available' ELSE 'pending' END,
               deps.n,
               GREATEST(coalesce((t.task->>'scheduled_at')::timestamptz, w.scheduled_at), w.scheduled_at),
               v_now,  -- not the column default: one call of tributary.now() per row costs more than the row
               CASE WHEN t.task ?| ARRAY['wait_for', 'sleep', 'sleep_until'] THEN tributary._wait_spec(t.task) END,
               t.task->'map'->>'over',
               t.task->'map'->>'path',
               CASE pg_catalog.jsonb_typeof(t.task->'run_if') WHEN 'object' THEN t.task->'run_if' END,
               coalesce(t.task->>'run_when', 'all_completed'),
               t.task->>'concurrency_key'
        FROM (SELECT w.ord, w.wf, coalesce((w.wf->>'scheduled_at')::timestamptz, v_now) AS scheduled_at
              FROM pg_catalog.jsonb_array_elements(p_workflows) WITH ORDINALITY AS w(wf, ord)
              WHERE (v_all_new OR v_inserted ? v_ids[w.ord]::text)) AS w
        CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(w.wf->'tasks') WITH ORDINALITY AS t(task, ord)
        -- No, or one, dependency (most tasks) needs no subquery.
        CROSS JOIN LATERAL (
          SELECT CASE WHEN pg_catalog.jsonb_typeof(t.task->'depends_on') IS DISTINCT FROM 'array' THEN '{}'
                      WHEN pg_catalog.jsonb_array_length(t.task->'depends_on') = 1 THEN ARRAY[t.task->'depends_on'->>0]
                      ELSE ARRAY(SELECT pg_catalog.jsonb_array_elements_text(t.task->'depends_on'))
                 END AS names
        ) AS given
        CROSS JOIN LATERAL (
          SELECT given.names,
                 CASE WHEN pg_catalog.cardinality(given.names) <= 1 THEN pg_catalog.cardinality(given.names)
                      ELSE (SELECT pg_catalog.count(DISTINCT e.name)::integer FROM pg_catalog.unnest(given.names) AS e(name))
                 END AS n
        ) AS deps
        ORDER BY w.ord, t.ord
        RETURNING queue, state, scheduled_at
      )
      SELECT pg_catalog.array_agg(DISTINCT steps.queue) INTO v_queues
      FROM steps
      WHERE steps.state = 'available' AND steps.scheduled_at <= v_now;
    EXCEPTION WHEN data_exception OR check_violation THEN
      FOR v_bad IN
        SELECT w.ord, w.wf->>'name' AS name, w.wf->'tasks' AS tasks
        FROM pg_catalog.jsonb_array_elements(p_workflows) WITH ORDINALITY AS w(wf, ord)
        WHERE (v_all_new OR v_inserted ? v_ids[w.ord]::text)
        ORDER BY w.ord
      LOOP
        SELECT * INTO v_diagnosis FROM tributary._diagnose_task_options(v_bad.tasks);
        IF v_diagnosis.problem IS NOT NULL THEN
          RAISE EXCEPTION 'task % in workflow "%": %',
                          coalesce('"' || v_diagnosis.task_name || '"', '#' || v_diagnosis.task_ordinal), v_bad.name, v_diagnosis.problem
            USING ERRCODE = 'TB005',
                  DETAIL = pg_catalog.concat_ws('; ', CASE WHEN p_in_batch THEN pg_catalog.format('workflow #%s ("%s") of the batch', v_bad.ord, v_bad.name) END,
                                     pg_catalog.format('task #%s of the tasks array', v_diagnosis.task_ordinal)),
                  HINT = 'Intervals are strings such as ''5 minutes'' or numbers of seconds; scheduled_at is an ISO timestamp.';
        END IF;
      END LOOP;
      RAISE;
    END;

    -- The edges, from the name map; a workflow with an edge to a later-listed task needs the
    -- full cycle check. A batch without a single dependency (one-step workflows) skips the
    -- statement.
    IF v_has_dependencies THEN
      WITH edges AS (
        SELECT DISTINCT w.ord, v_offsets[w.ord] + t.ord AS child, (v_names ->> (w.ord || '/' || e.name))::integer AS parent
        FROM pg_catalog.jsonb_array_elements(p_workflows) WITH ORDINALITY AS w(wf, ord)
        CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(w.wf->'tasks') WITH ORDINALITY AS t(task, ord)
        CROSS JOIN LATERAL pg_catalog.jsonb_array_elements_text(
          CASE pg_catalog.jsonb_typeof(t.task->'depends_on') WHEN 'array' THEN t.task->'depends_on' ELSE '[]' END
        ) AS e(name)
        WHERE (v_all_new OR v_inserted ? v_ids[w.ord]::text)
      ), inserted AS (
        INSERT INTO tributary.step_dependencies (step_id, depends_on_step_id)
        SELECT v_step_ids[edges.child], v_step_ids[edges.parent] FROM edges
      )
      SELECT pg_catalog.array_agg(DISTINCT edges.ord) INTO v_cyclic FROM edges WHERE edges.parent > edges.child;
    END IF;
  END IF;
  PERFORM pg_catalog.set_config('tributary.creating_workflow', 'off', true);

  IF v_cyclic IS NOT NULL THEN
    FOR v_bad IN
      SELECT c.ord, v_ids[c.ord] AS id, p_workflows->(c.ord::integer - 1)->>'name' AS name
      FROM pg_catalog.unnest(v_cyclic) AS c(ord) ORDER BY c.ord
    LOOP
      IF NOT p_in_batch THEN
        PERFORM tributary._check_acyclic(v_bad.id);
        CONTINUE;
      END IF;
      DECLARE
        v_message text;
        v_detail text;
        v_hint text;
      BEGIN
        PERFORM tributary._check_acyclic(v_bad.id);
      EXCEPTION WHEN SQLSTATE 'TB001' THEN
        GET STACKED DIAGNOSTICS v_message = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
        RAISE EXCEPTION '%', v_message
          USING ERRCODE = 'TB001',
                DETAIL = pg_catalog.format('workflow #%s ("%s") of the batch; %s', v_bad.ord, v_bad.name, v_detail),
                HINT = v_hint;
      END;
    END LOOP;
  END IF;

  IF v_queues IS NOT NULL THEN
    PERFORM tributary._notify_available(v_queues);
  END IF;

  -- Ids in input order: the drawn id where the row went in, else the workflow holding the key.
  IF v_all_new THEN
    RETURN v_ids;
  END IF;
  SELECT pg_catalog.array_agg(
           CASE WHEN v_inserted ? v_ids[w.ord]::text THEN v_ids[w.ord]
                ELSE (SELECT x.id FROM tributary.workflows AS x WHERE x.idempotency_key = w.wf->>'idempotency_key')
           END ORDER BY w.ord)
  INTO v_result
  FROM pg_catalog.jsonb_array_elements(p_workflows) WITH ORDINALITY AS w(wf, ord);
  RETURN v_result;
END;
$$;

COMMENT ON FUNCTION tributary._create_workflows(jsonb, boolean) IS
  'Internal: creates a batch of workflows (the one implementation behind create_workflow and create_workflows); with p_in_batch, errors name the workflow''s position in DETAIL.';

COMMIT;
