-- Our own suites' fixtures (graph builders, a drain, error capture), added to the testing kit's
-- schema tributary_test after the engine and the kit are deployed on a test database; production
-- deploys neither. The clock (set_now, advance, reset_now), the fake worker (claim, complete, fail,
-- release, run, expire_lease) and the lookups (step_id, step_state, workflow_state) are the kit's:
-- see db/testing and docs/testing.md.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions WHERE name = 'pgtap') THEN
    CREATE EXTENSION IF NOT EXISTS pgtap;
  END IF;
END
$$;
DO $$
BEGIN
  IF pg_catalog.to_regnamespace('tributary_test') IS NULL THEN
    RAISE EXCEPTION 'db/tests/fixtures.sql goes on top of the testing kit, which is not deployed here'
      USING HINT = 'sqitch --chdir db/testing deploy <target>, or tributary migrate up --testing';
  END IF;
END
$$;

-- a -> b, a -> c, (b, c) -> d on queue p_queue; returns the workflow id.
CREATE OR REPLACE FUNCTION tributary_test.diamond(p_queue text DEFAULT 'default', p_max_attempts integer DEFAULT 3)
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
CREATE OR REPLACE FUNCTION tributary_test.chain(p_length integer, p_queue text DEFAULT 'default')
RETURNS bigint
LANGUAGE sql
AS $$
  SELECT tributary.create_workflow('chain', jsonb_agg(
    jsonb_build_object('name', 't' || i, 'kind', 'noop', 'queue', p_queue,
                       'depends_on', CASE WHEN i = 1 THEN '[]'::jsonb ELSE jsonb_build_array('t' || (i - 1)) END)
    ORDER BY i))
  FROM generate_series(1, p_length) AS i
$$;

-- Claims and completes every claimable step of queue p_queue (including the dependents each
-- completion makes claimable) until none is left; each result is {"task": <task name>}. Returns
-- how many steps it completed.
CREATE OR REPLACE FUNCTION tributary_test.drain(p_queue text DEFAULT 'default')
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
CREATE OR REPLACE FUNCTION tributary_test.error_of(p_sql text)
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
CREATE OR REPLACE FUNCTION tributary_test.insert_workflow(p_name text, p_tasks jsonb)
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

