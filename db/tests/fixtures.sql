-- Test-only helpers, loaded into test databases after the schema is deployed; production never
-- deploys this schema. pgTAP test files call these to build graphs and to move the engine clock.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions WHERE name = 'pgtap') THEN
    CREATE EXTENSION IF NOT EXISTS pgtap;
  END IF;
END
$$;
DROP SCHEMA IF EXISTS tributary_test CASCADE;
CREATE SCHEMA tributary_test;

-- Moves tributary.now() to p_at for the rest of the transaction (SET LOCAL semantics).
CREATE FUNCTION tributary_test.set_now(p_at timestamptz)
RETURNS timestamptz
LANGUAGE sql
AS $$ SELECT pg_catalog.set_config('tributary.fake_now', p_at::text, true)::timestamptz $$;

-- Moves tributary.now() forward by p_by from its current value.
CREATE FUNCTION tributary_test.advance(p_by interval)
RETURNS timestamptz
LANGUAGE sql
AS $$ SELECT tributary_test.set_now(tributary.now() + p_by) $$;

-- Goes back to the real clock.
CREATE FUNCTION tributary_test.reset_now()
RETURNS void
LANGUAGE sql
AS $$ SELECT pg_catalog.set_config('tributary.fake_now', '', true); $$;

-- a -> b, a -> c, (b, c) -> d on queue p_queue; returns the workflow id.
CREATE FUNCTION tributary_test.diamond(p_queue text DEFAULT 'default', p_max_attempts integer DEFAULT 3)
RETURNS bigint
LANGUAGE sql
AS $$
  SELECT tributary.create_workflow('diamond', jsonb_build_array(
    jsonb_build_object('name', 'a', 'kind', 'noop', 'queue', p_queue, 'max_attempts', p_max_attempts),
    jsonb_build_object('name', 'b', 'kind', 'noop', 'queue', p_queue, 'max_attempts', p_max_attempts, 'depends_on', jsonb_build_array('a')),
    jsonb_build_object('name', 'c', 'kind', 'noop', 'queue', p_queue, 'max_attempts', p_max_attempts, 'depends_on', jsonb_build_array('a')),
    jsonb_build_object('name', 'd', 'kind', 'noop', 'queue', p_queue, 'max_attempts', p_max_attempts, 'depends_on', jsonb_build_array('b', 'c'))))
$$;

-- A chain t1 -> t2 -> ... -> tN; returns the workflow id.
CREATE FUNCTION tributary_test.chain(p_length integer, p_queue text DEFAULT 'default')
RETURNS bigint
LANGUAGE sql
AS $$
  SELECT tributary.create_workflow('chain', jsonb_agg(
    jsonb_build_object('name', 't' || i, 'kind', 'noop', 'queue', p_queue,
                       'depends_on', CASE WHEN i = 1 THEN '[]'::jsonb ELSE jsonb_build_array('t' || (i - 1)) END)
    ORDER BY i))
  FROM generate_series(1, p_length) AS i
$$;

-- The id of task p_task_name in workflow p_workflow_id.
CREATE FUNCTION tributary_test.step_id(p_workflow_id bigint, p_task_name text)
RETURNS bigint
LANGUAGE sql
AS $$ SELECT id FROM tributary.steps WHERE workflow_id = p_workflow_id AND task_name = p_task_name $$;

-- The state of task p_task_name in workflow p_workflow_id.
CREATE FUNCTION tributary_test.step_state(p_workflow_id bigint, p_task_name text)
RETURNS text
LANGUAGE sql
AS $$ SELECT state FROM tributary.steps WHERE workflow_id = p_workflow_id AND task_name = p_task_name $$;

-- The state of workflow p_workflow_id.
CREATE FUNCTION tributary_test.workflow_state(p_workflow_id bigint)
RETURNS text
LANGUAGE sql
AS $$ SELECT state FROM tributary.workflows WHERE id = p_workflow_id $$;

-- Claims the one claimable step of task p_task_name (must be the next in its queue) and
-- completes it with p_result; returns the attempt used.
CREATE FUNCTION tributary_test.run(p_workflow_id bigint, p_task_name text, p_result jsonb DEFAULT '{}')
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
  v_step tributary.steps;
  v_claimed bigint;
BEGIN
  SELECT * INTO STRICT v_step FROM tributary.steps WHERE workflow_id = p_workflow_id AND task_name = p_task_name;
  SELECT c.step_id INTO v_claimed FROM tributary.claim_step(v_step.queue, 'test-worker', 1) AS c;
  IF v_claimed IS DISTINCT FROM v_step.id THEN
    RAISE EXCEPTION 'tributary_test.run: claimed step % instead of % (%)', v_claimed, v_step.id, p_task_name;
  END IF;
  PERFORM tributary.complete_step(v_step.id, v_step.attempt + 1, p_result);
  RETURN v_step.attempt + 1;
END;
$$;

-- Claims the one claimable step of task p_task_name (must be the next in its queue) for
-- p_worker_id without completing it; returns the attempt it now holds.
CREATE FUNCTION tributary_test.claim(p_workflow_id bigint, p_task_name text, p_worker_id text DEFAULT 'test-worker')
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
  v_step tributary.steps;
  v_claimed bigint;
  v_attempt integer;
BEGIN
  SELECT * INTO STRICT v_step FROM tributary.steps WHERE workflow_id = p_workflow_id AND task_name = p_task_name;
  SELECT c.step_id, c.attempt INTO v_claimed, v_attempt FROM tributary.claim_step(v_step.queue, p_worker_id, 1) AS c;
  IF v_claimed IS DISTINCT FROM v_step.id THEN
    RAISE EXCEPTION 'tributary_test.claim: claimed step % instead of % (%)', v_claimed, v_step.id, p_task_name;
  END IF;
  RETURN v_attempt;
END;
$$;

-- Claims and completes every claimable step of queue p_queue (including the dependents each
-- completion makes claimable) until none is left; each result is {"task": <task name>}. Returns
-- how many steps it completed.
CREATE FUNCTION tributary_test.drain(p_queue text DEFAULT 'default')
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
  v_claimed record;
  v_count integer := 0;
BEGIN
  LOOP
    SELECT c.step_id, c.attempt, c.task_name INTO v_claimed
    FROM tributary.claim_step(p_queue, 'drain-worker', 1) AS c;
    EXIT WHEN NOT FOUND;
    PERFORM tributary.complete_step(v_claimed.step_id, v_claimed.attempt,
                                    jsonb_build_object('task', v_claimed.task_name));
    v_count := v_count + 1;
  END LOOP;
  RETURN v_count;
END;
$$;

-- Runs p_sql (one or more statements) in a subtransaction and returns the error it raised as
-- {"sqlstate", "message", "detail", "hint"} (absent fields omitted), or NULL when it succeeded.
-- For asserting an error's DETAIL or HINT, which throws_ok cannot see.
CREATE FUNCTION tributary_test.error_of(p_sql text)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
  v_sqlstate text;
  v_message text;
  v_detail text;
  v_hint text;
BEGIN
  EXECUTE p_sql;
  RETURN NULL;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS v_sqlstate = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
                          v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  RETURN jsonb_strip_nulls(jsonb_build_object('sqlstate', v_sqlstate, 'message', v_message,
                                              'detail', NULLIF(v_detail, ''), 'hint', NULLIF(v_hint, '')));
END;
$$;

-- Inserts workflow p_name and its tasks with plain INSERTs, the direct-insert path (not
-- create_workflow): p_tasks is a JSON array of {"name", "kind" (default 'noop'), "depends_on"}
-- inserted in array order by one INSERT statement. The graph is resolved at COMMIT, or at
-- SET CONSTRAINTS ALL IMMEDIATE inside a test. Returns the workflow id.
CREATE FUNCTION tributary_test.insert_workflow(p_name text, p_tasks jsonb)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
  v_id bigint;
BEGIN
  INSERT INTO tributary.workflows (name) VALUES (p_name) RETURNING id INTO v_id;
  INSERT INTO tributary.steps (workflow_id, task_name, kind, depends_on)
  SELECT v_id, t.task->>'name', coalesce(t.task->>'kind', 'noop'),
         ARRAY(SELECT jsonb_array_elements_text(coalesce(t.task->'depends_on', '[]'::jsonb)))
  FROM jsonb_array_elements(p_tasks) WITH ORDINALITY AS t(task, ord)
  ORDER BY t.ord;
  RETURN v_id;
END;
$$;
