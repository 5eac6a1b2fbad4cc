CREATE SCHEMA tributary;
COMMENT ON SCHEMA tributary IS 'Tributary: DAG workflows run by PostgreSQL. Create with create_workflow(), work with claim_step()/complete_step()/fail_step()/heartbeat(), administer with cancel_workflow()/retry_workflow()/prune_finished() and the views.';
CREATE FUNCTION tributary._backoff(p_attempt integer, p_base interval) RETURNS interval
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_custom_plan'
    SET jit TO 'off'
    AS $$
  -- In seconds (double precision), so a large attempt number reaches the cap, never an overflow.
  SELECT pg_catalog.make_interval(secs => LEAST(
           pg_catalog.date_part('epoch', (tributary._settings()).retry_backoff_cap),
           pg_catalog.date_part('epoch', p_base) * pg_catalog.power(2::double precision, LEAST(GREATEST(p_attempt - 1, 0), 1000))
         ) * (0.5 + 0.5 * pg_catalog.random()))
$$;
COMMENT ON FUNCTION tributary._backoff(p_attempt integer, p_base interval) IS 'Internal: retry delay after attempt p_attempt failed: base * 2^(attempt-1), capped at settings.retry_backoff_cap, jittered to 50-100%.';
CREATE FUNCTION tributary._cancel_downstream(p_step_id bigint, p_reason text) RETURNS bigint[]
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_custom_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET jit TO 'off'
    AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_cancelled bigint[];
BEGIN
  WITH RECURSIVE downstream(id) AS (
    SELECT d.step_id FROM tributary.step_dependencies AS d WHERE d.depends_on_step_id = p_step_id
    UNION
    SELECT d.step_id
    FROM tributary.step_dependencies AS d
    JOIN downstream ON d.depends_on_step_id = downstream.id
  ), cancelled AS (
    UPDATE tributary.steps AS s
    SET state = 'cancelled',
        cancel_reason = p_reason,
        finalized_at = v_now,
        lease_expires_at = NULL,
        deadline_at = NULL
    WHERE s.id IN (SELECT downstream.id FROM downstream)
      AND s.state IN ('pending', 'available')
    RETURNING s.id
  )
  SELECT coalesce(pg_catalog.array_agg(cancelled.id ORDER BY cancelled.id), '{}') INTO v_cancelled FROM cancelled;
  RETURN v_cancelled;
END;
$$;
COMMENT ON FUNCTION tributary._cancel_downstream(p_step_id bigint, p_reason text) IS 'Internal: cancels (with a reason) every unfinished step downstream of a discarded or cancelled step; returns their ids.';
CREATE FUNCTION tributary._check_acyclic(p_workflow_id bigint) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_custom_plan'
    SET jit TO 'off'
    AS $$
DECLARE
  v_ids bigint[];          -- node index -> step id
  v_n integer;
  v_indeg integer[];       -- node index -> dependencies not yet removed
  v_offset integer[];      -- children of node i are v_children[v_offset[i] .. v_offset[i+1]-1]
  v_children integer[];
  v_parents integer[];      -- v_parents[k] is the node whose child is v_children[k]
  v_queue integer[];
  v_head integer := 1;
  v_tail integer := 0;
  v_node integer;
  v_child integer;
  v_path integer[];
  v_next integer;
  v_pick integer[];        -- node index -> one of its dependencies left after Kahn
  v_seen integer[];        -- node index -> its position in the walk, 0 if not walked
  v_length integer := 0;
  v_cycle text;
BEGIN
  IF NOT EXISTS (
    SELECT 1
    FROM tributary.steps AS s
    JOIN tributary.step_dependencies AS d ON d.step_id = s.id
    WHERE s.workflow_id = p_workflow_id AND d.depends_on_step_id > d.step_id
  ) THEN
    RETURN;
  END IF;
  SELECT pg_catalog.array_agg(s.id ORDER BY s.id) INTO v_ids
  FROM tributary.steps AS s WHERE s.workflow_id = p_workflow_id;
  v_n := pg_catalog.cardinality(v_ids);
  -- The workflow's edges as (parent index, child index), sorted by parent: the children of a
  -- node are then one slice of v_children.
  SELECT coalesce(pg_catalog.array_agg(e.c ORDER BY e.p, e.c), '{}'),
         coalesce(pg_catalog.array_agg(e.p ORDER BY e.p, e.c), '{}')
  INTO v_children, v_parents
  FROM (
    SELECT child.idx::integer AS c, parent.idx::integer AS p
    FROM pg_catalog.unnest(v_ids) WITH ORDINALITY AS child(id, idx)
    JOIN tributary.step_dependencies AS d ON d.step_id = child.id
    JOIN pg_catalog.unnest(v_ids) WITH ORDINALITY AS parent(id, idx) ON parent.id = d.depends_on_step_id
  ) AS e;
  v_indeg := pg_catalog.array_fill(0, ARRAY[v_n]);
  v_offset := pg_catalog.array_fill(0, ARRAY[v_n + 1]);
  FOR k IN 1 .. pg_catalog.cardinality(v_children) LOOP
    v_indeg[v_children[k]] := v_indeg[v_children[k]] + 1;
    v_offset[v_parents[k] + 1] := v_offset[v_parents[k] + 1] + 1;
  END LOOP;
  v_offset[1] := 1;
  FOR i IN 1 .. v_n LOOP
    v_offset[i + 1] := v_offset[i + 1] + v_offset[i];
  END LOOP;
  -- Kahn: repeatedly remove a node whose dependencies are all removed.
  v_queue := pg_catalog.array_fill(0, ARRAY[v_n]);
  FOR i IN 1 .. v_n LOOP
    IF v_indeg[i] = 0 THEN
      v_tail := v_tail + 1;
      v_queue[v_tail] := i;
    END IF;
  END LOOP;
  WHILE v_head <= v_tail LOOP
    v_node := v_queue[v_head];
    v_head := v_head + 1;
    FOR k IN v_offset[v_node] .. v_offset[v_node + 1] - 1 LOOP
      v_child := v_children[k];
      v_indeg[v_child] := v_indeg[v_child] - 1;
      IF v_indeg[v_child] = 0 THEN
        v_tail := v_tail + 1;
        v_queue[v_tail] := v_child;
      END IF;
    END LOOP;
  END LOOP;
  IF v_tail = v_n THEN
    RETURN;
  END IF;
  -- A cycle exists among the nodes left (indegree still > 0); each has a dependency that is
  -- left too. Walk from one of them along such dependencies until a node repeats: the walk from
  -- that node on is a cycle. O(steps + edges).
  v_pick := pg_catalog.array_fill(0, ARRAY[v_n]);
  FOR k IN 1 .. pg_catalog.cardinality(v_children) LOOP
    IF v_indeg[v_children[k]] > 0 AND v_indeg[v_parents[k]] > 0 THEN
      v_pick[v_children[k]] := v_parents[k];
    END IF;
  END LOOP;
  v_seen := pg_catalog.array_fill(0, ARRAY[v_n]);
  SELECT i INTO v_node FROM pg_catalog.generate_subscripts(v_indeg, 1) AS i WHERE v_indeg[i] > 0 LIMIT 1;
  v_path := '{}';
  LOOP
    v_length := v_length + 1;
    v_seen[v_node] := v_length;
    v_path[v_length] := v_node;
    v_node := v_pick[v_node];
    EXIT WHEN v_seen[v_node] > 0;
  END LOOP;
  v_next := v_node;
  v_path := v_path[v_seen[v_node]:v_length] || v_node;
  SELECT pg_catalog.string_agg(pg_catalog.format('%I', s.task_name), ' -> ' ORDER BY p.ord) INTO v_cycle
  FROM pg_catalog.unnest(v_path) WITH ORDINALITY AS p(idx, ord)
  JOIN tributary.steps AS s ON s.id = v_ids[p.idx];
  RAISE EXCEPTION 'dependency cycle at task "%"', (SELECT s.task_name FROM tributary.steps AS s WHERE s.id = v_ids[v_next])
    USING ERRCODE = 'TB001',
          DETAIL = pg_catalog.format('cycle: %s (each task depends on the next)', v_cycle),
          HINT = 'A workflow must be a DAG: remove one of these dependencies.';
END;
$$;
COMMENT ON FUNCTION tributary._check_acyclic(p_workflow_id bigint) IS 'Internal: raises TB001 cycle_detected naming a task on the cycle when the workflow''s resolved edges are not a DAG. O(steps + edges).';
CREATE FUNCTION tributary._step_rules(p_attempt integer, p_cancel_reason text, p_concurrency_key text, p_depends_on text[], p_errors jsonb, p_finalized_at timestamp with time zone, p_kind text, p_lease_expires_at timestamp with time zone, p_map_index integer, p_map_over text, p_map_path text, p_map_size integer, p_map_step_id bigint, p_max_attempts integer, p_queue text, p_remaining_deps integer, p_result jsonb, p_retry_backoff interval, p_run_if jsonb, p_run_when text, p_scheduled_at timestamp with time zone, p_state text, p_task_name text, p_timeout interval, p_wait jsonb, p_wake_at timestamp with time zone, p_worker_id text) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE
    AS $$
DECLARE
  v_rule pg_catalog.text;
BEGIN
  -- Each rule is true, or NULL where it does not apply (a CHECK passes NULL, and so does a CASE
  -- that finds no WHEN true); the first that is false names itself.
  v_rule := CASE
    WHEN NOT (p_attempt OPERATOR(pg_catalog.>=) 0 AND p_attempt OPERATOR(pg_catalog.<=) p_max_attempts)
      THEN 'steps_attempt_within_max'
    WHEN NOT ((p_max_attempts OPERATOR(pg_catalog.-) p_attempt) OPERATOR(pg_catalog.<=) 1000000)
      THEN 'steps_attempts_left_bounded'
    WHEN NOT (p_state OPERATOR(pg_catalog.<>) 'available' OR p_remaining_deps OPERATOR(pg_catalog.=) 0)
      THEN 'steps_available_means_no_remaining_deps'
    WHEN NOT ((p_state OPERATOR(pg_catalog.=) 'cancelled') OPERATOR(pg_catalog.=) (p_cancel_reason IS NOT NULL))
      THEN 'steps_cancel_reason_iff_cancelled'
    WHEN NOT (p_concurrency_key OPERATOR(pg_catalog.<>) ''
              AND pg_catalog.length(p_concurrency_key) OPERATOR(pg_catalog.<=) 255)
      THEN 'steps_concurrency_key_bounded'
    WHEN NOT (pg_catalog.array_position(p_depends_on, NULL::pg_catalog.text) IS NULL)
      THEN 'steps_depends_on_has_no_nulls'
    WHEN NOT (pg_catalog.jsonb_typeof(p_errors) OPERATOR(pg_catalog.=) 'array')
      THEN 'steps_errors_is_array'
    WHEN NOT ((p_state OPERATOR(pg_catalog.=) ANY ('{completed,discarded,cancelled,skipped}'::pg_catalog.text[]))
              OPERATOR(pg_catalog.=) (p_finalized_at IS NOT NULL))
      THEN 'steps_finalized_at_set_iff_final'
    WHEN NOT (pg_catalog.char_length(p_kind) OPERATOR(pg_catalog.<=) 255)
      THEN 'steps_kind_length'
    WHEN NOT (p_kind OPERATOR(pg_catalog.<>) '')
      THEN 'steps_kind_not_blank'
    WHEN NOT ((p_state OPERATOR(pg_catalog.=) 'running') OPERATOR(pg_catalog.=) (p_lease_expires_at IS NOT NULL))
      THEN 'steps_lease_set_iff_running'
    WHEN NOT ((p_map_step_id IS NULL) OPERATOR(pg_catalog.=) (p_map_index IS NULL)
              AND p_map_index OPERATOR(pg_catalog.>=) 0)
      THEN 'steps_map_element_has_index'
    WHEN NOT (p_map_over IS NULL OR p_map_over OPERATOR(pg_catalog.=) ANY (p_depends_on))
      THEN 'steps_map_over_is_dependency'
    WHEN NOT (p_map_path IS NULL OR p_map_over IS NOT NULL)
      THEN 'steps_map_path_needs_map_over'
    WHEN NOT (p_map_size IS NULL OR (p_map_over IS NOT NULL AND p_map_size OPERATOR(pg_catalog.>=) 0))
      THEN 'steps_map_size_needs_map_over'
    WHEN NOT (p_max_attempts OPERATOR(pg_catalog.>=) 1)
      THEN 'steps_max_attempts_positive'
    WHEN NOT (pg_catalog.char_length(p_queue) OPERATOR(pg_catalog.<=) 255)
      THEN 'steps_queue_length'
    WHEN NOT (p_queue OPERATOR(pg_catalog.<>) '')
      THEN 'steps_queue_not_blank'
    WHEN NOT (p_remaining_deps OPERATOR(pg_catalog.>=) 0)
      THEN 'steps_remaining_deps_not_negative'
    WHEN NOT (p_result IS NULL OR p_state OPERATOR(pg_catalog.=) 'completed')
      THEN 'steps_result_only_when_completed'
    WHEN NOT (p_retry_backoff OPERATOR(pg_catalog.<=) '1 year'::pg_catalog.interval)
      THEN 'steps_retry_backoff_bounded'
    WHEN NOT (p_retry_backoff OPERATOR(pg_catalog.>=) '0'::pg_catalog.interval)
      THEN 'steps_retry_backoff_not_negative'
    WHEN NOT (pg_catalog.jsonb_typeof(p_run_if) OPERATOR(pg_catalog.=) 'object')
      THEN 'steps_run_if_is_object'
    WHEN NOT (p_run_when OPERATOR(pg_catalog.=) ANY ('{all_completed,any_completed}'::pg_catalog.text[]))
      THEN 'steps_run_when_valid'
    WHEN NOT (p_state OPERATOR(pg_catalog.<>) 'running' OR p_worker_id IS NOT NULL)
      THEN 'steps_running_has_worker'
    WHEN NOT (pg_catalog.isfinite(p_scheduled_at))
      THEN 'steps_scheduled_at_finite'
    WHEN NOT (p_state OPERATOR(pg_catalog.=) ANY
              ('{pending,available,running,waiting,completed,discarded,cancelled,skipped}'::pg_catalog.text[]))
      THEN 'steps_state_valid'
    WHEN NOT (pg_catalog.char_length(p_task_name) OPERATOR(pg_catalog.<=) 255)
      THEN 'steps_task_name_length'
    WHEN NOT (p_task_name OPERATOR(pg_catalog.<>) '')
      THEN 'steps_task_name_not_blank'
    WHEN NOT (p_timeout OPERATOR(pg_catalog.<=) '1 year'::pg_catalog.interval)
      THEN 'steps_timeout_bounded'
    WHEN NOT (p_timeout OPERATOR(pg_catalog.>) '0'::pg_catalog.interval)
      THEN 'steps_timeout_positive'
    WHEN NOT (pg_catalog.jsonb_typeof(p_wait) OPERATOR(pg_catalog.=) 'object')
      THEN 'steps_wait_is_object'
    WHEN NOT (p_wait IS NULL OR p_state OPERATOR(pg_catalog.<>) ALL ('{available,running}'::pg_catalog.text[]))
      THEN 'steps_wait_never_claimed'
    WHEN NOT (p_wake_at IS NULL OR p_state OPERATOR(pg_catalog.=) 'waiting')
      THEN 'steps_wake_at_only_when_waiting'
    WHEN NOT (pg_catalog.char_length(p_worker_id) OPERATOR(pg_catalog.<=) 255)
      THEN 'steps_worker_id_length'
  END;
  IF v_rule IS NULL THEN
    RETURN true;
  END IF;
  RAISE EXCEPTION 'new row for relation "steps" violates check constraint "%"', v_rule
    USING ERRCODE = 'check_violation', SCHEMA = 'tributary', TABLE = 'steps', CONSTRAINT = v_rule;
END;
$$;
COMMENT ON FUNCTION tributary._step_rules(p_attempt integer, p_cancel_reason text, p_concurrency_key text, p_depends_on text[], p_errors jsonb, p_finalized_at timestamp with time zone, p_kind text, p_lease_expires_at timestamp with time zone, p_map_index integer, p_map_over text, p_map_path text, p_map_size integer, p_map_step_id bigint, p_max_attempts integer, p_queue text, p_remaining_deps integer, p_result jsonb, p_retry_backoff interval, p_run_if jsonb, p_run_when text, p_scheduled_at timestamp with time zone, p_state text, p_task_name text, p_timeout interval, p_wait jsonb, p_wake_at timestamp with time zone, p_worker_id text) IS 'Internal, the CHECK constraint steps_rules: true when a row of steps obeys every rule, else 23514 naming the first broken rule (steps_kind_not_blank, ...). No SET clause: every name in it is qualified.';
CREATE FUNCTION tributary.now() RETURNS timestamp with time zone
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_custom_plan'
    SET jit TO 'off'
    AS $$
BEGIN
  RETURN pg_catalog.now();
END;
$$;
COMMENT ON FUNCTION tributary.now() IS 'The engine clock: the transaction time (pg_catalog.now()). Every timestamp the engine writes comes from here. Only the testing kit (schema tributary_test) can move it.';
CREATE TABLE tributary.steps (
    id bigint NOT NULL,
    workflow_id bigint NOT NULL,
    task_name text NOT NULL,
    kind text NOT NULL,
    args jsonb DEFAULT '{}'::jsonb NOT NULL,
    depends_on text[] DEFAULT '{}'::text[] NOT NULL,
    queue text NOT NULL,
    priority integer NOT NULL,
    max_attempts integer NOT NULL,
    timeout interval,
    retry_backoff interval NOT NULL,
    state text DEFAULT 'pending'::text NOT NULL,
    attempt integer DEFAULT 0 NOT NULL,
    remaining_deps integer,
    scheduled_at timestamp with time zone DEFAULT tributary.now() NOT NULL,
    created_at timestamp with time zone DEFAULT tributary.now() NOT NULL,
    attempted_at timestamp with time zone,
    worker_id text,
    lease_expires_at timestamp with time zone,
    deadline_at timestamp with time zone,
    result jsonb,
    errors jsonb DEFAULT '[]'::jsonb NOT NULL,
    cancel_reason text,
    finalized_at timestamp with time zone,
    wait jsonb,
    wake_at timestamp with time zone,
    map_over text,
    map_path text,
    map_size integer,
    map_step_id bigint,
    map_index integer,
    run_if jsonb,
    run_when text DEFAULT 'all_completed'::text NOT NULL,
    concurrency_key text,
    flow_limited boolean DEFAULT false NOT NULL,
    CONSTRAINT steps_rules CHECK (tributary._step_rules(attempt, cancel_reason, concurrency_key, depends_on, errors, finalized_at, kind, lease_expires_at, map_index, map_over, map_path, map_size, map_step_id, max_attempts, queue, remaining_deps, result, retry_backoff, run_if, run_when, scheduled_at, state, task_name, timeout, wait, wake_at, worker_id))
)
WITH (autovacuum_vacuum_scale_factor='0.02', autovacuum_vacuum_insert_scale_factor='0.02', autovacuum_analyze_scale_factor='0.02');
COMMENT ON TABLE tributary.steps IS 'Steps of workflows. state: pending -> available -> running -> completed | available (retry) | discarded | cancelled; pending -> waiting -> completed (waits, sleeps); running -> waiting (a child workflow); pending -> skipped (a branch not taken).';
COMMENT ON COLUMN tributary.steps.task_name IS 'Name of the step in its workflow; dependencies and dependency results use it.';
COMMENT ON COLUMN tributary.steps.kind IS 'Step type; a worker registered for this kind runs it.';
COMMENT ON COLUMN tributary.steps.args IS 'Arguments (jsonb; an encryption envelope when the client encrypts).';
COMMENT ON COLUMN tributary.steps.depends_on IS 'Task names of the steps this one waits for (as given by the caller).';
COMMENT ON COLUMN tributary.steps.queue IS 'Queue the step is claimed from.';
COMMENT ON COLUMN tributary.steps.priority IS 'Higher priority is claimed first; ties go to the oldest scheduled_at.';
COMMENT ON COLUMN tributary.steps.max_attempts IS 'Attempts before the step is discarded.';
COMMENT ON COLUMN tributary.steps.timeout IS 'Per-attempt time limit (NULL: none). heartbeat() returns false past it.';
COMMENT ON COLUMN tributary.steps.retry_backoff IS 'Base delay of the exponential backoff between attempts.';
COMMENT ON COLUMN tributary.steps.state IS 'pending: waiting on dependencies (a map step: on its elements); available: claimable from scheduled_at on; running: claimed, under a lease; waiting: waits for an event, a timer or a child workflow, holding no worker; completed: result stored; discarded: attempts exhausted, non-retryable error, a wait timed out, or a map that cannot expand; cancelled: can never run (see cancel_reason); skipped: a branch not taken (see run_if, run_when).';
COMMENT ON COLUMN tributary.steps.attempt IS 'Number of the current (or last) attempt; fences complete/fail/heartbeat calls.';
COMMENT ON COLUMN tributary.steps.remaining_deps IS 'Dependencies not yet completed; NULL until the graph is resolved.';
COMMENT ON COLUMN tributary.steps.scheduled_at IS 'Not claimable before this time (creation, schedule or retry backoff).';
COMMENT ON COLUMN tributary.steps.attempted_at IS 'When the current (or last) attempt was claimed.';
COMMENT ON COLUMN tributary.steps.worker_id IS 'Worker that claimed the current (or last) attempt.';
COMMENT ON COLUMN tributary.steps.lease_expires_at IS 'While running: when the claim lapses without a heartbeat.';
COMMENT ON COLUMN tributary.steps.deadline_at IS 'While running with a timeout: when the attempt times out.';
COMMENT ON COLUMN tributary.steps.result IS 'Result of the completed step, given to its dependents by task name.';
COMMENT ON COLUMN tributary.steps.errors IS 'Error history: one object per failed attempt (attempt, at, worker_id, message, ...).';
COMMENT ON COLUMN tributary.steps.cancel_reason IS 'Why the step was cancelled.';
COMMENT ON COLUMN tributary.steps.finalized_at IS 'When the step completed, was discarded or was cancelled.';
COMMENT ON COLUMN tributary.steps.wait IS 'What a wait or sleep task waits for (NULL for other steps): {"event", "key", "timeout", "on_timeout"} or {"sleep"} or {"sleep_until"}.';
COMMENT ON COLUMN tributary.steps.wake_at IS 'While waiting: when a timer ends the wait (sleep end, wait timeout); NULL otherwise.';
COMMENT ON COLUMN tributary.steps.map_over IS 'Map step: the dependency whose result holds the array the step maps over (task option map.over).';
COMMENT ON COLUMN tributary.steps.map_path IS 'Map step: where the array is in that result, keys (or array positions) separated by dots; NULL: the whole result.';
COMMENT ON COLUMN tributary.steps.map_size IS 'Map step: number of elements, set when it expands; NULL before.';
COMMENT ON COLUMN tributary.steps.map_step_id IS 'Element of a map: the map step it belongs to.';
COMMENT ON COLUMN tributary.steps.map_index IS 'Element of a map: its position in the array, from 0.';
COMMENT ON COLUMN tributary.steps.run_if IS 'Branch condition: {"dependency": value}; the step is skipped unless each such dependency''s result contains the value (jsonb @>).';
COMMENT ON COLUMN tributary.steps.run_when IS 'all_completed: runs when every dependency completed (skipped if one was skipped); any_completed: runs when every dependency finished and at least one completed.';
COMMENT ON COLUMN tributary.steps.concurrency_key IS 'Task option: the concurrency key whose limits (tributary.flow_limits, scope key) claim_step obeys for this step; NULL: none. 1 to 255 characters.';
COMMENT ON COLUMN tributary.steps.flow_limited IS 'Engine: the current or last attempt was claimed under a concurrency or rate limit; its end wakes the queue''s workers.';
COMMENT ON CONSTRAINT steps_rules ON tributary.steps IS 'Every rule of a step (tributary._step_rules): a broken rule is reported as a check_violation (23514) under its own name.';
CREATE FUNCTION tributary._check_attempt(p_step_id bigint, p_attempt integer) RETURNS tributary.steps
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET jit TO 'off'
    AS $$
DECLARE
  v_step tributary.steps;
BEGIN
  SELECT * INTO v_step FROM tributary.steps AS s WHERE s.id = p_step_id FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'step % does not exist', p_step_id
      USING ERRCODE = 'TB006';
  END IF;
  IF v_step.state = 'running' AND v_step.attempt = p_attempt THEN
    RETURN v_step;
  END IF;
  IF v_step.state = 'cancelled' AND v_step.attempt = p_attempt THEN
    RAISE EXCEPTION 'step % (task "%") was cancelled: %', p_step_id, v_step.task_name, v_step.cancel_reason
      USING ERRCODE = 'TB008',
            HINT = 'Stop working on it; its result is not wanted any more.';
  END IF;
  RAISE EXCEPTION 'attempt % of step % (task "%") is stale: the step is % at attempt %',
                  p_attempt, p_step_id, v_step.task_name, v_step.state, v_step.attempt
    USING ERRCODE = 'TB007',
          HINT = 'The lease was lost (the step was rescued or retried) or the attempt already reported; this call changed nothing.';
END;
$$;
COMMENT ON FUNCTION tributary._check_attempt(p_step_id bigint, p_attempt integer) IS 'Internal: locks a step and returns it when p_attempt holds it; raises TB006 unknown step, TB008 cancelled, TB007 stale attempt.';
CREATE FUNCTION tributary._check_flow_target(p_scope text, p_name text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
BEGIN
  IF p_scope IS NULL OR p_scope NOT IN ('queue', 'key') THEN
    RAISE EXCEPTION 'a limit applies to a ''queue'' or a ''key'', got %', pg_catalog.quote_nullable(p_scope)
      USING ERRCODE = 'TB221',
            DETAIL = pg_catalog.format('limit on %s', pg_catalog.quote_nullable(p_name)),
            HINT = 'Pass ''queue'' with a queue name, or ''key'' with a concurrency key such as ''customer:42''.';
  END IF;
  IF p_name IS NULL OR p_name = '' OR pg_catalog.length(p_name) > 255 THEN
    RAISE EXCEPTION 'a % limit needs a % of 1 to 255 characters, got %', p_scope,
                    CASE p_scope WHEN 'queue' THEN 'queue name' ELSE 'concurrency key' END,
                    CASE WHEN pg_catalog.length(p_name) > 255 THEN pg_catalog.format('%s characters', pg_catalog.length(p_name))
                         ELSE pg_catalog.quote_nullable(p_name) END
      USING ERRCODE = 'TB222';
  END IF;
END;
$$;
COMMENT ON FUNCTION tributary._check_flow_target(p_scope text, p_name text) IS 'Internal: TB221 unless p_scope is queue or key; TB222 for a NULL, empty or over-255-character name.';
CREATE FUNCTION tributary._check_time_zone(p_time_zone text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
BEGIN
  IF p_time_zone IS NOT NULL AND p_time_zone <> '' THEN
    BEGIN
      PERFORM pg_catalog.now() AT TIME ZONE p_time_zone;
      RETURN;
    EXCEPTION WHEN invalid_parameter_value THEN
      NULL;
    END;
  END IF;
  RAISE EXCEPTION 'unknown time zone "%"', p_time_zone
    USING ERRCODE = 'TB202', HINT = 'Use a name from pg_timezone_names, e.g. ''Europe/Paris'' or ''UTC''.';
END;
$$;
COMMENT ON FUNCTION tributary._check_time_zone(p_time_zone text) IS 'Internal: raises TB202 unless PostgreSQL knows the time zone.';
CREATE FUNCTION tributary._claim_under_limits(p_queue text, p_max_steps integer, p_now timestamp with time zone, p_queue_limited boolean, p_keys_limited boolean, OUT step_ids bigint[], OUT limited_ids bigint[], OUT retry_at timestamp with time zone) RETURNS record
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET jit TO 'off'
    AS $$
DECLARE
  v_limit tributary.flow_limits%ROWTYPE;
  v_budget integer := p_max_steps;
  v_running integer;
  v_queue_tokens double precision;       -- NULL: the queue has no rate limit
  v_queue_rated boolean := false;
  v_queue_is_limited boolean := false;
  v_queue_due timestamptz;               -- when the queue's next token is due, if its bucket caps this claim
  v_candidates refcursor;
  v_step record;
  v_i integer;
  v_keys text[] := '{}';                  -- the keys met, and per key:
  v_left integer[] := '{}';               --   how many more of its steps this claim may take
  v_tokens double precision[] := '{}';    --   its bucket's tokens now (NULL: no rate limit)
  v_per double precision[] := '{}';       --   seconds per token (NULL: no rate limit)
  v_taken integer[] := '{}';              --   how many of its steps this claim took
  v_is_limited boolean[] := '{}';         --   whether it has a limit
  -- Whether this transaction already holds a row of flow_limits (an earlier claim in it).
  v_holds_key boolean := coalesce(pg_catalog.current_setting('tributary.holds_flow_limit', true)
                                  = pg_catalog.pg_current_xact_id_if_assigned()::text, false);
BEGIN
  step_ids := '{}';
  limited_ids := '{}';
  retry_at := NULL;
  IF p_queue_limited THEN
    IF v_holds_key THEN
      SELECT f.* INTO v_limit FROM tributary.flow_limits AS f
      WHERE f.scope = 'queue' AND f.name = p_queue
      FOR UPDATE SKIP LOCKED;
      IF NOT FOUND AND EXISTS (SELECT 1 FROM tributary.flow_limits AS f WHERE f.scope = 'queue' AND f.name = p_queue) THEN
        retry_at := p_now;  -- another claimer holds the queue's row: come back at once
        RETURN;
      END IF;
    ELSE
      SELECT f.* INTO v_limit FROM tributary.flow_limits AS f
      WHERE f.scope = 'queue' AND f.name = p_queue
      FOR UPDATE;
    END IF;
    IF FOUND THEN
      v_holds_key := true;
      v_queue_is_limited := true;
      IF v_limit.max_running IS NOT NULL THEN
        SELECT pg_catalog.count(*)::integer INTO v_running
        FROM (SELECT 1 FROM tributary.steps AS s
              WHERE s.lease_expires_at > '-infinity' AND s.queue = p_queue AND s.state = 'running'
              LIMIT v_limit.max_running) AS running;
        v_budget := LEAST(v_budget, v_limit.max_running - v_running);
      END IF;
      IF v_limit.rate_max_starts IS NOT NULL THEN
        v_queue_rated := true;
        v_queue_tokens := LEAST(v_limit.rate_max_starts::double precision,
          coalesce(v_limit.tokens + GREATEST(0, pg_catalog.date_part('epoch', p_now - v_limit.tokens_at))
                     / pg_catalog.date_part('epoch', v_limit.rate_period) * v_limit.rate_max_starts,
                   v_limit.rate_max_starts));
        IF v_queue_tokens < v_budget THEN
          -- The bucket caps this claim: if it takes all it may, the next token is due then.
          v_budget := pg_catalog.floor(v_queue_tokens)::integer;
          v_queue_due := p_now + pg_catalog.make_interval(secs =>
            (pg_catalog.floor(v_queue_tokens) + 1 - v_queue_tokens)
            * pg_catalog.date_part('epoch', v_limit.rate_period) / v_limit.rate_max_starts);
        END IF;
      END IF;
    END IF;
  END IF;
  IF v_budget <= 0 THEN
    retry_at := v_queue_due;
    RETURN;
  END IF;
  IF NOT p_keys_limited THEN
    step_ids := ARRAY(
      SELECT r.id
      FROM tributary.steps AS r
      WHERE r.state = 'available' AND r.queue = p_queue AND r.scheduled_at <= p_now
      ORDER BY r.priority DESC, r.scheduled_at, r.id
      LIMIT v_budget
      FOR NO KEY UPDATE SKIP LOCKED);
  ELSE
    OPEN v_candidates NO SCROLL FOR
      SELECT r.id, r.concurrency_key
      FROM tributary.steps AS r
      WHERE r.state = 'available' AND r.queue = p_queue AND r.scheduled_at <= p_now
      ORDER BY r.priority DESC, r.scheduled_at, r.id
      FOR NO KEY UPDATE SKIP LOCKED;
    WHILE pg_catalog.cardinality(step_ids) < v_budget LOOP
      FETCH v_candidates INTO v_step;
      EXIT WHEN NOT FOUND;
      IF v_step.concurrency_key IS NULL THEN
        step_ids := step_ids || v_step.id;
        CONTINUE;
      END IF;
      v_i := pg_catalog.array_position(v_keys, v_step.concurrency_key);
      IF v_i IS NULL THEN
        -- The first step of this key: its limits, under its row's lock.
        IF v_holds_key THEN
          SELECT f.* INTO v_limit FROM tributary.flow_limits AS f
          WHERE f.scope = 'key' AND f.name = v_step.concurrency_key
          FOR UPDATE SKIP LOCKED;
        ELSE
          SELECT f.* INTO v_limit FROM tributary.flow_limits AS f
          WHERE f.scope = 'key' AND f.name = v_step.concurrency_key
          FOR UPDATE;
        END IF;
        v_keys := v_keys || v_step.concurrency_key;
        v_i := pg_catalog.cardinality(v_keys);
        v_taken := v_taken || 0;
        IF FOUND THEN
          IF NOT v_holds_key THEN
            v_holds_key := true;
          END IF;
          v_is_limited := v_is_limited || true;
          v_left := v_left || p_max_steps;
          IF v_limit.max_running IS NOT NULL THEN
            SELECT pg_catalog.count(*)::integer INTO v_running
            FROM (SELECT 1 FROM tributary.steps AS s
                  WHERE s.lease_expires_at IS NOT NULL AND s.concurrency_key = v_step.concurrency_key
                    AND s.state = 'running'
                  LIMIT v_limit.max_running) AS running;
            v_left[v_i] := v_limit.max_running - v_running;
          END IF;
          IF v_limit.rate_max_starts IS NOT NULL THEN
            v_per := v_per || (pg_catalog.date_part('epoch', v_limit.rate_period) / v_limit.rate_max_starts);
            v_tokens := v_tokens || LEAST(v_limit.rate_max_starts::double precision,
              coalesce(v_limit.tokens + GREATEST(0, pg_catalog.date_part('epoch', p_now - v_limit.tokens_at)) / v_per[v_i],
                       v_limit.rate_max_starts));
          ELSE
            v_per := v_per || NULL::double precision;
            v_tokens := v_tokens || NULL::double precision;
          END IF;
        ELSIF v_holds_key AND EXISTS (SELECT 1 FROM tributary.flow_limits AS f
                                      WHERE f.scope = 'key' AND f.name = v_step.concurrency_key) THEN
          -- Another claimer holds this key's row: leave its steps, and come back at once.
          v_is_limited := v_is_limited || true;
          v_left := v_left || 0;
          v_per := v_per || NULL::double precision;
          v_tokens := v_tokens || NULL::double precision;
          retry_at := LEAST(retry_at, p_now);  -- LEAST ignores a NULL
        ELSE
          v_is_limited := v_is_limited || false;
          v_left := v_left || p_max_steps;
          v_per := v_per || NULL::double precision;
          v_tokens := v_tokens || NULL::double precision;
        END IF;
      END IF;
      IF v_left[v_i] <= 0 THEN
        CONTINUE;
      END IF;
      IF v_tokens[v_i] IS NOT NULL AND v_tokens[v_i] - v_taken[v_i] < 1 THEN
        retry_at := LEAST(retry_at, p_now + pg_catalog.make_interval(
          secs => (1 - (v_tokens[v_i] - v_taken[v_i])) * v_per[v_i]));
        CONTINUE;
      END IF;
      v_left[v_i] := v_left[v_i] - 1;
      v_taken[v_i] := v_taken[v_i] + 1;
      step_ids := step_ids || v_step.id;
      IF v_is_limited[v_i] THEN
        limited_ids := limited_ids || v_step.id;
      END IF;
    END LOOP;
    CLOSE v_candidates;
    -- Each rated key pays one token per step taken.
    FOR v_i IN 1 .. pg_catalog.cardinality(v_keys) LOOP
      IF v_tokens[v_i] IS NOT NULL AND v_taken[v_i] > 0 THEN
        UPDATE tributary.flow_limits AS f
        SET tokens = v_tokens[v_i] - v_taken[v_i], tokens_at = p_now
        WHERE f.scope = 'key' AND f.name = v_keys[v_i];
      END IF;
    END LOOP;
  END IF;
  IF v_queue_due IS NOT NULL AND pg_catalog.cardinality(step_ids) = v_budget THEN
    retry_at := LEAST(retry_at, v_queue_due);
  END IF;
  IF v_queue_is_limited THEN
    limited_ids := step_ids;
    IF v_queue_rated AND pg_catalog.cardinality(step_ids) > 0 THEN
      UPDATE tributary.flow_limits AS f
      SET tokens = v_queue_tokens - pg_catalog.cardinality(step_ids), tokens_at = p_now
      WHERE f.scope = 'queue' AND f.name = p_queue;
    END IF;
  END IF;
END;
$$;
COMMENT ON FUNCTION tributary._claim_under_limits(p_queue text, p_max_steps integer, p_now timestamp with time zone, p_queue_limited boolean, p_keys_limited boolean, OUT step_ids bigint[], OUT limited_ids bigint[], OUT retry_at timestamp with time zone) IS 'Internal (claim_step): chooses and locks the steps to claim under the queue''s and the keys'' concurrency and rate limits; returns them, those claimed under a limit, and when to retry if a rate limit held a step back.';
CREATE FUNCTION tributary._complete_waits(p_step_ids bigint[], p_results jsonb[]) RETURNS bigint[]
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET jit TO 'off'
    AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_positions jsonb;
  v_completed bigint[];
  v_workflow_ids bigint[];
BEGIN
  SELECT pg_catalog.jsonb_object_agg(i.id, i.ord) INTO v_positions
  FROM pg_catalog.unnest(p_step_ids) WITH ORDINALITY AS i(id, ord);
  WITH done AS (
    UPDATE tributary.steps AS s
    SET state = 'completed',
        result = p_results[(v_positions ->> s.id::text)::integer],
        finalized_at = v_now,
        wake_at = NULL
    WHERE s.id = ANY (p_step_ids) AND s.state = 'waiting'
    RETURNING s.id, s.workflow_id
  )
  SELECT pg_catalog.array_agg(done.id), pg_catalog.array_agg(done.workflow_id)
  INTO v_completed, v_workflow_ids
  FROM done;
  IF v_completed IS NULL THEN
    RETURN '{}';
  END IF;
  PERFORM tributary._unlock_dependents(v_completed);
  PERFORM tributary._settle_workflows(v_workflow_ids);
  RETURN v_completed;
END;
$$;
COMMENT ON FUNCTION tributary._complete_waits(p_step_ids bigint[], p_results jsonb[]) IS 'Internal: completes locked waiting steps with the given results, unlocks their dependents and settles their workflows; returns the ids completed.';
CREATE FUNCTION tributary._create_role(p_purpose text, p_includes text[] DEFAULT '{}'::text[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
DECLARE
  v_name name := coalesce(NULLIF(pg_catalog.current_setting('tributary.' || p_purpose || '_role', true), ''),
                          'tributary_' || p_purpose);
  v_included name;
BEGIN
  FOR v_attempt IN 1 .. 3 LOOP
    EXIT WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_roles AS r WHERE r.rolname = v_name);
    BEGIN
      EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', v_name);
      EXECUTE pg_catalog.format('COMMENT ON ROLE %I IS %L', v_name,
        pg_catalog.format('Tributary %s group role (NOLOGIN): grant it to LOGIN roles.', p_purpose));
    EXCEPTION WHEN unique_violation OR duplicate_object THEN
      NULL;  -- a concurrent deploy created it: the next round finds it
    END;
  END LOOP;
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles AS r WHERE r.rolname = v_name AND (r.rolcanlogin OR r.rolsuper)) THEN
    RAISE WARNING 'role % exists and can log in or is a superuser: Tributary expects a NOLOGIN group role', v_name;
  END IF;
  INSERT INTO tributary.roles (purpose, role_name) VALUES (p_purpose, v_name);
  FOR v_included IN
    SELECT r.role_name FROM tributary.roles AS r WHERE r.purpose = ANY (p_includes)
  LOOP
    CONTINUE WHEN pg_catalog.pg_has_role(v_name, v_included, 'MEMBER');
    BEGIN
      EXECUTE pg_catalog.format('GRANT %I TO %I', v_included, v_name);
    EXCEPTION WHEN unique_violation THEN
      NULL;  -- a concurrent deploy granted it
    END;
  END LOOP;
END;
$$;
COMMENT ON FUNCTION tributary._create_role(p_purpose text, p_includes text[]) IS 'Internal, deploy only: creates (if missing) the NOLOGIN group role of a purpose, records it in tributary.roles, makes it a member of the roles of p_includes.';
CREATE FUNCTION tributary._create_workflows(p_workflows jsonb, p_in_batch boolean) RETURNS bigint[]
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET jit TO 'off'
    AS $_$
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
$_$;
COMMENT ON FUNCTION tributary._create_workflows(p_workflows jsonb, p_in_batch boolean) IS 'Internal: creates a batch of workflows (the one implementation behind create_workflow and create_workflows); with p_in_batch, errors name the workflow''s position in DETAIL.';
CREATE FUNCTION tributary._cron_occurrences(p_cron text, p_time_zone text, p_after timestamp with time zone, p_until timestamp with time zone, p_max integer) RETURNS SETOF timestamp with time zone
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
DECLARE
  f record;
  v_local timestamp := p_after AT TIME ZONE p_time_zone;
  -- A day past p_until on the wall clock: a repeated hour can put an earlier instant there.
  v_end timestamp := LEAST(v_local + interval '8 years', (p_until AT TIME ZONE p_time_zone) + interval '1 day');
  v_at timestamp := pg_catalog.date_trunc('minute', v_local) + interval '1 minute';
  v_last timestamptz := p_after;
  v_instant timestamptz;
  v_day_ok boolean;
  v_next integer;
  v_count integer := 0;
BEGIN
  f := tributary._cron_parse(p_cron);
  WHILE v_at <= v_end AND v_count < p_max LOOP
    IF NOT (EXTRACT(month FROM v_at)::integer = ANY (f.months)) THEN
      v_at := pg_catalog.date_trunc('month', v_at) + interval '1 month';
      CONTINUE;
    END IF;
    v_day_ok := CASE
      WHEN f.any_day AND f.any_weekday THEN true
      WHEN f.any_day THEN EXTRACT(dow FROM v_at)::integer = ANY (f.weekdays)
      WHEN f.any_weekday THEN EXTRACT(day FROM v_at)::integer = ANY (f.days)
      ELSE EXTRACT(day FROM v_at)::integer = ANY (f.days) OR EXTRACT(dow FROM v_at)::integer = ANY (f.weekdays)
    END;
    IF NOT v_day_ok THEN
      v_at := pg_catalog.date_trunc('day', v_at) + interval '1 day';
      CONTINUE;
    END IF;
    IF NOT (EXTRACT(hour FROM v_at)::integer = ANY (f.hours)) THEN
      SELECT pg_catalog.min(h) INTO v_next FROM pg_catalog.unnest(f.hours) AS h WHERE h > EXTRACT(hour FROM v_at);
      v_at := CASE WHEN v_next IS NULL THEN pg_catalog.date_trunc('day', v_at) + interval '1 day'
                   ELSE pg_catalog.date_trunc('day', v_at) + pg_catalog.make_interval(hours => v_next) END;
      CONTINUE;
    END IF;
    SELECT pg_catalog.min(m) INTO v_next FROM pg_catalog.unnest(f.minutes) AS m WHERE m >= EXTRACT(minute FROM v_at);
    IF v_next IS NULL THEN
      v_at := pg_catalog.date_trunc('hour', v_at) + interval '1 hour';
      CONTINUE;
    END IF;
    v_at := pg_catalog.date_trunc('hour', v_at) + pg_catalog.make_interval(mins => v_next);
    v_instant := tributary._local_to_instant(v_at, p_time_zone);
    EXIT WHEN v_instant > p_until;
    IF v_instant > v_last THEN
      RETURN NEXT v_instant;
      v_last := v_instant;
      v_count := v_count + 1;
    END IF;
    v_at := v_at + interval '1 minute';
  END LOOP;
END;
$$;
COMMENT ON FUNCTION tributary._cron_occurrences(p_cron text, p_time_zone text, p_after timestamp with time zone, p_until timestamp with time zone, p_max integer) IS 'Internal: the instants a cron expression fires in a time zone after p_after up to p_until, ascending, at most p_max; each instant once across daylight-saving changes.';
CREATE FUNCTION tributary._cron_parse(p_cron text, OUT minutes integer[], OUT hours integer[], OUT days integer[], OUT months integer[], OUT weekdays integer[], OUT any_day boolean, OUT any_weekday boolean) RETURNS record
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $_$
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
$_$;
COMMENT ON FUNCTION tributary._cron_parse(p_cron text, OUT minutes integer[], OUT hours integer[], OUT days integer[], OUT months integer[], OUT weekdays integer[], OUT any_day boolean, OUT any_weekday boolean) IS 'Internal: the allowed minutes, hours, days, months and weekdays of a 5-field cron expression; TB201 when it does not parse.';
CREATE FUNCTION tributary._diagnose_task_options(p_tasks jsonb, OUT task_ordinal integer, OUT task_name text, OUT problem text) RETURNS record
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
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
COMMENT ON FUNCTION tributary._diagnose_task_options(p_tasks jsonb, OUT task_ordinal integer, OUT task_name text, OUT problem text) IS 'Internal: after create_workflow() failed on a value, names the first task and option whose value is unusable.';
CREATE FUNCTION tributary._expand_maps(p_map_ids bigint[], OUT completed bigint[], OUT settle bigint[]) RETURNS record
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET jit TO 'off'
    AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_max integer := (tributary._settings()).max_map_elements;
  v_map record;
  v_source jsonb;
  v_array jsonb;
  v_n integer;
  v_problem text;
  v_code text;
  v_creating text;
  v_cancelled bigint[];
  v_completed bigint[] := '{}';
  v_settle bigint[] := '{}';
  v_queues text[] := '{}';
BEGIN
  FOR v_map IN
    SELECT s.id, s.workflow_id, s.task_name, s.kind, s.args, s.map_over, s.map_path, s.map_size, s.queue,
           s.priority, s.max_attempts, s.timeout, s.retry_backoff, s.scheduled_at, s.attempt, s.concurrency_key
    FROM tributary.steps AS s
    WHERE s.id = ANY (p_map_ids) AND s.state = 'pending' AND s.remaining_deps = 0 AND s.map_over IS NOT NULL
    ORDER BY s.id
  LOOP
    IF v_map.map_size IS NOT NULL THEN
      -- Every element completed: the results in element order.
      UPDATE tributary.steps AS m
      SET state = 'completed',
          finalized_at = v_now,
          result = coalesce((SELECT pg_catalog.jsonb_agg(e.result ORDER BY e.map_index)
                             FROM tributary.steps AS e
                             WHERE e.id = ANY (ARRAY(SELECT d.depends_on_step_id FROM tributary.step_dependencies AS d
                                                     WHERE d.step_id = v_map.id))
                               AND e.map_step_id = v_map.id), '[]')
      WHERE m.id = v_map.id;
      v_completed := v_completed || v_map.id;
      v_settle := v_settle || v_map.workflow_id;
      CONTINUE;
    END IF;
    v_problem := NULL;
    SELECT p.result INTO v_source
    FROM tributary.steps AS p
    WHERE p.workflow_id = v_map.workflow_id AND p.task_name = v_map.map_over;
    v_array := CASE WHEN v_map.map_path IS NULL THEN v_source
                    ELSE v_source #> pg_catalog.string_to_array(v_map.map_path, '.') END;
    IF v_array IS NULL THEN
      v_code := 'TB323';
      v_problem := CASE WHEN v_map.map_path IS NULL
                     THEN pg_catalog.format('map task "%s": task "%s" completed without a result to map over', v_map.task_name, v_map.map_over)
                     ELSE pg_catalog.format('map task "%s": the result of task "%s" has nothing at path "%s"', v_map.task_name, v_map.map_over, v_map.map_path)
                   END;
    ELSIF pg_catalog.jsonb_typeof(v_array) <> 'array' THEN
      v_code := 'TB322';
      v_problem := pg_catalog.format('map task "%s": the value to map over (task "%s"%s) is a JSON %s, not an array',
                                     v_map.task_name, v_map.map_over,
                                     coalesce(pg_catalog.format(', path "%s"', v_map.map_path), ''),
                                     pg_catalog.jsonb_typeof(v_array));
    ELSE
      v_n := pg_catalog.jsonb_array_length(v_array);
      IF v_n > v_max THEN
        v_code := 'TB324';
        v_problem := pg_catalog.format('map task "%s": %s elements to map over, more than settings.max_map_elements (%s)',
                                       v_map.task_name, v_n, v_max);
      ELSIF v_n = 0 THEN
        UPDATE tributary.steps AS m
        SET state = 'completed', finalized_at = v_now, result = '[]', map_size = 0
        WHERE m.id = v_map.id;
        v_completed := v_completed || v_map.id;
        v_settle := v_settle || v_map.workflow_id;
        CONTINUE;
      ELSE
        BEGIN
          v_creating := pg_catalog.current_setting('tributary.creating_workflow', true);
          WITH elements AS (
            INSERT INTO tributary.steps (
              workflow_id, task_name, kind, args, depends_on, queue, priority, max_attempts, timeout,
              retry_backoff, state, remaining_deps, scheduled_at, created_at, map_step_id, map_index,
              concurrency_key
            )
            SELECT v_map.workflow_id, v_map.task_name || '[' || (e.ord - 1) || ']', v_map.kind,
                   v_map.args || pg_catalog.jsonb_build_object('element', e.value), '{}', v_map.queue,
                   v_map.priority, v_map.max_attempts, v_map.timeout, v_map.retry_backoff, 'available', 0,
                   v_map.scheduled_at, v_now, v_map.id, (e.ord - 1)::integer, v_map.concurrency_key
            FROM pg_catalog.jsonb_array_elements(v_array) WITH ORDINALITY AS e(value, ord)
            ORDER BY e.ord
            RETURNING id
          )
          INSERT INTO tributary.step_dependencies (step_id, depends_on_step_id)
          SELECT v_map.id, elements.id FROM elements;
          UPDATE tributary.steps AS m SET map_size = v_n, remaining_deps = v_n WHERE m.id = v_map.id;
          UPDATE tributary.workflows AS w
          SET steps_total = w.steps_total + v_n, steps_unfinished = w.steps_unfinished + v_n
          WHERE w.id = v_map.workflow_id;
          IF v_map.scheduled_at <= v_now THEN
            v_queues := v_queues || v_map.queue;
          END IF;
        EXCEPTION WHEN OTHERS THEN
          v_code := SQLSTATE;
          v_problem := pg_catalog.format('map task "%s": its %s elements cannot be created: %s', v_map.task_name, v_n, SQLERRM);
        END;
      END IF;
    END IF;
    IF v_problem IS NOT NULL THEN
      UPDATE tributary.steps AS m
      SET state = 'discarded',
          finalized_at = v_now,
          errors = m.errors || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                     'attempt', m.attempt, 'at', v_now, 'message', v_problem, 'sqlstate', v_code))
      WHERE m.id = v_map.id;
      v_cancelled := tributary._cancel_downstream(
        v_map.id, pg_catalog.format('upstream step "%s" was discarded', v_map.task_name));
      v_settle := v_settle || pg_catalog.array_fill(v_map.workflow_id, ARRAY[1 + pg_catalog.cardinality(v_cancelled)]);
    END IF;
  END LOOP;
  IF pg_catalog.cardinality(v_queues) > 0 THEN
    PERFORM tributary._notify_available(ARRAY(SELECT DISTINCT q.queue FROM pg_catalog.unnest(v_queues) AS q(queue)));
  END IF;
  completed := v_completed;
  settle := v_settle;
END;
$$;
COMMENT ON FUNCTION tributary._expand_maps(p_map_ids bigint[], OUT completed bigint[], OUT settle bigint[]) IS 'Internal: expands map steps whose dependencies completed into one element step per array element (an empty array completes the map with []), or completes a map whose elements all completed with their results in order; returns the maps it completed. A map that cannot expand (TB322 not an array, TB323 missing path, TB324 too many elements) is discarded, contained to it.';
CREATE FUNCTION tributary._fail_attempt(p_step tributary.steps, p_error jsonb, p_retryable boolean) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET jit TO 'off'
    AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_entry jsonb;
  v_retry_at timestamptz;
  v_cancelled bigint[];
BEGIN
  -- The caller's error first, the engine's facts last: they win over keys of the same name.
  v_entry := CASE pg_catalog.jsonb_typeof(p_error)
               WHEN 'object' THEN p_error
               ELSE pg_catalog.jsonb_build_object('message', coalesce(p_error #>> '{}', 'unknown error'))
             END
             || pg_catalog.jsonb_build_object(
                  'attempt', p_step.attempt, 'at', v_now, 'worker_id', p_step.worker_id,
                  'retryable', coalesce(p_retryable, true));
  IF coalesce(p_retryable, true) AND p_step.attempt < p_step.max_attempts THEN
    v_retry_at := v_now + tributary._backoff(p_step.attempt, p_step.retry_backoff);
    UPDATE tributary.steps
    SET state = 'available',
        scheduled_at = v_retry_at,
        errors = errors || v_entry,
        lease_expires_at = NULL,
        deadline_at = NULL
    WHERE id = p_step.id;
    IF v_retry_at <= v_now THEN
      PERFORM tributary._notify_available(ARRAY[p_step.queue]);
    END IF;
    RETURN 'available';
  END IF;
  UPDATE tributary.steps
  SET state = 'discarded',
      errors = errors || v_entry,
      finalized_at = v_now,
      lease_expires_at = NULL,
      deadline_at = NULL
  WHERE id = p_step.id;
  v_cancelled := tributary._cancel_downstream(
    p_step.id, pg_catalog.format('upstream step "%s" was discarded', p_step.task_name));
  PERFORM tributary._settle_workflows(
    pg_catalog.array_fill(p_step.workflow_id, ARRAY[1 + pg_catalog.cardinality(v_cancelled)]));
  RETURN 'discarded';
END;
$$;
COMMENT ON FUNCTION tributary._fail_attempt(p_step tributary.steps, p_error jsonb, p_retryable boolean) IS 'Internal: records a failed attempt of a locked running step; retries it after backoff or discards it and cancels its downstream steps. Returns available | discarded.';
CREATE FUNCTION tributary._grant(p_purpose text, p_privileges text, p_revoke boolean DEFAULT false) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
DECLARE
  v_role name;
BEGIN
  SELECT r.role_name INTO v_role FROM tributary.roles AS r WHERE r.purpose = p_purpose;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no role is recorded for purpose "%"', p_purpose
      USING ERRCODE = 'TB012', HINT = 'Deploy the roles/* changes first.';
  END IF;
  IF p_revoke THEN
    EXECUTE pg_catalog.format('REVOKE %s FROM %I', p_privileges, v_role);
  ELSE
    EXECUTE pg_catalog.format('GRANT %s TO %I', p_privileges, v_role);
  END IF;
END;
$$;
COMMENT ON FUNCTION tributary._grant(p_purpose text, p_privileges text, p_revoke boolean) IS 'Internal, deploy only: GRANT (or with p_revoke REVOKE) p_privileges to the group role of a purpose recorded in tributary.roles.';
CREATE FUNCTION tributary._local_to_instant(p_local timestamp without time zone, p_time_zone text) RETURNS timestamp with time zone
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
DECLARE
  v_guess timestamptz := p_local AT TIME ZONE p_time_zone;
  -- The UTC offsets in force a day before and a day after: a wall-clock time has at most these two.
  v_offset_before interval := ((v_guess - interval '24 hours') AT TIME ZONE p_time_zone)
                              - ((v_guess - interval '24 hours') AT TIME ZONE 'UTC');
  v_offset_after interval := ((v_guess + interval '24 hours') AT TIME ZONE p_time_zone)
                             - ((v_guess + interval '24 hours') AT TIME ZONE 'UTC');
  v_first timestamptz := (p_local - GREATEST(v_offset_before, v_offset_after)) AT TIME ZONE 'UTC';
  v_second timestamptz := (p_local - LEAST(v_offset_before, v_offset_after)) AT TIME ZONE 'UTC';
  v_low timestamptz;
  v_high timestamptz;
  v_mid timestamptz;
BEGIN
  IF (v_first AT TIME ZONE p_time_zone) = p_local THEN
    RETURN v_first;
  ELSIF (v_second AT TIME ZONE p_time_zone) = p_local THEN
    RETURN v_second;
  END IF;
  -- In a gap: the transition lies between the two candidates; find the first second after it.
  v_low := LEAST(v_first, v_second);
  v_high := GREATEST(v_first, v_second);
  WHILE v_high - v_low > interval '1 second' LOOP
    v_mid := v_low + pg_catalog.date_trunc('second', (v_high - v_low) / 2);
    IF (v_mid AT TIME ZONE p_time_zone) >= p_local THEN
      v_high := v_mid;
    ELSE
      v_low := v_mid;
    END IF;
  END LOOP;
  RETURN v_high;
END;
$$;
COMMENT ON FUNCTION tributary._local_to_instant(p_local timestamp without time zone, p_time_zone text) IS 'Internal: the instant of a wall-clock time in a time zone; a repeated time is its first occurrence, a skipped one the end of the gap.';
CREATE FUNCTION tributary._lock_event(p_workflow_id bigint, p_key text, p_event text) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
  SELECT pg_catalog.pg_advisory_xact_lock(
    pg_catalog.hashtext('tributary.events'),
    (pg_catalog.hashtextextended(
       CASE WHEN p_key IS NULL THEN 'workflow ' || p_workflow_id::text ELSE 'key ' || p_key END || ' ' || p_event,
       0) & 63)::integer);
$$;
COMMENT ON FUNCTION tributary._lock_event(p_workflow_id bigint, p_key text, p_event text) IS 'Internal: transaction advisory lock of one event address (workflow id or key, and event name; 64 locks shared by hash), taken by send_event and by a wait that begins.';
CREATE FUNCTION tributary._map_element(p_step_id bigint) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET jit TO 'off'
    AS $$
BEGIN
  RETURN (SELECT pg_catalog.jsonb_build_object(
                   'map', m.task_name, 'over', m.map_over, 'index', e.map_index, 'size', m.map_size,
                   'origin', (SELECT tributary._result_origin(o.id) FROM tributary.steps AS o
                              WHERE o.workflow_id = m.workflow_id AND o.task_name = m.map_over))
          FROM tributary.steps AS e
          JOIN tributary.steps AS m ON m.id = e.map_step_id
          WHERE e.id = p_step_id);
END;
$$;
COMMENT ON FUNCTION tributary._map_element(p_step_id bigint) IS 'Internal: for an element step of a map, {map, over, index, size, origin}: the map''s task name, the dependency it maps over, the element''s index, the number of elements and how that dependency''s result was made; NULL for any other step.';
CREATE FUNCTION tributary._notify_available(p_queues text[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET jit TO 'off'
    AS $$
DECLARE
  v_setting text;
BEGIN
  IF pg_catalog.current_setting('tributary.defer_available', true) = pg_catalog.pg_current_xact_id_if_assigned()::text THEN
    -- An assignment, not PERFORM: evaluated without a statement of its own.
      (coalesce(NULLIF(pg_catalog.current_setting('tributary.deferred_available', true), '')::text[], '{}')
       || p_queues)::text,
      true);
    RETURN;
  END IF;
  PERFORM pg_catalog.pg_notify('tributary_step_available', q)
  FROM (SELECT DISTINCT u.q FROM pg_catalog.unnest(p_queues) AS u(q) WHERE u.q IS NOT NULL) AS queues;
END;
$$;
COMMENT ON FUNCTION tributary._notify_available(p_queues text[]) IS 'Internal: NOTIFY tributary_step_available once per queue (payload: queue name); collected instead while tributary.defer_available names the current transaction (complete_steps_and_claim).';
CREATE FUNCTION tributary._reopen_steps(p_workflow_id bigint, p_step_ids bigint[]) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_custom_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET jit TO 'off'
    AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_candidates bigint[];
  v_reopen bigint[];
  v_count integer;
  v_queues text[];
  v_maps bigint[];
  v_map_settle bigint[];  -- the workflow of each step _expand_maps finished
  v_settle bigint[] := '{}';  -- the workflow once per step finished here: settled once, at the end
  v_skipped bigint[];
BEGIN
  WITH RECURSIVE downstream(id) AS (
    SELECT u.id FROM pg_catalog.unnest(p_step_ids) AS u(id)
    UNION
    SELECT d.step_id FROM tributary.step_dependencies AS d JOIN downstream ON d.depends_on_step_id = downstream.id
  )
  SELECT pg_catalog.array_agg(s.id) INTO v_candidates
  FROM tributary.steps AS s
  WHERE s.id IN (SELECT downstream.id FROM downstream)
    AND s.workflow_id = p_workflow_id
    AND s.state IN ('discarded', 'cancelled');
  IF v_candidates IS NULL THEN
    RETURN 0;
  END IF;
  WITH RECURSIVE blocked(id) AS (
    SELECT c.id FROM pg_catalog.unnest(v_candidates) AS c(id)
    WHERE EXISTS (SELECT 1 FROM tributary.step_dependencies AS d
                  JOIN tributary.steps AS p ON p.id = d.depends_on_step_id
                  WHERE d.step_id = c.id AND p.state IN ('discarded', 'cancelled')
                    AND p.id <> ALL (v_candidates))
    UNION
    SELECT d.step_id FROM tributary.step_dependencies AS d JOIN blocked ON d.depends_on_step_id = blocked.id
    WHERE d.step_id = ANY (v_candidates)
  )
  SELECT pg_catalog.array_agg(c.id ORDER BY c.id) INTO v_reopen
  FROM pg_catalog.unnest(v_candidates) AS c(id)
  WHERE c.id NOT IN (SELECT blocked.id FROM blocked);
  IF v_reopen IS NULL THEN
    RETURN 0;
  END IF;
  PERFORM 1 FROM tributary.steps AS s WHERE s.id = ANY (v_reopen) ORDER BY s.id FOR NO KEY UPDATE;
  -- Branches: a skipped dependency, or a completed one whose result does not meet the step's
  -- run_if, is finished but not taken. A step that cannot be taken any more is skipped again at
  -- once (all_completed: one dependency not taken; any_completed: none left to take).
  WITH reopened AS (
    UPDATE tributary.steps AS s
    SET state = CASE
                  WHEN s.run_when = 'all_completed' AND r.not_taken > 0 THEN 'skipped'
                  WHEN r.n > 0 THEN 'pending'
                  WHEN s.run_when = 'any_completed' AND r.taken = 0 THEN 'skipped'
                  WHEN s.map_over IS NOT NULL THEN 'pending'
                  ELSE 'available'
                END,
        remaining_deps = r.n,
        max_attempts = GREATEST(s.max_attempts, s.attempt + 1),
        scheduled_at = GREATEST(v_now, s.scheduled_at),
        cancel_reason = NULL,
        finalized_at = CASE
                         WHEN s.run_when = 'all_completed' AND r.not_taken > 0 THEN v_now
                         WHEN r.n = 0 AND s.run_when = 'any_completed' AND r.taken = 0 THEN v_now
                       END
    FROM (
      SELECT s2.id, c.n, c.taken, c.not_taken
      FROM tributary.steps AS s2
      CROSS JOIN LATERAL (
        SELECT pg_catalog.count(*) FILTER (WHERE p.state NOT IN ('completed', 'skipped'))::integer AS n,
               pg_catalog.count(*) FILTER (WHERE p.state = 'completed' AND t.taken)::integer AS taken,
               pg_catalog.count(*) FILTER (WHERE p.state = 'skipped' OR (p.state = 'completed' AND NOT t.taken))::integer AS not_taken
        FROM tributary.step_dependencies AS d
        JOIN tributary.steps AS p ON p.id = d.depends_on_step_id
        CROSS JOIN LATERAL (SELECT s2.run_if IS NULL OR NOT s2.run_if ? p.task_name
                                   OR coalesce(p.result @> (s2.run_if -> p.task_name), false) AS taken) AS t
        WHERE d.step_id = s2.id
      ) AS c
      WHERE s2.id = ANY (v_reopen)
    ) AS r
    WHERE s.id = r.id AND s.state IN ('discarded', 'cancelled')
    RETURNING s.id, s.queue, s.state, s.remaining_deps, s.map_over
  )
  SELECT pg_catalog.count(*)::integer,
         pg_catalog.array_agg(DISTINCT reopened.queue) FILTER (WHERE reopened.state = 'available'),
         pg_catalog.array_agg(reopened.id ORDER BY reopened.id) FILTER (WHERE reopened.map_over IS NOT NULL AND reopened.remaining_deps = 0 AND reopened.state = 'pending'),
         pg_catalog.array_agg(reopened.id ORDER BY reopened.id) FILTER (WHERE reopened.state = 'skipped')
  INTO v_count, v_queues, v_maps, v_skipped
  FROM reopened;
  IF v_count > 0 THEN
    UPDATE tributary.workflows
    SET steps_unfinished = steps_unfinished + v_count,
        state = 'running',
        finalized_at = NULL,
        cancelled_at = NULL
    WHERE id = p_workflow_id;
    PERFORM tributary._notify_available(v_queues);
  END IF;
  IF v_skipped IS NOT NULL THEN  -- reopened only to be skipped: settled, and their dependents told
    PERFORM tributary._unlock_dependents(v_skipped);
    v_settle := pg_catalog.array_fill(p_workflow_id, ARRAY[pg_catalog.cardinality(v_skipped)]);
  END IF;
  IF v_maps IS NOT NULL THEN  -- a map step with nothing left to wait for expands (or collects) again
    SELECT e.completed, e.settle INTO v_maps, v_map_settle FROM tributary._expand_maps(v_maps) AS e;  -- the maps it completed at once
    IF pg_catalog.cardinality(v_maps) > 0 THEN
      PERFORM tributary._unlock_dependents(v_maps);
    END IF;
    v_settle := v_settle || coalesce(v_map_settle, '{}');
  END IF;
  IF pg_catalog.cardinality(v_settle) > 0 THEN
    PERFORM tributary._settle_workflows(v_settle);
  END IF;
  RETURN v_count;
END;
$$;
COMMENT ON FUNCTION tributary._reopen_steps(p_workflow_id bigint, p_step_ids bigint[]) IS 'Internal: re-runs the given discarded/cancelled steps and the discarded/cancelled steps downstream of them (keeping completed results); the workflow runs again. Returns how many steps it reopened.';
CREATE FUNCTION tributary._resolve_workflow(p_workflow_id bigint) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
BEGIN
  PERFORM tributary._resolve_workflows(ARRAY[p_workflow_id]);
END;
$$;
COMMENT ON FUNCTION tributary._resolve_workflow(p_workflow_id bigint) IS 'Internal: validates a new workflow''s graph (TB004 empty, TB002 unknown dependency, TB001 cycle), writes its edges and counters, makes its root steps available; the one-workflow case of _resolve_workflows.';
CREATE FUNCTION tributary._resolve_workflows(p_workflow_ids bigint[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET jit TO 'off'
    AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_names jsonb;    -- 'workflow id/task name' -> step id
  v_counts jsonb;   -- workflow id -> number of steps
  v_bad record;
  v_cyclic bigint[];
  v_queues text[];
BEGIN
  PERFORM 1 FROM tributary.workflows AS w WHERE w.id = ANY (p_workflow_ids) ORDER BY w.id FOR NO KEY UPDATE;
  SELECT pg_catalog.jsonb_object_agg(s.workflow_id || '/' || s.task_name, s.id) INTO v_names
  FROM tributary.steps AS s WHERE s.workflow_id = ANY (p_workflow_ids);
  SELECT pg_catalog.jsonb_object_agg(c.workflow_id, c.n) INTO v_counts
  FROM (SELECT s.workflow_id, pg_catalog.count(*)::integer AS n
        FROM tributary.steps AS s WHERE s.workflow_id = ANY (p_workflow_ids)
        GROUP BY s.workflow_id) AS c;
  SELECT u.id INTO v_bad
  FROM pg_catalog.unnest(p_workflow_ids) AS u(id)
  WHERE v_counts IS NULL OR NOT v_counts ? u.id::text
  ORDER BY u.id
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'workflow % has no steps', v_bad.id
      USING ERRCODE = 'TB004',
            HINT = 'A workflow needs at least one step; insert its steps in the same transaction.';
  END IF;
  -- The first bad dependency in insertion order. OFFSET 0 keeps the ORDER BY ... LIMIT outside:
  -- planned together, they could walk the primary key in order through every step there is.
  SELECT b.task_name, b.name INTO v_bad
  FROM (SELECT s.id, s.task_name, d.name
        FROM tributary.steps AS s
        CROSS JOIN LATERAL pg_catalog.unnest(s.depends_on) AS d(name)
        WHERE s.workflow_id = ANY (p_workflow_ids)
          AND (d.name = s.task_name OR NOT v_names ? (s.workflow_id || '/' || d.name))
        OFFSET 0) AS b
  ORDER BY b.id
  LIMIT 1;
  IF FOUND AND v_bad.name = v_bad.task_name THEN
    RAISE EXCEPTION 'dependency cycle at task "%": it depends on itself', v_bad.task_name
      USING ERRCODE = 'TB001',
            DETAIL = pg_catalog.format('cycle: %I -> %I', v_bad.task_name, v_bad.task_name),
            HINT = 'Remove the task from its own depends_on.';
  ELSIF FOUND THEN
    RAISE EXCEPTION 'task "%" depends on unknown task "%"', v_bad.task_name, v_bad.name
      USING ERRCODE = 'TB002',
            HINT = 'depends_on names tasks of the same workflow; check the spelling or add the task.';
  END IF;
  WITH edges AS (
    SELECT DISTINCT s.workflow_id, s.id AS step_id, (v_names ->> (s.workflow_id || '/' || d.name))::bigint AS depends_on_step_id
    FROM tributary.steps AS s
    CROSS JOIN LATERAL pg_catalog.unnest(s.depends_on) AS d(name)
    WHERE s.workflow_id = ANY (p_workflow_ids)
  ), inserted AS (
    INSERT INTO tributary.step_dependencies (step_id, depends_on_step_id)
    SELECT edges.step_id, edges.depends_on_step_id FROM edges
  )
  SELECT pg_catalog.array_agg(DISTINCT edges.workflow_id) INTO v_cyclic
  FROM edges WHERE edges.depends_on_step_id > edges.step_id;
  IF v_cyclic IS NOT NULL THEN
    PERFORM tributary._check_acyclic(c.id) FROM pg_catalog.unnest(v_cyclic) AS c(id) ORDER BY c.id;
  END IF;
  -- Steps inserted directly arrive unresolved; create_workflow() inserts them resolved already.
  WITH resolved AS (
    UPDATE tributary.steps AS s
    SET remaining_deps = (SELECT pg_catalog.count(DISTINCT d.name)::integer FROM pg_catalog.unnest(s.depends_on) AS d(name)),
        state = CASE WHEN pg_catalog.cardinality(s.depends_on) = 0 THEN 'available' ELSE 'pending' END
    WHERE s.workflow_id = ANY (p_workflow_ids) AND s.remaining_deps IS NULL
    RETURNING s.queue, s.state, s.scheduled_at
  )
  SELECT pg_catalog.array_agg(DISTINCT resolved.queue) INTO v_queues
  FROM resolved
  WHERE resolved.state = 'available' AND resolved.scheduled_at <= v_now;
  UPDATE tributary.workflows AS w
  SET steps_total = (v_counts ->> w.id::text)::integer,
      steps_unfinished = (v_counts ->> w.id::text)::integer
  WHERE w.id = ANY (p_workflow_ids);
  IF v_queues IS NOT NULL THEN
    PERFORM tributary._notify_available(v_queues);
  END IF;
END;
$$;
COMMENT ON FUNCTION tributary._resolve_workflows(p_workflow_ids bigint[]) IS 'Internal: validates the graphs of directly inserted workflows, all at once (TB004 empty, TB002 unknown dependency, TB001 cycle), writes their edges and counters, makes their root steps available.';
CREATE FUNCTION tributary._result_origin(p_step_id bigint) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET jit TO 'off'
    AS $$
DECLARE
  v_step record;
  v_child bigint;
BEGIN
  SELECT s.id, s.workflow_id, s.attempt, s.wait, s.map_size, s.finalized_at INTO v_step
  FROM tributary.steps AS s WHERE s.id = p_step_id;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  IF v_step.wait IS NOT NULL THEN
    IF v_step.wait ? 'event' THEN
      RETURN pg_catalog.jsonb_build_object('made', 'wait', 'event', v_step.wait -> 'event',
                                           'key', coalesce(v_step.wait -> 'key', 'null'));
    END IF;
    RETURN '{"made": "sleep"}';
  END IF;
  IF v_step.map_size IS NOT NULL THEN
    RETURN pg_catalog.jsonb_build_object('made', 'map', 'elements', coalesce(
      (SELECT pg_catalog.jsonb_agg(tributary._result_origin(e.id) ORDER BY e.map_index)
       FROM tributary.steps AS e
       WHERE e.id = ANY (ARRAY(SELECT d.depends_on_step_id FROM tributary.step_dependencies AS d
                               WHERE d.step_id = v_step.id))
         AND e.map_step_id = v_step.id), '[]'));
  END IF;
  -- The child whose completion completed this step: it finalized in the same transaction
  -- (trigger _900_resume_parent), so at the same engine time. A child of an earlier attempt
  -- that failed, or one that completed while the step had stopped waiting for it, is not it.
  SELECT w.id INTO v_child
  FROM tributary.workflows AS w
  WHERE w.parent_step_id = v_step.id AND w.state = 'completed' AND w.finalized_at = v_step.finalized_at
  ORDER BY w.id DESC
  LIMIT 1;
  IF FOUND THEN
    RETURN pg_catalog.jsonb_build_object('made', 'child', 'workflow_id', v_child, 'leaves', coalesce(
      (SELECT pg_catalog.jsonb_object_agg(s.task_name, tributary._result_origin(s.id))
       FROM tributary.steps AS s
       WHERE s.workflow_id = v_child
         AND NOT EXISTS (SELECT 1 FROM tributary.step_dependencies AS d WHERE d.depends_on_step_id = s.id)),
      '{}'));
  END IF;
  -- claim_steps reads this last case itself (no wait, no map, no child workflow) and calls this
  -- function only for the others: a change here is a change there.
  RETURN pg_catalog.to_jsonb(v_step.attempt);
END;
$$;
COMMENT ON FUNCTION tributary._result_origin(p_step_id bigint) IS 'Internal: how a step''s result was made: the attempt (integer) of the worker that completed it, or {"made": "sleep"|"wait"|"child"|"map", ...} for a result the engine made (see claim_steps).';
CREATE TABLE tributary.schedules (
    id bigint NOT NULL,
    name text NOT NULL,
    cron text,
    time_zone text DEFAULT 'UTC'::text NOT NULL,
    every interval,
    starts_at timestamp with time zone NOT NULL,
    workflow_name text NOT NULL,
    tasks jsonb NOT NULL,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    overlap text DEFAULT 'skip'::text NOT NULL,
    catch_up text DEFAULT 'last'::text NOT NULL,
    catch_up_limit integer DEFAULT 10 NOT NULL,
    catch_up_grace interval DEFAULT '00:05:00'::interval NOT NULL,
    paused boolean DEFAULT false NOT NULL,
    next_fire_at timestamp with time zone NOT NULL,
    last_fire_at timestamp with time zone,
    last_workflow_id bigint,
    last_error text,
    created_at timestamp with time zone DEFAULT tributary.now() NOT NULL,
    updated_at timestamp with time zone DEFAULT tributary.now() NOT NULL,
    CONSTRAINT schedules_catch_up_grace_not_negative CHECK ((catch_up_grace >= '00:00:00'::interval)),
    CONSTRAINT schedules_catch_up_limit_positive CHECK ((catch_up_limit >= 1)),
    CONSTRAINT schedules_catch_up_valid CHECK ((catch_up = ANY (ARRAY['none'::text, 'last'::text, 'all'::text]))),
    CONSTRAINT schedules_cron_or_every CHECK (((cron IS NULL) <> (every IS NULL))),
    CONSTRAINT schedules_every_positive CHECK ((every > '00:00:00'::interval)),
    CONSTRAINT schedules_metadata_is_object CHECK ((jsonb_typeof(metadata) = 'object'::text)),
    CONSTRAINT schedules_name_not_blank CHECK ((name <> ''::text)),
    CONSTRAINT schedules_overlap_valid CHECK ((overlap = ANY (ARRAY['skip'::text, 'allow'::text, 'cancel_previous'::text]))),
    CONSTRAINT schedules_tasks_is_array CHECK ((jsonb_typeof(tasks) = 'array'::text)),
    CONSTRAINT schedules_workflow_name_not_blank CHECK ((workflow_name <> ''::text))
);
COMMENT ON TABLE tributary.schedules IS 'Recurring workflows: a cron expression in a time zone, or a plain interval; a workflow template; overlap and catch-up policies. Written by create_schedule, pause_schedule, resume_schedule, delete_schedule and fire_due_schedules.';
COMMENT ON COLUMN tributary.schedules.cron IS 'A 5-field cron expression (minute hour day-of-month month day-of-week) read in time_zone; NULL for an interval schedule.';
COMMENT ON COLUMN tributary.schedules.time_zone IS 'The time zone the cron expression is read in (a name PostgreSQL knows, e.g. Europe/Paris). Intervals ignore it.';
COMMENT ON COLUMN tributary.schedules.every IS 'A plain interval: fire times at starts_at + k * every (elapsed time); NULL for a cron schedule.';
COMMENT ON COLUMN tributary.schedules.starts_at IS 'Interval schedules: the first fire time, which every later fire time counts from. Cron schedules: no fire time before it.';
COMMENT ON COLUMN tributary.schedules.workflow_name IS 'Name of each workflow the schedule creates.';
COMMENT ON COLUMN tributary.schedules.tasks IS 'The tasks array passed to create_workflow at each fire time (validated by create_schedule).';
COMMENT ON COLUMN tributary.schedules.metadata IS 'Metadata of each workflow created, to which fire_due_schedules adds "schedule" and "fire_at".';
COMMENT ON COLUMN tributary.schedules.overlap IS 'When the previous workflow is still running at a fire time: skip the fire time, allow a second one, or cancel_previous.';
COMMENT ON COLUMN tributary.schedules.catch_up IS 'Fire times missed while nothing fired: none (only the newest due fire time, and only within catch_up_grace), last (the newest due fire time), all (the newest catch_up_limit due fire times).';
COMMENT ON COLUMN tributary.schedules.catch_up_limit IS 'catch_up = all: at most this many due fire times fire at once, the newest ones.';
COMMENT ON COLUMN tributary.schedules.catch_up_grace IS 'catch_up = none: how late a fire time may fire and still count as on time.';
COMMENT ON COLUMN tributary.schedules.paused IS 'A paused schedule fires nothing; resume_schedule restarts it from the next fire time after now.';
COMMENT ON COLUMN tributary.schedules.next_fire_at IS 'The earliest fire time not handled yet: the schedule is due when it has passed.';
COMMENT ON COLUMN tributary.schedules.last_fire_at IS 'The last fire time handled: its workflow was created, or the overlap policy skipped it.';
COMMENT ON COLUMN tributary.schedules.last_workflow_id IS 'The workflow the last fired fire time created (no foreign key: prune_finished may delete it).';
COMMENT ON COLUMN tributary.schedules.last_error IS 'Why the last attempt to fire failed (create_workflow raised); NULL after a success.';
CREATE FUNCTION tributary._schedule_due_fire_times(p_schedule tributary.schedules, p_now timestamp with time zone, p_max integer) RETURNS timestamp with time zone[]
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
DECLARE
  v_seconds numeric;
  v_first numeric;
  v_last numeric;
  v_window interval;
  v_from timestamptz;
  v_fire_times timestamptz[];
BEGIN
  IF p_schedule.next_fire_at > p_now THEN
    RETURN '{}';
  END IF;
  IF p_schedule.cron IS NULL THEN
    v_seconds := EXTRACT(epoch FROM p_schedule.every);
    v_first := pg_catalog.round(EXTRACT(epoch FROM p_schedule.next_fire_at - p_schedule.starts_at) / v_seconds);
    v_last := pg_catalog.floor(EXTRACT(epoch FROM p_now - p_schedule.starts_at) / v_seconds);
    RETURN ARRAY(
      SELECT p_schedule.starts_at + pg_catalog.make_interval(secs => (k * v_seconds)::double precision)
      FROM pg_catalog.generate_series(GREATEST(v_first, v_last - p_max + 1), v_last) AS k
      ORDER BY k);
  END IF;
  FOREACH v_window IN ARRAY ARRAY[interval '1 hour', interval '24 hours', interval '768 hours', interval '8808 hours', NULL] LOOP
    v_from := CASE WHEN v_window IS NULL THEN p_schedule.next_fire_at
                   ELSE GREATEST(p_schedule.next_fire_at, p_now - v_window) END;
    v_fire_times := ARRAY(
      SELECT o FROM tributary._cron_occurrences(p_schedule.cron, p_schedule.time_zone, v_from - interval '1 microsecond',
                                                p_now, 2147483647) AS o);
    IF pg_catalog.cardinality(v_fire_times) >= p_max OR v_from = p_schedule.next_fire_at THEN
      RETURN v_fire_times[GREATEST(1, pg_catalog.cardinality(v_fire_times) - p_max + 1):];
    END IF;
  END LOOP;
  RETURN v_fire_times;
END;
$$;
COMMENT ON FUNCTION tributary._schedule_due_fire_times(p_schedule tributary.schedules, p_now timestamp with time zone, p_max integer) IS 'Internal: the newest p_max due fire times of a schedule (from next_fire_at up to p_now), ascending.';
CREATE FUNCTION tributary._schedule_fire_time_after(p_schedule tributary.schedules, p_after timestamp with time zone) RETURNS timestamp with time zone
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
DECLARE
  v_seconds numeric;
  v_next timestamptz;
BEGIN
  IF p_schedule.cron IS NOT NULL THEN
    SELECT o INTO v_next
    FROM tributary._cron_occurrences(p_schedule.cron, p_schedule.time_zone,
                                     GREATEST(p_after, p_schedule.starts_at - interval '1 microsecond'), 'infinity', 1) AS o;
    RETURN v_next;
  END IF;
  IF p_after < p_schedule.starts_at THEN
    RETURN p_schedule.starts_at;
  END IF;
  v_seconds := EXTRACT(epoch FROM p_schedule.every);
  RETURN p_schedule.starts_at + pg_catalog.make_interval(
    secs => ((pg_catalog.floor(EXTRACT(epoch FROM p_after - p_schedule.starts_at) / v_seconds) + 1) * v_seconds)::double precision);
END;
$$;
COMMENT ON FUNCTION tributary._schedule_fire_time_after(p_schedule tributary.schedules, p_after timestamp with time zone) IS 'Internal: the first fire time of a schedule strictly after a time (cron occurrence, or starts_at + k * every).';
CREATE TABLE tributary.settings (
    singleton boolean DEFAULT true NOT NULL,
    default_queue text DEFAULT 'default'::text NOT NULL,
    default_priority integer DEFAULT 0 NOT NULL,
    default_max_attempts integer DEFAULT 5 NOT NULL,
    default_timeout interval,
    default_retry_backoff interval DEFAULT '00:00:01'::interval NOT NULL,
    retry_backoff_cap interval DEFAULT '00:10:00'::interval NOT NULL,
    lease_duration interval DEFAULT '00:01:00'::interval NOT NULL,
    hand_back_delay interval DEFAULT '00:00:05'::interval NOT NULL,
    hand_back_grace interval DEFAULT '00:10:00'::interval NOT NULL,
    max_map_elements integer DEFAULT 10000 NOT NULL,
    CONSTRAINT settings_backoff_bounded CHECK ((retry_backoff_cap <= '1 year'::interval)),
    CONSTRAINT settings_backoff_positive CHECK (((default_retry_backoff >= '00:00:00'::interval) AND (retry_backoff_cap >= default_retry_backoff))),
    CONSTRAINT settings_hand_back_delay_bounded CHECK ((hand_back_delay <= '1 year'::interval)),
    CONSTRAINT settings_hand_back_delay_not_negative CHECK ((hand_back_delay >= '00:00:00'::interval)),
    CONSTRAINT settings_hand_back_grace_bounded CHECK ((hand_back_grace <= '1 year'::interval)),
    CONSTRAINT settings_hand_back_grace_not_negative CHECK ((hand_back_grace >= '00:00:00'::interval)),
    CONSTRAINT settings_lease_bounded CHECK ((lease_duration <= '1 year'::interval)),
    CONSTRAINT settings_lease_positive CHECK ((lease_duration > '00:00:00'::interval)),
    CONSTRAINT settings_max_attempts_bounded CHECK ((default_max_attempts <= 1000000)),
    CONSTRAINT settings_max_attempts_positive CHECK ((default_max_attempts >= 1)),
    CONSTRAINT settings_max_map_elements_bounded CHECK (((max_map_elements >= 0) AND (max_map_elements <= 1000000))),
    CONSTRAINT settings_one_row CHECK (singleton),
    CONSTRAINT settings_queue_length CHECK ((char_length(default_queue) <= 255)),
    CONSTRAINT settings_queue_not_blank CHECK ((default_queue <> ''::text)),
    CONSTRAINT settings_timeout_bounded CHECK ((default_timeout <= '1 year'::interval)),
    CONSTRAINT settings_timeout_positive CHECK ((default_timeout > '00:00:00'::interval))
);
COMMENT ON TABLE tributary.settings IS 'Engine-wide defaults (exactly one row). Task options omitted by a caller take these values when the step is created.';
COMMENT ON COLUMN tributary.settings.default_queue IS 'Queue of a step that names none.';
COMMENT ON COLUMN tributary.settings.default_priority IS 'Priority of a step that names none; higher runs first.';
COMMENT ON COLUMN tributary.settings.default_max_attempts IS 'Attempts a step gets before it is discarded.';
COMMENT ON COLUMN tributary.settings.default_timeout IS 'Per-attempt time limit of a step that names none; NULL means no limit (the lease still covers a dead worker).';
COMMENT ON COLUMN tributary.settings.default_retry_backoff IS 'Default retry_backoff of new steps: the delay before the 2nd attempt; doubles per attempt (with jitter) up to retry_backoff_cap.';
COMMENT ON COLUMN tributary.settings.retry_backoff_cap IS 'Longest delay between two attempts.';
COMMENT ON COLUMN tributary.settings.lease_duration IS 'How long a claim holds a step without a heartbeat before rescue_expired_steps() may take it back.';
COMMENT ON COLUMN tributary.settings.hand_back_delay IS 'hand_back_step: how long a handed-back step waits before it is claimable again (so the process that could not run it does not spin on it); 0 to 1 year.';
COMMENT ON COLUMN tributary.settings.hand_back_grace IS 'hand_back_step: how long after a step''s first hand-back (of a streak) it is discarded instead, as no worker process could run it; 0 to 1 year.';
COMMENT ON COLUMN tributary.settings.max_map_elements IS 'Most elements a map step expands to (0 to 1,000,000; default 10,000); a map over a longer array is discarded (TB324).';
CREATE FUNCTION tributary._settings() RETURNS tributary.settings
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_custom_plan'
    SET jit TO 'off'
    AS $$
DECLARE
  v_settings tributary.settings;
BEGIN
  SELECT * INTO v_settings FROM tributary.settings AS s WHERE s.singleton;
  RETURN v_settings;
END;
$$;
COMMENT ON FUNCTION tributary._settings() IS 'Internal: the row of tributary.settings (engine-wide defaults).';
CREATE FUNCTION tributary._settle_workflows(p_workflow_ids bigint[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET jit TO 'off'
    AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_workflows bigint[];
  v_counts jsonb;  -- workflow id -> how many of its steps just finished
  v_payloads text[];
BEGIN
  IF p_workflow_ids[1] = ALL (p_workflow_ids) THEN  -- one workflow: the usual case
    v_workflows := ARRAY[p_workflow_ids[1]];
    v_counts := pg_catalog.jsonb_build_object(p_workflow_ids[1], pg_catalog.cardinality(p_workflow_ids));
  ELSE
    SELECT pg_catalog.array_agg(f.id ORDER BY f.id), pg_catalog.jsonb_object_agg(f.id, f.n)
    INTO v_workflows, v_counts
    FROM (SELECT u.id, pg_catalog.count(*)::integer AS n
          FROM pg_catalog.unnest(p_workflow_ids) AS u(id)
          GROUP BY u.id) AS f;
  END IF;
  IF v_workflows[1] IS NULL THEN
    RETURN;
  END IF;
  -- The row locks first, in id order, in a statement of their own: the UPDATE below then runs
  -- with a snapshot taken once they are held, so it sees a discard committed by a transaction
  -- this one waited for (a subquery inside an UPDATE that waited for a row lock would read with
  -- the snapshot the UPDATE started with, and finalize such a workflow as completed).
  PERFORM 1 FROM tributary.workflows AS w WHERE w.id = ANY (v_workflows) ORDER BY w.id FOR NO KEY UPDATE;
  -- One UPDATE counts down and, for a workflow brought to 0, finalizes it in its final state: a
  -- one-step workflow is written once, not twice, and no workflow passes through a state it does
  -- not end in (triggers on workflows see the final state at once). Only a running workflow has
  -- unfinished steps (workflows_final_means_nothing_unfinished, workflows_counters_in_range), so
  -- a row at 0 after this statement is one this statement finalized. The discarded-step probe is
  -- a scalar subquery in the CASE: evaluated only for a workflow being finalized, one probe of
  -- its steps (an EXISTS could be planned as a join reading every discarded step).
  WITH settled AS (
    UPDATE tributary.workflows AS w
    SET steps_unfinished = w.steps_unfinished - (v_counts ->> w.id::text)::integer,
        state = CASE
                  WHEN w.state <> 'running' OR w.steps_unfinished <> (v_counts ->> w.id::text)::integer THEN w.state
                  WHEN w.cancelled_at IS NOT NULL THEN 'cancelled'
                  WHEN (SELECT true FROM tributary.steps AS s
                        WHERE s.workflow_id = w.id AND s.state = 'discarded'
                        LIMIT 1) THEN 'failed'
                  ELSE 'completed'
                END,
        finalized_at = CASE
                         WHEN w.state <> 'running' OR w.steps_unfinished <> (v_counts ->> w.id::text)::integer THEN w.finalized_at
                         ELSE v_now
                       END
    WHERE w.id = ANY (v_workflows)
    RETURNING w.id, w.state, w.steps_unfinished
  )
  SELECT pg_catalog.array_agg(pg_catalog.json_build_object('workflow_id', settled.id, 'state', settled.state)::text)
  INTO v_payloads
  FROM settled
  WHERE settled.steps_unfinished = 0;
  IF v_payloads IS NOT NULL THEN  -- most calls finalize nothing: no statement then
    PERFORM pg_catalog.pg_notify('tributary_workflow_finalized', p.payload)
    FROM pg_catalog.unnest(v_payloads) AS p(payload);
  END IF;
END;
$$;
COMMENT ON FUNCTION tributary._settle_workflows(p_workflow_ids bigint[]) IS 'Internal: given the workflow id of each step that reached a final state, counts them against their workflows and finalizes (exactly once) each workflow left with nothing unfinished.';
CREATE FUNCTION tributary._unlock_dependents(p_step_ids bigint[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET jit TO 'off'
    AS $$
DECLARE
  v_children bigint[];
  v_counts jsonb;  -- dependent's id -> how many of its dependencies just finished
  v_finished_deps jsonb;  -- dependent's id -> the ids of those dependencies (its branch decision reads them)
  v_skipped_input boolean;  -- some of this turn's finished steps were skipped (not completed)
  v_now timestamptz := tributary.now();
  v_queues text[];
  v_skipped bigint[];
  v_skipped_workflows bigint[];
  v_maps bigint[];
  v_finished bigint[] := p_step_ids;  -- this turn's finished steps: the input, then the steps skipped and maps completed
  v_completed_maps bigint[];
  v_settle bigint[] := '{}';  -- workflow of each step skipped or finished by a map: settled once, after every level
BEGIN
  -- One level per turn, not one call per level: a skip that runs down a chain of thousands of
  -- steps must not recurse that deep.
  LOOP
    -- The dependents of the finished steps, and how many of their dependencies just finished:
    -- read from the edges index only. Most steps of wide workflows have none.
    SELECT pg_catalog.array_agg(c.step_id ORDER BY c.step_id), pg_catalog.jsonb_object_agg(c.step_id, c.n),
           pg_catalog.jsonb_object_agg(c.step_id, pg_catalog.to_jsonb(c.deps))
    INTO v_children, v_counts, v_finished_deps
    FROM (SELECT d.step_id, pg_catalog.count(*)::integer AS n, pg_catalog.array_agg(d.depends_on_step_id) AS deps
          FROM tributary.step_dependencies AS d
          WHERE d.depends_on_step_id = ANY (v_finished)
          GROUP BY d.step_id) AS c;
    IF v_children IS NULL THEN
      EXIT;
    END IF;
    IF v_skipped_input IS NULL THEN  -- unknown: completed and skipped steps may be mixed
      v_skipped_input := EXISTS (SELECT 1 FROM tributary.steps AS i WHERE i.id = ANY (v_finished) AND i.state = 'skipped');
    END IF;
    IF pg_catalog.cardinality(v_children) > 1 THEN  -- one row needs no lock order
      PERFORM 1 FROM tributary.steps AS s
      WHERE s.id = ANY (v_children) AND s.state = 'pending'
      ORDER BY s.id
      FOR NO KEY UPDATE;
    END IF;
    -- all_completed (the default): skipped as soon as one dependency is not taken, available at 0.
    -- any_completed: at 0, available if some completed dependency was taken, else skipped.
    -- A map step at 0 stays pending: _expand_maps expands or collects it.
    WITH unlocked AS (
      UPDATE tributary.steps AS s
      SET remaining_deps = s.remaining_deps - (v_counts ->> s.id::text)::integer,
          -- The decision is written once; finalized_at follows it (set exactly for a skip).
          (state, finalized_at) = (
            SELECT decision.state, CASE WHEN decision.state = 'skipped' THEN v_now END
            FROM (SELECT
                    CASE
                        WHEN s.run_when = 'all_completed' AND (s.run_if IS NOT NULL OR v_skipped_input) AND EXISTS (
                               SELECT 1 FROM tributary.steps AS p
                               -- its dependencies that just finished, by key from the first query (not
                               -- its edges filtered by = ANY (v_finished): one probe per finished step)
                               WHERE p.id = ANY (ARRAY(SELECT pg_catalog.jsonb_array_elements_text(v_finished_deps -> s.id::text)::bigint))
                                 AND (p.state = 'skipped'
                                      OR (s.run_if ? p.task_name AND NOT coalesce(p.result @> (s.run_if -> p.task_name), false)))) THEN 'skipped'
                        WHEN s.remaining_deps > (v_counts ->> s.id::text)::integer THEN 'pending'
                        WHEN s.run_when = 'any_completed' AND NOT EXISTS (
                               SELECT 1 FROM tributary.steps AS p
                               WHERE p.id = ANY (ARRAY(SELECT d.depends_on_step_id FROM tributary.step_dependencies AS d
                                                       WHERE d.step_id = s.id))
                                 AND p.state = 'completed'
                                 AND (s.run_if IS NULL OR NOT s.run_if ? p.task_name
                                      OR coalesce(p.result @> (s.run_if -> p.task_name), false))) THEN 'skipped'
                        WHEN s.map_over IS NOT NULL THEN 'pending'
                        ELSE 'available'
                      END AS state
                  OFFSET 0  -- evaluated once: not copied into both columns by the planner
                 ) AS decision
          )
      WHERE s.id = ANY (v_children) AND s.state = 'pending'
      RETURNING s.id, s.workflow_id, s.queue, s.state, s.scheduled_at, s.remaining_deps, s.map_over
    )
    SELECT pg_catalog.array_agg(DISTINCT u.queue) FILTER (WHERE u.state = 'available' AND u.scheduled_at <= v_now),
           pg_catalog.array_agg(u.id ORDER BY u.id) FILTER (WHERE u.state = 'skipped'),
           pg_catalog.array_agg(u.workflow_id) FILTER (WHERE u.state = 'skipped'),
           pg_catalog.array_agg(u.id ORDER BY u.id) FILTER (WHERE u.state = 'pending' AND u.remaining_deps = 0 AND u.map_over IS NOT NULL)
    INTO v_queues, v_skipped, v_skipped_workflows, v_maps
    FROM unlocked AS u;
    IF v_queues IS NOT NULL THEN
      PERFORM tributary._notify_available(v_queues);
    END IF;
    v_completed_maps := NULL;
    IF v_maps IS NOT NULL THEN
      SELECT e.completed, v_settle || e.settle INTO v_completed_maps, v_settle FROM tributary._expand_maps(v_maps) AS e;
    END IF;
    v_settle := v_settle || coalesce(v_skipped_workflows, '{}');
    -- What depends on a skipped step or on a map that just completed learns it the same way, next turn.
    v_finished := coalesce(v_skipped, '{}') || coalesce(v_completed_maps, '{}');
    IF pg_catalog.cardinality(v_finished) = 0 THEN
      EXIT;
    END IF;
    v_skipped_input := CASE WHEN pg_catalog.cardinality(v_completed_maps) > 0 THEN NULL ELSE true END;
  END LOOP;
  -- The workflows of the steps skipped, and of those _expand_maps finished, are settled (their
  -- rows locked) only after every step lock of
  -- every level is held: steps first, then workflows, the order of complete_steps and the other
  -- callers. Settling inside the loop locked a workflow and then, a level down, steps, and
  -- deadlocked with a concurrent completion of the same workflow that held those steps.
  IF pg_catalog.cardinality(v_settle) > 0 THEN
    PERFORM tributary._settle_workflows(v_settle);
  END IF;
END;
$$;
COMMENT ON FUNCTION tributary._unlock_dependents(p_step_ids bigint[]) IS 'Internal: after steps completed or were skipped, counts down their dependents'' remaining_deps, skips the branches not taken, makes those at 0 available and expands or collects map steps at 0. O(out-degree).';
CREATE FUNCTION tributary._wait_spec(p_task jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
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
COMMENT ON FUNCTION tributary._wait_spec(p_task jsonb) IS 'Internal: the normalized steps.wait of a task object with wait_for, sleep or sleep_until (NULL without); TB303 for invalid options.';
CREATE FUNCTION tributary.cancel_workflow(p_workflow_id bigint, p_reason text DEFAULT 'workflow cancelled'::text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_custom_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET jit TO 'off'
    AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_cancelled bigint[];
  v_unresolved boolean;
  v_descendants bigint[];
BEGIN
  SELECT w.steps_total IS NULL INTO v_unresolved FROM tributary.workflows AS w WHERE w.id = p_workflow_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'workflow % does not exist', p_workflow_id USING ERRCODE = 'TB009';
  END IF;
  IF v_unresolved THEN
    RAISE EXCEPTION 'workflow % is not resolved yet: it was inserted directly in this transaction', p_workflow_id
      USING ERRCODE = 'TB011',
            HINT = 'Roll the transaction back instead, or cancel the workflow after COMMIT.';
  END IF;
  -- The unfinished steps of the running descendants first: a child that finalizes holds its own
  -- step, then locks its waiting parent step, so holding the parent's steps while waiting for a
  -- child's would deadlock with a worker completing the child's last step.
  v_descendants := ARRAY(
    WITH RECURSIVE tree(id) AS (
      SELECT c.id FROM tributary.workflows AS c WHERE c.parent_workflow_id = p_workflow_id AND c.state = 'running'
      UNION ALL
      SELECT c.id FROM tributary.workflows AS c JOIN tree ON c.parent_workflow_id = tree.id WHERE c.state = 'running'
    )
    SELECT tree.id FROM tree);
  IF pg_catalog.cardinality(v_descendants) > 0 THEN
    PERFORM 1 FROM tributary.steps AS s
    WHERE s.workflow_id = ANY (v_descendants) AND s.state IN ('pending', 'available', 'running', 'waiting')
    ORDER BY s.id
    FOR NO KEY UPDATE;
  END IF;
  PERFORM 1 FROM tributary.steps AS s
  WHERE s.workflow_id = p_workflow_id AND s.state IN ('pending', 'available', 'running', 'waiting')
  ORDER BY s.id
  FOR NO KEY UPDATE;
  WITH cancelled AS (
    UPDATE tributary.steps AS s
    SET state = 'cancelled',
        cancel_reason = coalesce(p_reason, 'workflow cancelled'),
        finalized_at = v_now,
        lease_expires_at = NULL,
        deadline_at = NULL,
        wake_at = NULL
    WHERE s.workflow_id = p_workflow_id AND s.state IN ('pending', 'available', 'running', 'waiting')
    RETURNING s.id
  )
  SELECT pg_catalog.array_agg(cancelled.id) INTO v_cancelled FROM cancelled;
  IF v_cancelled IS NULL THEN
    RETURN false;
  END IF;
  UPDATE tributary.workflows SET cancelled_at = v_now WHERE id = p_workflow_id;
  PERFORM tributary._settle_workflows(pg_catalog.array_fill(p_workflow_id, ARRAY[pg_catalog.cardinality(v_cancelled)]));
  -- Children last: a child created concurrently by one of the steps just cancelled (it waited
  -- for that step's lock) is visible to this statement.
  PERFORM tributary.cancel_workflow(c.id, pg_catalog.format('parent workflow %s was cancelled', p_workflow_id))
  FROM tributary.workflows AS c
  WHERE c.parent_workflow_id = p_workflow_id AND c.state = 'running'
  ORDER BY c.id;
  RETURN true;
END;
$$;
COMMENT ON FUNCTION tributary.cancel_workflow(p_workflow_id bigint, p_reason text) IS 'Cancels every unfinished step of a workflow (running ones learn it via heartbeat/complete_step), finalizes it as cancelled, then cancels its running child workflows. false if already finished; TB009 unknown workflow.';
CREATE FUNCTION tributary.claim_retry_in(p_queue text) RETURNS interval
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
DECLARE
  v_setting text := pg_catalog.current_setting('tributary.claim_retry_at', true);
BEGIN
  IF v_setting IS NULL OR p_queue IS NULL OR pg_catalog.left(v_setting, pg_catalog.length(p_queue) + 1) <> p_queue || ' ' THEN
    RETURN NULL;
  END IF;
  RETURN GREATEST(interval '0',
    pg_catalog.substr(v_setting, pg_catalog.length(p_queue) + 2)::timestamptz - tributary.now());
END;
$$;
COMMENT ON FUNCTION tributary.claim_retry_in(p_queue text) IS 'After a claim_step of the queue in this session held a step back for a rate limit: how long until a claim can take it (0: now); NULL otherwise.';
CREATE FUNCTION tributary.claim_step(p_queue text, p_worker_id text, p_max_steps integer DEFAULT 1) RETURNS TABLE(step_id bigint, workflow_id bigint, task_name text, kind text, args jsonb, attempt integer, max_attempts integer, queue text, priority integer, timeout interval, deadline_at timestamp with time zone, lease_expires_at timestamp with time zone, dependency_results jsonb, has_dependents boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET jit TO 'off'
    AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_lease interval;
  v_paused boolean;
  v_queue_limited boolean;
  v_keys_limited boolean;
  v_ids bigint[];                -- chosen under limits; NULL: the plain choice
  v_flow_limited bigint[] := '{}';
  v_retry_at timestamptz;
BEGIN
  IF p_max_steps IS NULL OR p_max_steps < 1 THEN
    RAISE EXCEPTION 'max_steps must be at least 1, got %', p_max_steps
      USING ERRCODE = 'TB012';
  END IF;
  SELECT EXISTS (SELECT 1 FROM tributary.paused_queues AS pq WHERE pq.queue = p_queue),
         EXISTS (SELECT 1 FROM tributary.flow_limits AS f WHERE f.scope = 'queue' AND f.name = p_queue),
         EXISTS (SELECT 1 FROM tributary.flow_limits AS f WHERE f.scope = 'key'),
         (tributary._settings()).lease_duration
  INTO v_paused, v_queue_limited, v_keys_limited, v_lease;
  IF v_paused THEN
    -- Nothing until resume_queue, which wakes the workers: forget a retry time an earlier limited
    -- claim of this queue left, so that claim_retry_in says NULL (once past it would say 0).
    IF pg_catalog.left(pg_catalog.current_setting('tributary.claim_retry_at', true), pg_catalog.length(p_queue) + 1) = p_queue || ' ' THEN
    END IF;
    RETURN;
  END IF;
                                     CASE WHEN v_queue_limited OR v_keys_limited THEN '' ELSE p_queue END, true);
  IF v_queue_limited OR v_keys_limited THEN
    SELECT l.step_ids, l.limited_ids, l.retry_at INTO v_ids, v_flow_limited, v_retry_at
    FROM tributary._claim_under_limits(p_queue, p_max_steps, v_now, v_queue_limited, v_keys_limited) AS l;
    IF pg_catalog.cardinality(v_ids) = 0 THEN
      RETURN;
    END IF;
  END IF;
  RETURN QUERY
  WITH claimed AS (
    UPDATE tributary.steps AS s
    SET state = 'running',
        attempt = s.attempt + 1,
        attempted_at = v_now,
        worker_id = p_worker_id,
        lease_expires_at = LEAST(v_now + v_lease, v_now + s.timeout),
        deadline_at = v_now + s.timeout,
        flow_limited = s.id = ANY (v_flow_limited)
    WHERE s.id = ANY (ARRAY(
      SELECT r.id
      FROM tributary.steps AS r
      WHERE r.state = 'available' AND r.queue = p_queue AND r.scheduled_at <= v_now AND v_ids IS NULL
      ORDER BY r.priority DESC, r.scheduled_at, r.id
      LIMIT p_max_steps
      FOR NO KEY UPDATE SKIP LOCKED
    ) || v_ids)
    RETURNING s.id, s.workflow_id, s.task_name, s.kind, s.args, s.attempt, s.max_attempts, s.queue,
              s.priority, s.scheduled_at, s.timeout, s.deadline_at, s.lease_expires_at, s.depends_on
  )
  SELECT c.id, c.workflow_id, c.task_name, c.kind, c.args, c.attempt, c.max_attempts, c.queue,
         c.priority, c.timeout, c.deadline_at, c.lease_expires_at,
         CASE WHEN pg_catalog.cardinality(c.depends_on) = 0 THEN '{}'::jsonb
              ELSE (SELECT pg_catalog.jsonb_object_agg(p.task_name, p.result)
                    FROM tributary.steps AS p
                    WHERE p.id = ANY (ARRAY(SELECT d.depends_on_step_id FROM tributary.step_dependencies AS d
                                            WHERE d.step_id = c.id))
                      AND p.state = 'completed')
         END,
         EXISTS (SELECT 1 FROM tributary.step_dependencies AS d WHERE d.depends_on_step_id = c.id)
  FROM claimed AS c
  ORDER BY c.priority DESC, c.scheduled_at, c.id;
END;
$$;
COMMENT ON FUNCTION tributary.claim_step(p_queue text, p_worker_id text, p_max_steps integer) IS 'Claims up to p_max_steps ready steps of a queue (FOR NO KEY UPDATE SKIP LOCKED; priority desc, scheduled_at, id): running, attempt+1, leased. Returns args and the direct dependencies'' results keyed by task name. Nothing from a paused queue; obeys the concurrency and rate limits of tributary.flow_limits.';
CREATE FUNCTION tributary.claim_steps(p_queue text, p_worker_id text, p_max_steps integer DEFAULT 1) RETURNS TABLE(step_id bigint, workflow_id bigint, task_name text, kind text, args jsonb, attempt integer, max_attempts integer, queue text, priority integer, timeout interval, deadline_at timestamp with time zone, lease_expires_at timestamp with time zone, dependency_results jsonb, dependency_attempts jsonb, has_dependents boolean, map_element jsonb)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET jit TO 'off'
    AS $$
#variable_conflict use_column
BEGIN
  -- PL/pgSQL, not SQL: a SQL function is planned again at every call (its plan lives only as
  -- long as the calling statement), which cost a chain about 0.2 ms per hop.
  RETURN QUERY
  SELECT c.step_id, c.workflow_id, c.task_name, c.kind, c.args, c.attempt, c.max_attempts, c.queue,
         c.priority, c.timeout, c.deadline_at, c.lease_expires_at, c.dependency_results,
         -- A dependency a worker completed (no wait, no map, no child workflow: nearly all) is its
         -- attempt, read here as _result_origin's last case; only the others call _result_origin (a function call per
         -- dependency cost a 1 -> 1,000 -> 1 fan-out about 0.05 ms per claimed step).
         CASE WHEN c.dependency_results = '{}' THEN '{}'::jsonb
              ELSE (SELECT pg_catalog.jsonb_object_agg(
                             p.task_name,
                             CASE WHEN p.wait IS NULL AND p.map_size IS NULL
                                       AND NOT EXISTS (SELECT 1 FROM tributary.workflows AS w WHERE w.parent_step_id = p.id)
                                  THEN pg_catalog.to_jsonb(p.attempt)
                                  ELSE tributary._result_origin(p.id)
                             END)
                    FROM tributary.steps AS p
                    WHERE p.id = ANY (ARRAY(SELECT d.depends_on_step_id FROM tributary.step_dependencies AS d
                                            WHERE d.step_id = c.step_id)))
         END,
         c.has_dependents,
         CASE WHEN c.task_name LIKE '%]' THEN tributary._map_element(c.step_id) END
  FROM tributary.claim_step(p_queue, p_worker_id, p_max_steps) AS c;
END;
$$;
COMMENT ON FUNCTION tributary.claim_steps(p_queue text, p_worker_id text, p_max_steps integer) IS 'claim_step plus, per claimed step, how each dependency''s result was made (dependency_attempts: the attempt, or {"made": "sleep"|"wait"|"child"|"map", ...}, keyed by task name) and, for an element of a map, map_element {map, over, index, size, origin}: sealed results are bound to what made them.';
CREATE FUNCTION tributary.complete_step(p_step_id bigint, p_attempt integer, p_result jsonb DEFAULT NULL::jsonb) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET jit TO 'off'
    AS $$
BEGIN
  PERFORM tributary._check_attempt(p_step_id, p_attempt);
  PERFORM tributary.complete_steps(ARRAY[p_step_id], ARRAY[p_attempt], ARRAY[p_result]);
END;
$$;
COMMENT ON FUNCTION tributary.complete_step(p_step_id bigint, p_attempt integer, p_result jsonb) IS 'Completes a step''s attempt with a result, unlocks dependents, finalizes the workflow when last. Raises TB007 stale attempt, TB008 cancelled, TB006 unknown step.';
CREATE FUNCTION tributary.complete_steps(p_step_ids bigint[], p_attempts integer[], p_results jsonb[] DEFAULT NULL::jsonb[]) RETURNS TABLE(step_id bigint, outcome text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET jit TO 'off'
    AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_positions jsonb;  -- 'step id:attempt' -> its position in the input (a duplicate id never hides the current attempt)
  v_completed bigint[];
  v_done jsonb;       -- step id -> true, for the steps this call completed
  v_workflow_ids bigint[];
  v_outcomes text[];
  v_i integer;
BEGIN
  -- A result is found by its step's position in the input (from 1): any other shape would pair
  -- a step with another's result.
  IF pg_catalog.array_ndims(p_step_ids) > 1 OR pg_catalog.array_ndims(p_attempts) > 1 OR pg_catalog.array_ndims(p_results) > 1
     OR pg_catalog.array_lower(p_step_ids, 1) <> 1 OR pg_catalog.array_lower(p_attempts, 1) <> 1
     OR pg_catalog.array_lower(p_results, 1) <> 1 THEN
    RAISE EXCEPTION 'step ids, attempts and results must be one-dimensional arrays starting at 1'
      USING ERRCODE = 'TB012';
  END IF;
  IF pg_catalog.cardinality(p_step_ids) IS DISTINCT FROM pg_catalog.cardinality(p_attempts)
     OR (p_results IS NOT NULL AND pg_catalog.cardinality(p_results) <> pg_catalog.cardinality(p_step_ids)) THEN
    RAISE EXCEPTION 'step ids, attempts and results must have the same length'
      USING ERRCODE = 'TB012';
  END IF;
  -- One step that cannot be completed (a row made inconsistent by a direct write) must not fail
  -- its innocent neighbours: when the batch fails, each step is completed on its own, in its own
  -- subtransaction, and the one that fails gets the outcome 'error' (and a WARNING naming it).
  BEGIN
    -- No explicit lock order is needed: each step is held by one attempt, so two batches that
    -- could complete anything never share a step.
    SELECT pg_catalog.jsonb_object_agg(i.id::text || ':' || i.attempt::text, i.ord) INTO v_positions
    FROM unnest(p_step_ids, p_attempts) WITH ORDINALITY AS i(id, attempt, ord);
    WITH done AS (
      UPDATE tributary.steps AS s
      SET state = 'completed',
          result = p_results[(v_positions ->> (s.id::text || ':' || s.attempt::text))::integer],
          finalized_at = v_now,
          lease_expires_at = NULL,
          deadline_at = NULL
      WHERE s.id = ANY (p_step_ids) AND s.state = 'running'
        AND v_positions ? (s.id::text || ':' || s.attempt::text)
      RETURNING s.id, s.workflow_id
    )
    SELECT coalesce(pg_catalog.array_agg(done.id), '{}'), pg_catalog.array_agg(done.workflow_id)
    INTO v_completed, v_workflow_ids
    FROM done;
    IF pg_catalog.cardinality(v_completed) > 0 THEN
      PERFORM tributary._unlock_dependents(v_completed);
      PERFORM tributary._settle_workflows(v_workflow_ids);
    END IF;
  EXCEPTION WHEN OTHERS THEN
    IF pg_catalog.cardinality(p_step_ids) <= 1 THEN
      RAISE;
    END IF;
    FOR v_i IN 1 .. pg_catalog.cardinality(p_step_ids) LOOP
      BEGIN
        v_outcomes[v_i] := (SELECT c.outcome FROM tributary.complete_steps(
                              ARRAY[p_step_ids[v_i]], ARRAY[p_attempts[v_i]], ARRAY[p_results[v_i]]) AS c);
      EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'step % cannot be completed: % (SQLSTATE %)', p_step_ids[v_i], SQLERRM, SQLSTATE
          USING HINT = 'The row breaks an engine invariant; inspect it and cancel or fix its workflow.';
        v_outcomes[v_i] := 'error';
      END;
    END LOOP;
    RETURN QUERY SELECT u.id, u.outcome FROM unnest(p_step_ids, v_outcomes) AS u(id, outcome);
    RETURN;
  END;
  IF pg_catalog.cardinality(v_completed) = pg_catalog.cardinality(p_step_ids) THEN
    RETURN QUERY SELECT u.id, 'completed'::text FROM pg_catalog.unnest(p_step_ids) AS u(id);
    RETURN;
  END IF;
  SELECT pg_catalog.jsonb_object_agg(c.id, true) INTO v_done FROM pg_catalog.unnest(v_completed) AS c(id);
  RETURN QUERY
  SELECT i.id,
         CASE
           WHEN v_done ? i.id::text AND s.attempt = i.attempt THEN 'completed'
           WHEN s.id IS NULL THEN 'not_found'
           WHEN s.state = 'completed' AND s.attempt = i.attempt THEN 'already_completed'
           WHEN s.state = 'cancelled' AND s.attempt = i.attempt THEN 'cancelled'
           ELSE 'stale'
         END
  FROM unnest(p_step_ids, p_attempts) WITH ORDINALITY AS i(id, attempt, ord)
  LEFT JOIN tributary.steps AS s ON s.id = i.id
  ORDER BY i.ord;
END;
$$;
COMMENT ON FUNCTION tributary.complete_steps(p_step_ids bigint[], p_attempts integer[], p_results jsonb[]) IS 'Completes a batch of (step, attempt) pairs with their results; returns one outcome per step: completed | already_completed | cancelled | stale | not_found | error (that step cannot be completed; the others are). Never raises for a single step of a batch.';
CREATE FUNCTION tributary.complete_steps_and_claim(p_step_ids bigint[], p_attempts integer[], p_results jsonb[], p_worker_id text, p_queues text[], p_max_steps integer[]) RETURNS TABLE(outcome text, step_id bigint, workflow_id bigint, task_name text, kind text, args jsonb, attempt integer, max_attempts integer, queue text, priority integer, timeout interval, deadline_at timestamp with time zone, lease_expires_at timestamp with time zone, dependency_results jsonb, dependency_attempts jsonb, has_dependents boolean, map_element jsonb)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET jit TO 'off'
    AS $$
#variable_conflict use_column
DECLARE
  v_i integer;
  v_bad integer;
  v_taken integer;
  v_drained text[] := '{}';  -- queues whose claim took fewer steps than it asked for
  v_deferred text[];
  v_queue text;
BEGIN
  IF pg_catalog.array_ndims(p_queues) > 1 OR pg_catalog.array_ndims(p_max_steps) > 1 THEN
    RAISE EXCEPTION 'queues and max_steps must be one-dimensional arrays'
      USING ERRCODE = 'TB012';
  END IF;
  IF pg_catalog.cardinality(p_queues) IS DISTINCT FROM pg_catalog.cardinality(p_max_steps) THEN
    RAISE EXCEPTION 'queues and max_steps must have the same length'
      USING ERRCODE = 'TB012';
  END IF;
  IF pg_catalog.array_position(p_queues, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'queues must not contain NULL'
      USING ERRCODE = 'TB012';
  END IF;
  IF pg_catalog.array_position(p_max_steps, NULL) IS NOT NULL OR 1 > ANY (p_max_steps) THEN
    SELECT m.n INTO v_bad FROM pg_catalog.unnest(p_max_steps) AS m(n) WHERE m.n IS NULL OR m.n < 1 LIMIT 1;
    RAISE EXCEPTION 'max_steps must be at least 1, got %', v_bad
      USING ERRCODE = 'TB012';
  END IF;
  -- complete_steps_and_start calls this with an empty completion, after its own, while collecting
  -- the queues of this transaction: what it collected stays.
  IF pg_catalog.current_setting('tributary.defer_available', true) IS DISTINCT FROM pg_catalog.pg_current_xact_id()::text THEN
  END IF;
  IF NOT coalesce(pg_catalog.cardinality(p_step_ids) = 0 AND pg_catalog.cardinality(p_attempts) = 0
                  AND coalesce(pg_catalog.cardinality(p_results), 0) = 0, false) THEN  -- nothing to complete: not even a call
    RETURN QUERY
    SELECT c.outcome, c.step_id, NULL::bigint, NULL::text, NULL::text, NULL::jsonb, NULL::integer, NULL::integer,
           NULL::text, NULL::integer, NULL::interval, NULL::timestamptz, NULL::timestamptz, NULL::jsonb, NULL::jsonb,
           NULL::boolean, NULL::jsonb
    FROM tributary.complete_steps(p_step_ids, p_attempts, p_results) AS c;
  END IF;
  FOR v_i IN 1 .. coalesce(pg_catalog.cardinality(p_queues), 0) LOOP
    RETURN QUERY
    SELECT NULL::text, c.step_id, c.workflow_id, c.task_name, c.kind, c.args, c.attempt, c.max_attempts, c.queue,
           c.priority, c.timeout, c.deadline_at, c.lease_expires_at, c.dependency_results, c.dependency_attempts,
           c.has_dependents, c.map_element
    FROM tributary.claim_steps(p_queues[v_i], p_worker_id, p_max_steps[v_i]) AS c;
    GET DIAGNOSTICS v_taken = ROW_COUNT;
    IF v_taken < p_max_steps[v_i]
       AND pg_catalog.current_setting('tributary.claim_unrestricted', true) = p_queues[v_i] THEN
      v_drained := v_drained || p_queues[v_i];
    END IF;
  END LOOP;
  v_deferred := NULLIF(pg_catalog.current_setting('tributary.deferred_available', true), '')::text[];
  FOREACH v_queue IN ARRAY v_drained LOOP  -- expressions, not a statement per call
    v_deferred := pg_catalog.array_remove(v_deferred, v_queue);
  END LOOP;
  IF pg_catalog.cardinality(v_deferred) > 0 THEN
    PERFORM tributary._notify_available(v_deferred);
  END IF;
END;
$$;
COMMENT ON FUNCTION tributary.complete_steps_and_claim(p_step_ids bigint[], p_attempts integer[], p_results jsonb[], p_worker_id text, p_queues text[], p_max_steps integer[]) IS 'complete_steps, then claim_steps on each of p_queues (up to p_max_steps[i] each) for p_worker_id, in one call and one transaction: the outcome rows first (outcome set), then the claimed steps (outcome NULL). TB012 for mismatched or invalid claims, before anything is completed.';
CREATE FUNCTION tributary.complete_steps_and_start(p_step_ids bigint[], p_attempts integer[], p_results jsonb[], p_workflows_to_start jsonb[], p_worker_id text, p_queues text[], p_max_steps integer[]) RETURNS TABLE(outcome text, step_id bigint, workflow_id bigint, task_name text, kind text, args jsonb, attempt integer, max_attempts integer, queue text, priority integer, timeout interval, deadline_at timestamp with time zone, lease_expires_at timestamp with time zone, dependency_results jsonb, dependency_attempts jsonb, has_dependents boolean, map_element jsonb)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
#variable_conflict use_column
DECLARE
  v_count integer := coalesce(pg_catalog.cardinality(p_step_ids), 0);
  -- NULL: nothing to start
  v_workflows_to_start jsonb[] := coalesce(p_workflows_to_start, pg_catalog.array_fill(NULL::jsonb, ARRAY[v_count]));
  v_outcomes text[];
  v_workflows jsonb;
  v_bad integer;
  v_starting bigint;  -- steps with at least one workflow to start
  v_may_create boolean;  -- the caller may call create_workflows
  v_step_by_step boolean;  -- each step in a subtransaction of its own
  v_i integer;
  v_creating boolean;
  v_message text;
  v_detail text;
  v_sqlstate text;
  v_cause text;
  v_claimable text[];  -- the queues this call made steps claimable on
  v_queues text[];
  v_max_steps integer[];
BEGIN
  -- The per-step path below indexes the arrays from 1: refuse any other shape up front.
  IF pg_catalog.array_ndims(p_step_ids) > 1 OR pg_catalog.array_ndims(p_attempts) > 1
     OR pg_catalog.array_ndims(p_results) > 1 OR pg_catalog.array_ndims(p_workflows_to_start) > 1
     OR pg_catalog.array_lower(p_step_ids, 1) <> 1 OR pg_catalog.array_lower(p_attempts, 1) <> 1
     OR pg_catalog.array_lower(p_results, 1) <> 1 OR pg_catalog.array_lower(p_workflows_to_start, 1) <> 1 THEN
    RAISE EXCEPTION 'step ids, attempts, results and workflows to start must be one-dimensional arrays starting at 1'
      USING ERRCODE = 'TB012';
  END IF;
  IF v_count <> coalesce(pg_catalog.cardinality(p_attempts), 0)
     OR v_count <> pg_catalog.cardinality(v_workflows_to_start)
     OR (p_results IS NOT NULL AND v_count <> pg_catalog.cardinality(p_results)) THEN
    RAISE EXCEPTION 'step ids, attempts, results and workflows to start must have the same length'
      USING ERRCODE = 'TB012';
  END IF;
  IF pg_catalog.array_position(p_step_ids, NULL) IS NOT NULL OR pg_catalog.array_position(p_attempts, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'step ids and attempts must not contain NULL'
      USING ERRCODE = 'TB012';
  END IF;
  IF v_count > 1 AND (SELECT pg_catalog.count(DISTINCT (i.id, i.attempt)) FROM unnest(p_step_ids, p_attempts) AS i(id, attempt)) < v_count THEN
    RAISE EXCEPTION 'a step''s attempt must not be listed twice'  -- both would report completed, and start twice
      USING ERRCODE = 'TB012';
  END IF;
  SELECT pg_catalog.min(w.i) FILTER (WHERE pg_catalog.jsonb_typeof(w.workflows) <> 'array'),
         pg_catalog.count(*) FILTER (WHERE CASE WHEN pg_catalog.jsonb_typeof(w.workflows) = 'array'
                                     THEN pg_catalog.jsonb_array_length(w.workflows) > 0 END)
  INTO v_bad, v_starting
  FROM pg_catalog.unnest(v_workflows_to_start) WITH ORDINALITY AS w(workflows, i)
  WHERE w.workflows IS NOT NULL;
  IF v_bad IS NOT NULL THEN
    RAISE EXCEPTION 'workflows to start must be a JSON array of workflows or NULL, got % at position %',
      pg_catalog.jsonb_typeof(v_workflows_to_start[v_bad]), v_bad
      USING ERRCODE = 'TB012';
  END IF;
  v_may_create := v_starting = 0 OR pg_catalog.has_function_privilege('tributary.create_workflows(jsonb)', 'EXECUTE');
  -- Collect the queues this transaction makes claimable; complete_steps_and_claim, called below
  -- for the claims, keeps them and notifies what its claims left.
  -- The whole batch at once; step by step when a step cannot be completed or one of its
  -- workflows cannot be created (an invalid workflow, or no right to create: then at once), so
  -- that step alone fails and its neighbours complete and start theirs.
  v_step_by_step := v_starting > 0 AND NOT v_may_create;
  IF NOT v_step_by_step THEN
    BEGIN
      SELECT pg_catalog.array_agg(c.outcome ORDER BY c.ord) INTO v_outcomes
      FROM tributary.complete_steps(p_step_ids, p_attempts, p_results) WITH ORDINALITY AS c(step_id, outcome, ord);
      SELECT pg_catalog.jsonb_agg(w.workflow ORDER BY s.ord, w.ord) INTO v_workflows
      FROM unnest(v_outcomes, v_workflows_to_start) WITH ORDINALITY AS s(outcome, workflows, ord)
      CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(s.workflows) WITH ORDINALITY AS w(workflow, ord)
      WHERE s.outcome = 'completed';
      IF v_workflows IS NOT NULL THEN
        PERFORM tributary.create_workflows(v_workflows);
      END IF;
    EXCEPTION WHEN OTHERS THEN
      -- A passing condition (a deadlock, a lock or statement timeout, no resources, a shutdown) is
      -- no fault of a step: the call fails, nothing is completed, and the caller tries again.
      GET STACKED DIAGNOSTICS v_sqlstate = RETURNED_SQLSTATE;
      IF pg_catalog.left(v_sqlstate, 2) IN ('40', '53', '55', '57', '58') THEN
        RAISE;
      END IF;
      v_step_by_step := true;
    END;
  END IF;
  IF v_step_by_step THEN
    v_outcomes := '{}';
    FOR v_i IN 1 .. v_count LOOP
      v_creating := false;
      BEGIN
        v_outcomes[v_i] := (SELECT c.outcome FROM tributary.complete_steps(
                              ARRAY[p_step_ids[v_i]], ARRAY[p_attempts[v_i]], ARRAY[p_results[v_i]]) AS c);
        IF v_outcomes[v_i] = 'completed' AND pg_catalog.jsonb_array_length(v_workflows_to_start[v_i]) > 0 THEN
          v_creating := true;
          IF NOT v_may_create THEN
            RAISE EXCEPTION 'starting workflows needs the right to create them (the submitter role)' USING ERRCODE = '42501';
          END IF;
          PERFORM tributary.create_workflows(v_workflows_to_start[v_i]);
        END IF;
      EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_message = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL, v_sqlstate = RETURNED_SQLSTATE;
        IF pg_catalog.left(v_sqlstate, 2) IN ('40', '53', '55', '57', '58') THEN
          RAISE;
        END IF;
        v_outcomes[v_i] := 'error';
        v_cause := v_message || ' (SQLSTATE ' || v_sqlstate || ')';
        IF v_creating THEN
          BEGIN
            PERFORM tributary.fail_step(p_step_ids[v_i], p_attempts[v_i], pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
              'message', 'a workflow this step starts cannot be created: ' || v_message,
              'detail', NULLIF(v_detail, ''),
              'sqlstate', v_sqlstate,
              'reason', 'start_workflows')));
            v_outcomes[v_i] := 'failed';
          EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS v_message = MESSAGE_TEXT, v_sqlstate = RETURNED_SQLSTATE;
            v_cause := v_cause || '; failing its attempt failed too: ' || v_message || ' (SQLSTATE ' || v_sqlstate || ')';
          END;
        END IF;
        IF v_outcomes[v_i] = 'error' THEN
          RAISE WARNING 'step % cannot be completed: %', p_step_ids[v_i], v_cause
            USING HINT = 'The row breaks an engine invariant; inspect it and cancel or fix its workflow.';
        END IF;
      END;
    END LOOP;
  END IF;
  RETURN QUERY
  SELECT s.outcome, s.id, NULL::bigint, NULL::text, NULL::text, NULL::jsonb, NULL::integer, NULL::integer,
         NULL::text, NULL::integer, NULL::interval, NULL::timestamptz, NULL::timestamptz, NULL::jsonb, NULL::jsonb,
         NULL::boolean, NULL::jsonb
  FROM unnest(p_step_ids, v_outcomes) AS s(id, outcome);
  -- Claims only where this call made steps claimable: on the queues of p_queues that its
  -- completions and creations collected. The engine, not the caller, knows the queue of a started
  -- step (settings.default_queue), whether it waits and whether it is due now. Entries the claims
  -- refuse (TB012) are kept, so that they are refused.
  v_claimable := coalesce(NULLIF(pg_catalog.current_setting('tributary.deferred_available', true), '')::text[], '{}');
  IF pg_catalog.array_ndims(p_queues) > 1 OR pg_catalog.array_ndims(p_max_steps) > 1
     OR pg_catalog.cardinality(p_queues) IS DISTINCT FROM pg_catalog.cardinality(p_max_steps) THEN
    v_queues := p_queues;
    v_max_steps := p_max_steps;
  ELSE
    SELECT coalesce(pg_catalog.array_agg(c.queue ORDER BY c.ord), '{}'),
           coalesce(pg_catalog.array_agg(c.max_steps ORDER BY c.ord), '{}')
    INTO v_queues, v_max_steps
    FROM unnest(p_queues, p_max_steps) WITH ORDINALITY AS c(queue, max_steps, ord)
    WHERE c.queue = ANY (v_claimable) OR c.queue IS NULL OR c.max_steps IS NULL OR c.max_steps < 1;
  END IF;
  RETURN QUERY
  SELECT * FROM tributary.complete_steps_and_claim('{}', '{}', '{}', p_worker_id, v_queues, v_max_steps);
END;
$$;
COMMENT ON FUNCTION tributary.complete_steps_and_start(p_step_ids bigint[], p_attempts integer[], p_results jsonb[], p_workflows_to_start jsonb[], p_worker_id text, p_queues text[], p_max_steps integer[]) IS 'complete_steps_and_claim for steps that start workflows: p_workflows_to_start[i] (a JSON array of workflows as create_workflows takes them, or NULL) is created if and only if step i completes in this call, in its transaction; a step whose workflows cannot be created fails its attempt (outcome failed). Claims on the queues of p_queues where the call made steps claimable. Runs as its caller: starting workflows needs the submitter role (42501). TB012 for mismatched lengths or a non-array element.';
CREATE FUNCTION tributary.create_schedule(p_name text, p_workflow_name text, p_tasks jsonb, p_cron text DEFAULT NULL::text, p_every interval DEFAULT NULL::interval, p_time_zone text DEFAULT 'UTC'::text, p_metadata jsonb DEFAULT '{}'::jsonb, p_overlap text DEFAULT 'skip'::text, p_catch_up text DEFAULT 'last'::text, p_catch_up_limit integer DEFAULT 10, p_catch_up_grace interval DEFAULT '00:05:00'::interval, p_starts_at timestamp with time zone DEFAULT NULL::timestamp with time zone, p_replace boolean DEFAULT false) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_new tributary.schedules;
  v_old tributary.schedules;
  v_problem text;
  v_state text;
  v_message text;
  v_detail text;
  v_hint text;
BEGIN
  v_problem := CASE
    WHEN p_name IS NULL OR p_name = '' THEN 'a schedule needs a non-empty name'
    WHEN (p_cron IS NULL) = (p_every IS NULL) THEN 'give exactly one of a cron expression (p_cron) and an interval (p_every)'
    WHEN p_every <= interval '0' THEN pg_catalog.format('the interval must be positive, got %s', p_every)
    WHEN EXTRACT(month FROM p_every) <> 0 OR EXTRACT(year FROM p_every) <> 0
      THEN pg_catalog.format('the interval %s counts months, which have no fixed length; use a cron expression', p_every)
    WHEN p_workflow_name IS NULL OR p_workflow_name = '' THEN 'the workflow template needs a non-empty workflow name'
    WHEN p_metadata IS NOT NULL AND pg_catalog.jsonb_typeof(p_metadata) <> 'object' THEN 'the metadata must be a JSON object'
    WHEN p_overlap IS NULL OR p_overlap NOT IN ('skip', 'allow', 'cancel_previous')
      THEN pg_catalog.format('unknown overlap policy %s (known: skip, allow, cancel_previous)', coalesce(p_overlap, 'NULL'))
    WHEN p_catch_up IS NULL OR p_catch_up NOT IN ('none', 'last', 'all')
      THEN pg_catalog.format('unknown catch-up policy %s (known: none, last, all)', coalesce(p_catch_up, 'NULL'))
    WHEN p_catch_up_limit IS NULL OR p_catch_up_limit < 1
      THEN pg_catalog.format('the catch-up limit must be at least 1, got %s', coalesce(p_catch_up_limit::text, 'NULL'))
    WHEN p_catch_up_grace IS NULL OR p_catch_up_grace < interval '0'
      THEN pg_catalog.format('the catch-up grace must not be negative, got %s', coalesce(p_catch_up_grace::text, 'NULL'))
  END;
  IF v_problem IS NOT NULL THEN
    RAISE EXCEPTION 'schedule "%": %', p_name, v_problem
      USING ERRCODE = 'TB203',
            HINT = 'create_schedule(name, workflow_name, tasks, p_cron => ''0 6 * * *'' or p_every => ''15 minutes'', ...).';
  END IF;
  PERFORM tributary._check_time_zone(p_time_zone);
  IF p_cron IS NOT NULL THEN
    PERFORM tributary._cron_parse(p_cron);
  END IF;
  -- The template passes exactly the checks of a real creation: create one, then roll it back.
  BEGIN
    PERFORM tributary.create_workflow(p_workflow_name, p_tasks, NULL, coalesce(p_metadata, '{}'), NULL);
    RAISE EXCEPTION USING ERRCODE = 'TB299';
  EXCEPTION
    WHEN SQLSTATE 'TB299' THEN
      NULL;
    WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
                              v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
      v_message := pg_catalog.format('schedule "%s": invalid workflow template: %s', p_name, v_message);
      IF v_detail IS NULL THEN
        RAISE EXCEPTION '%', v_message USING ERRCODE = v_state, HINT = coalesce(v_hint, '');
      END IF;
      RAISE EXCEPTION '%', v_message USING ERRCODE = v_state, DETAIL = v_detail, HINT = coalesce(v_hint, '');
  END;
  v_new.name := p_name;
  v_new.cron := p_cron;
  v_new.time_zone := p_time_zone;
  v_new.every := p_every;
  LOOP
    IF p_replace THEN
      SELECT * INTO v_old FROM tributary.schedules AS s WHERE s.name = p_name FOR UPDATE;
    END IF;
    IF v_old.id IS NOT NULL
       AND v_old.cron IS NOT DISTINCT FROM p_cron AND v_old.every IS NOT DISTINCT FROM p_every
       AND v_old.time_zone = p_time_zone AND (p_starts_at IS NULL OR p_starts_at = v_old.starts_at) THEN
      v_new.starts_at := v_old.starts_at;
      v_new.next_fire_at := v_old.next_fire_at;
    ELSE
      v_new.starts_at := coalesce(p_starts_at, v_now + pg_catalog.make_interval(secs => EXTRACT(epoch FROM p_every)::double precision), v_now);
      v_new.next_fire_at := tributary._schedule_fire_time_after(v_new, v_now - interval '1 microsecond');
      IF v_new.next_fire_at IS NULL THEN
        RAISE EXCEPTION 'schedule "%": the cron expression "%" never fires', p_name, p_cron
          USING ERRCODE = 'TB201', DETAIL = 'No minute matches it in the 8 years from now.',
                HINT = 'Check the day of month against the month (there is no 30 February).';
      END IF;
    END IF;
    IF v_old.id IS NOT NULL THEN
      UPDATE tributary.schedules AS s
      SET cron = p_cron, time_zone = p_time_zone, every = p_every, starts_at = v_new.starts_at,
          workflow_name = p_workflow_name, tasks = p_tasks, metadata = coalesce(p_metadata, '{}'),
          overlap = p_overlap, catch_up = p_catch_up, catch_up_limit = p_catch_up_limit,
          catch_up_grace = p_catch_up_grace,
          next_fire_at = CASE WHEN s.paused THEN s.next_fire_at ELSE v_new.next_fire_at END,
          updated_at = v_now
      WHERE s.id = v_old.id;
      RETURN v_old.id;
    END IF;
    INSERT INTO tributary.schedules AS s (
      name, cron, time_zone, every, starts_at, workflow_name, tasks, metadata, overlap, catch_up,
      catch_up_limit, catch_up_grace, next_fire_at, created_at, updated_at
    ) VALUES (
      p_name, p_cron, p_time_zone, p_every, v_new.starts_at, p_workflow_name, p_tasks, coalesce(p_metadata, '{}'),
      p_overlap, p_catch_up, p_catch_up_limit, p_catch_up_grace, v_new.next_fire_at, v_now, v_now
    )
    ON CONFLICT ON CONSTRAINT schedules_name_unique DO NOTHING
    RETURNING s.id INTO v_new.id;
    IF v_new.id IS NOT NULL THEN
      RETURN v_new.id;
    END IF;
    IF NOT p_replace THEN
      RAISE EXCEPTION 'schedule "%" already exists', p_name
        USING ERRCODE = 'TB205', HINT = 'Pass p_replace => true to update it, or delete_schedule() it first.';
    END IF;
    -- Another transaction created it since we looked: lock it and update it.
  END LOOP;
END;
$$;
COMMENT ON FUNCTION tributary.create_schedule(p_name text, p_workflow_name text, p_tasks jsonb, p_cron text, p_every interval, p_time_zone text, p_metadata jsonb, p_overlap text, p_catch_up text, p_catch_up_limit integer, p_catch_up_grace interval, p_starts_at timestamp with time zone, p_replace boolean) IS 'Creates a recurring workflow (cron in a time zone, or an interval) from a template validated like create_workflow; with p_replace, updates the schedule of that name. Errors: TB201 cron, TB202 time zone, TB203 invalid schedule, TB001-TB005 template, TB205 exists.';
CREATE FUNCTION tributary.create_workflow(p_name text, p_tasks jsonb, p_scheduled_at timestamp with time zone DEFAULT NULL::timestamp with time zone, p_metadata jsonb DEFAULT '{}'::jsonb, p_idempotency_key text DEFAULT NULL::text) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
BEGIN
  RETURN (tributary._create_workflows(
    pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
      'name', p_name, 'tasks', p_tasks, 'scheduled_at', p_scheduled_at,
      'metadata', p_metadata, 'idempotency_key', p_idempotency_key)),
    false))[1];
END;
$$;
COMMENT ON FUNCTION tributary.create_workflow(p_name text, p_tasks jsonb, p_scheduled_at timestamp with time zone, p_metadata jsonb, p_idempotency_key text) IS 'Creates a workflow and its steps atomically from a JSON array of tasks {name, kind, args, depends_on, queue, priority, max_attempts, timeout, retry_backoff, scheduled_at}; returns its id. Errors: TB005 invalid task, TB003 duplicate name, TB002 unknown dependency, TB001 cycle, TB004 empty. Same idempotency key -> same id.';
CREATE FUNCTION tributary.create_workflows(p_workflows jsonb) RETURNS bigint[]
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
BEGIN
  RETURN tributary._create_workflows(p_workflows, true);
END;
$$;
COMMENT ON FUNCTION tributary.create_workflows(p_workflows jsonb) IS 'Creates a batch of workflows atomically from a JSON array of {name, tasks, scheduled_at, metadata, idempotency_key}; returns their ids in input order. Errors as create_workflow, with the workflow''s position and name in DETAIL.';
CREATE FUNCTION tributary.cron_next(p_cron text, p_time_zone text DEFAULT 'UTC'::text, p_after timestamp with time zone DEFAULT NULL::timestamp with time zone) RETURNS timestamp with time zone
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
DECLARE
  v_next timestamptz;
BEGIN
  PERFORM tributary._cron_parse(p_cron);
  PERFORM tributary._check_time_zone(p_time_zone);
  SELECT o INTO v_next
  FROM tributary._cron_occurrences(p_cron, p_time_zone, coalesce(p_after, tributary.now()), 'infinity', 1) AS o;
  RETURN v_next;
END;
$$;
COMMENT ON FUNCTION tributary.cron_next(p_cron text, p_time_zone text, p_after timestamp with time zone) IS 'The first instant after p_after (default now()) at which a 5-field cron expression fires in p_time_zone; NULL if never within 8 years. TB201 bad expression, TB202 unknown time zone.';
CREATE FUNCTION tributary.delete_schedule(p_name text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
BEGIN
  DELETE FROM tributary.schedules AS s WHERE s.name = p_name;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'schedule "%" does not exist', p_name
      USING ERRCODE = 'TB204', HINT = 'SELECT name FROM tributary.schedule_status lists the schedules.';
  END IF;
END;
$$;
COMMENT ON FUNCTION tributary.delete_schedule(p_name text) IS 'Deletes a schedule; the workflows it created stay. TB204 unknown schedule.';
CREATE FUNCTION tributary.fail_step(p_step_id bigint, p_attempt integer, p_error jsonb, p_retryable boolean DEFAULT true) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET jit TO 'off'
    AS $$
BEGIN
  RETURN tributary._fail_attempt(tributary._check_attempt(p_step_id, p_attempt), p_error, p_retryable);
END;
$$;
COMMENT ON FUNCTION tributary.fail_step(p_step_id bigint, p_attempt integer, p_error jsonb, p_retryable boolean) IS 'Reports a failed attempt: retry after backoff when retryable with attempts left, else discard and cancel downstream steps. Returns available | discarded. Raises TB007 stale, TB008 cancelled, TB006 unknown step.';
CREATE FUNCTION tributary.fire_due_schedules(p_limit integer DEFAULT 100) RETURNS TABLE(schedule_name text, fire_at timestamp with time zone, workflow_id bigint, outcome text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
#variable_conflict use_column
DECLARE
  v_now timestamptz := tributary.now();
  v_schedule tributary.schedules;
  v_fire_times timestamptz[];
  v_fire_at timestamptz;
  v_fire_text text;
  v_key text;
  v_previous bigint;
  v_created bigint;
  v_last_fire timestamptz;
  v_error text;
BEGIN
  IF p_limit IS NULL OR p_limit < 1 THEN
    RAISE EXCEPTION 'limit must be at least 1, got %', coalesce(p_limit::text, 'NULL')
      USING ERRCODE = 'TB012', HINT = 'fire_due_schedules(p_limit) handles at most p_limit schedules per call.';
  END IF;
  FOR v_schedule IN
    SELECT * FROM tributary.schedules AS s
    WHERE NOT s.paused AND s.next_fire_at <= v_now
    ORDER BY s.next_fire_at
    LIMIT p_limit
    FOR UPDATE SKIP LOCKED
  LOOP
    v_fire_times := tributary._schedule_due_fire_times(
      v_schedule, v_now, CASE v_schedule.catch_up WHEN 'all' THEN v_schedule.catch_up_limit ELSE 1 END);
    IF v_schedule.catch_up = 'none' AND v_fire_times[1] < v_now - v_schedule.catch_up_grace THEN
      v_fire_times := '{}';  -- missed while nothing fired: dropped
    END IF;
    v_previous := v_schedule.last_workflow_id;
    v_last_fire := v_schedule.last_fire_at;
    v_error := NULL;
    FOREACH v_fire_at IN ARRAY v_fire_times LOOP
      schedule_name := v_schedule.name;
      fire_at := v_fire_at;
      workflow_id := NULL;
      v_last_fire := v_fire_at;
      v_fire_text := pg_catalog.to_char(v_fire_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
      v_key := pg_catalog.format('tributary.schedule:%s:%s', v_schedule.id, v_fire_text);
      SELECT w.id INTO v_created FROM tributary.workflows AS w WHERE w.idempotency_key = v_key;
      IF FOUND THEN
        workflow_id := v_created;
        outcome := 'already_fired';
        v_previous := v_created;
        RETURN NEXT;
        CONTINUE;
      END IF;
      outcome := 'fired';
      IF v_schedule.overlap <> 'allow' AND v_previous IS NOT NULL
         AND EXISTS (SELECT 1 FROM tributary.workflows AS w WHERE w.id = v_previous AND w.state = 'running') THEN
        IF v_schedule.overlap = 'skip' THEN
          outcome := 'skipped';
          RETURN NEXT;
          CONTINUE;
        END IF;
        outcome := 'fired_after_cancel';
      END IF;
      BEGIN
        IF outcome = 'fired_after_cancel' THEN
          PERFORM tributary.cancel_workflow(
            v_previous, pg_catalog.format('schedule "%s" fired again at %s', v_schedule.name, v_fire_text));
        END IF;
        v_created := tributary.create_workflow(
          v_schedule.workflow_name, v_schedule.tasks, NULL,
          v_schedule.metadata || pg_catalog.jsonb_build_object('schedule', v_schedule.name, 'fire_at', v_fire_text),
          v_key);
      EXCEPTION WHEN OTHERS THEN
        v_error := pg_catalog.format('fire time %s: %s (SQLSTATE %s)', v_fire_text, SQLERRM, SQLSTATE);
        outcome := 'failed';
        RETURN NEXT;
        CONTINUE;
      END;
      v_previous := v_created;
      v_error := NULL;
      workflow_id := v_created;
      RETURN NEXT;
    END LOOP;
    UPDATE tributary.schedules AS s
    SET next_fire_at = coalesce(tributary._schedule_fire_time_after(v_schedule, v_now), 'infinity'),
        last_fire_at = v_last_fire,
        last_workflow_id = v_previous,
        last_error = v_error,
        updated_at = v_now
    WHERE s.id = v_schedule.id;
  END LOOP;
END;
$$;
COMMENT ON FUNCTION tributary.fire_due_schedules(p_limit integer) IS 'Fires every due fire time of every unpaused schedule exactly once (rows locked FOR UPDATE SKIP LOCKED, next_fire_at advanced in the same transaction); one row per fire time: fired, fired_after_cancel, skipped, already_fired or failed. Call it every minute (workers do; or pg_cron).';
CREATE FUNCTION tributary.forget_worker_process(p_worker_id text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
BEGIN
  DELETE FROM tributary.worker_processes WHERE worker_id = p_worker_id;
  RETURN FOUND;
END;
$$;
COMMENT ON FUNCTION tributary.forget_worker_process(p_worker_id text) IS 'A worker process that stops gracefully removes itself from worker_processes; true when it was there.';
CREATE FUNCTION tributary.get_workflow(p_workflow_id bigint) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_custom_plan'
    SET jit TO 'off'
    AS $$
DECLARE
  v_doc jsonb;
BEGIN
  SELECT pg_catalog.jsonb_build_object(
           'id', w.id, 'name', w.name, 'state', w.state, 'metadata', w.metadata,
           'created_at', w.created_at, 'scheduled_at', w.scheduled_at,
           'cancelled_at', w.cancelled_at, 'finalized_at', w.finalized_at,
           'parent_step_id', w.parent_step_id, 'parent_workflow_id', w.parent_workflow_id,
           'children', coalesce((
             SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                      'id', c.id, 'name', c.name, 'state', c.state, 'parent_step_id', c.parent_step_id) ORDER BY c.id)
             FROM tributary.workflows AS c WHERE c.parent_workflow_id = w.id), '[]'),
           'steps', coalesce((
             SELECT pg_catalog.jsonb_object_agg(s.task_name, pg_catalog.jsonb_build_object(
                      'id', s.id, 'kind', s.kind, 'state', s.state, 'attempt', s.attempt,
                      'max_attempts', s.max_attempts, 'queue', s.queue, 'result', s.result,
                      'errors', s.errors, 'cancel_reason', s.cancel_reason,
                      'finalized_at', s.finalized_at,
                      'depends_on', pg_catalog.to_jsonb(s.depends_on), 'args', s.args,
                      'scheduled_at', s.scheduled_at, 'attempted_at', s.attempted_at,
                      'worker_id', s.worker_id, 'wait', s.wait, 'wake_at', s.wake_at,
                      'run_when', s.run_when, 'run_if', s.run_if,
                      'map', CASE WHEN s.map_over IS NOT NULL THEN pg_catalog.jsonb_build_object(
                                    'over', s.map_over, 'path', s.map_path, 'size', s.map_size) END,
                      'map_step_id', s.map_step_id, 'map_index', s.map_index))
             FROM tributary.steps AS s WHERE s.workflow_id = w.id), '{}'))
  INTO v_doc
  FROM tributary.workflows AS w
  WHERE w.id = p_workflow_id;
  IF v_doc IS NULL THEN
    RAISE EXCEPTION 'workflow % does not exist', p_workflow_id USING ERRCODE = 'TB009';
  END IF;
  RETURN v_doc;
END;
$$;
COMMENT ON FUNCTION tributary.get_workflow(p_workflow_id bigint) IS 'One workflow as jsonb: state, timestamps, and per task name its state, attempt, result, errors, cancel reason, depends_on (task names), args (as stored), scheduled_at, attempted_at, worker_id, wait, wake_at, run_when, run_if, map (over, path, size) of a map step, map_step_id and map_index of a map''s element; parent_step_id, parent_workflow_id and children link child workflows. TB009 unknown workflow.';
CREATE FUNCTION tributary.hand_back_step(p_step_id bigint, p_attempt integer, p_reason text, p_error jsonb DEFAULT NULL::jsonb) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET jit TO 'off'
    AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_settings tributary.settings := tributary._settings();
  v_step tributary.steps;
  v_last jsonb;
  v_streak boolean;
  v_since timestamptz;
  v_count integer;
  v_message text;
  v_entry jsonb;
BEGIN
  IF p_reason IS NULL OR p_reason NOT IN ('unknown_kind', 'missing_key') THEN
    RAISE EXCEPTION 'hand-back reason must be unknown_kind or missing_key, got %', pg_catalog.quote_nullable(p_reason)
      USING ERRCODE = 'TB012';
  END IF;
  v_step := tributary._check_attempt(p_step_id, p_attempt);
  v_last := v_step.errors -> -1;
  v_streak := v_last ->> 'reason' = p_reason AND v_last ->> 'handed_back' = 'true';
  v_since := CASE WHEN v_streak THEN (v_last ->> 'since')::timestamptz ELSE v_now END;
  v_count := CASE WHEN v_streak THEN (v_last ->> 'hand_backs')::integer + 1 ELSE 1 END;
  v_message := CASE pg_catalog.jsonb_typeof(p_error)
                 WHEN 'object' THEN p_error ->> 'message'
                 ELSE p_error #>> '{}'
               END;
  v_entry := CASE WHEN pg_catalog.jsonb_typeof(p_error) = 'object' THEN p_error ELSE '{}'::jsonb END
             || pg_catalog.jsonb_build_object(
                  'message', coalesce(v_message, p_reason), 'reason', p_reason, 'handed_back', true,
                  'since', v_since, 'hand_backs', v_count,
                  'attempt', v_step.attempt, 'at', v_now, 'worker_id', v_step.worker_id, 'retryable', true);
  IF v_streak THEN  -- the streak keeps one entry: the last one is replaced
    UPDATE tributary.steps SET errors = errors - (-1) WHERE id = v_step.id;
  END IF;
  IF v_now - v_since >= v_settings.hand_back_grace THEN
    RETURN tributary._fail_attempt(
      v_step,
      v_entry || pg_catalog.jsonb_build_object(
        'handed_back', false,
        'message', CASE p_reason
          WHEN 'unknown_kind' THEN pg_catalog.format(
            'no worker process could run kind "%s" (task "%s") for %s: none has a worker registered for it',
            v_step.kind, v_step.task_name, v_now - v_since)
          ELSE pg_catalog.format(
            'no worker process could open the payloads of task "%s" for %s: none has the key they are sealed with',
            v_step.task_name, v_now - v_since)
        END,
        'last_error', v_message),
      false);
  END IF;
  UPDATE tributary.steps
  SET state = 'available',
      scheduled_at = v_now + v_settings.hand_back_delay,
      max_attempts = max_attempts + 1,
      errors = errors || v_entry,
      lease_expires_at = NULL,
      deadline_at = NULL
  WHERE id = v_step.id;
  IF v_settings.hand_back_delay <= interval '0' THEN
    PERFORM tributary._notify_available(ARRAY[v_step.queue]);
  END IF;
  RETURN 'available';
END;
$$;
COMMENT ON FUNCTION tributary.hand_back_step(p_step_id bigint, p_attempt integer, p_reason text, p_error jsonb) IS 'A worker process gives back a step it cannot run (p_reason unknown_kind or missing_key): claimable again after settings.hand_back_delay, the attempt not counted; discarded once settings.hand_back_grace has passed since the first hand-back of the streak. Returns available | discarded. TB006, TB007, TB008 as fail_step; TB012 bad reason.';
CREATE FUNCTION tributary.heartbeat(p_step_id bigint, p_attempt integer) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET jit TO 'off'
    AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM tributary.heartbeat_steps(ARRAY[p_step_id], ARRAY[p_attempt])) THEN
    RETURN true;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM tributary.steps AS s WHERE s.id = p_step_id) THEN
    RAISE EXCEPTION 'step % does not exist', p_step_id USING ERRCODE = 'TB006';
  END IF;
  RETURN false;
END;
$$;
COMMENT ON FUNCTION tributary.heartbeat(p_step_id bigint, p_attempt integer) IS 'Extends a running step''s lease; false when the attempt lost the step (cancelled, rescued, finished) or passed its timeout. TB006 unknown step.';
CREATE FUNCTION tributary.heartbeat_steps(p_step_ids bigint[], p_attempts integer[]) RETURNS SETOF bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET jit TO 'off'
    AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_lease interval := (tributary._settings()).lease_duration;
  v_positions jsonb;  -- 'step id:attempt' -> its position in the input (a duplicate id never hides the current attempt)
BEGIN
  IF pg_catalog.cardinality(p_step_ids) IS DISTINCT FROM pg_catalog.cardinality(p_attempts) THEN
    RAISE EXCEPTION 'step ids and attempts must have the same length' USING ERRCODE = 'TB012';
  END IF;
  SELECT pg_catalog.jsonb_object_agg(i.id::text || ':' || i.attempt::text, i.ord) INTO v_positions
  FROM unnest(p_step_ids, p_attempts) WITH ORDINALITY AS i(id, attempt, ord);
  PERFORM 1 FROM tributary.steps AS s WHERE s.id = ANY (p_step_ids) ORDER BY s.id FOR NO KEY UPDATE;
  RETURN QUERY
  UPDATE tributary.steps AS s
  SET lease_expires_at = LEAST(v_now + v_lease, s.deadline_at)
  WHERE s.id = ANY (p_step_ids) AND s.state = 'running'
    AND v_positions ? (s.id::text || ':' || s.attempt::text)
    AND (s.deadline_at IS NULL OR s.deadline_at > v_now)
  RETURNING s.id;
END;
$$;
COMMENT ON FUNCTION tributary.heartbeat_steps(p_step_ids bigint[], p_attempts integer[]) IS 'Batch heartbeat: extends the leases still held (within their deadline) and returns those step ids; a missing id was lost.';
CREATE FUNCTION tributary.list_workflows(p_state text DEFAULT NULL::text, p_name text DEFAULT NULL::text, p_since timestamp with time zone DEFAULT NULL::timestamp with time zone, p_search text DEFAULT NULL::text, p_before_id bigint DEFAULT NULL::bigint, p_limit integer DEFAULT 50) RETURNS TABLE(id bigint, name text, state text, metadata jsonb, steps_total integer, steps_unfinished integer, created_at timestamp with time zone, scheduled_at timestamp with time zone, cancelled_at timestamp with time zone, finalized_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_custom_plan'
    SET jit TO 'off'
    AS $_$
DECLARE
  v_search text := nullif(pg_catalog.btrim(p_search), '');
  v_id bigint;
  v_prefix text;
  v_before_at timestamptz;
BEGIN
  IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 1000 THEN
    RAISE EXCEPTION 'limit must be between 1 and 1000, got %', p_limit USING ERRCODE = 'TB012';
  END IF;
  IF p_state IS NOT NULL AND p_state NOT IN ('running', 'completed', 'failed', 'cancelled') THEN
    RAISE EXCEPTION 'unknown workflow state "%"', p_state USING ERRCODE = 'TB012',
      HINT = 'A workflow is running, completed, failed or cancelled.';
  END IF;
  IF p_before_id IS NOT NULL THEN
    SELECT w.created_at INTO v_before_at FROM tributary.workflows AS w WHERE w.id = p_before_id;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'workflow % does not exist', p_before_id USING ERRCODE = 'TB009',
        HINT = 'p_before_id is the last id of the previous page; start again from the first page.';
    END IF;
  END IF;
  IF v_search ~ '^[0-9]{1,18}$' THEN
    v_id := v_search::bigint;
  ELSIF v_search IS NOT NULL THEN
    v_prefix := pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(v_search, '\', '\\'), '%', '\%'), '_', '\_')
                || '%';
  END IF;
  RETURN QUERY
    SELECT w.id, w.name, w.state, w.metadata, w.steps_total, w.steps_unfinished,
           w.created_at, w.scheduled_at, w.cancelled_at, w.finalized_at
    FROM tributary.workflows AS w
    WHERE (v_id IS NULL OR w.id = v_id)
      AND (p_state IS NULL OR w.state = p_state)
      AND (p_name IS NULL OR w.name = p_name)
      AND (v_prefix IS NULL OR w.name LIKE v_prefix)
      AND (p_since IS NULL OR w.created_at >= p_since)
      AND (v_before_at IS NULL OR (w.created_at, w.id) < (v_before_at, p_before_id))
    ORDER BY w.created_at DESC, w.id DESC
    LIMIT p_limit;
END;
$_$;
COMMENT ON FUNCTION tributary.list_workflows(p_state text, p_name text, p_since timestamp with time zone, p_search text, p_before_id bigint, p_limit integer) IS 'One page of workflows, newest first; optional filters state, name, since, search (an id, or a name prefix); next page after p_before_id. TB012 bad limit or state, TB009 unknown p_before_id.';
CREATE FUNCTION tributary.pause_queue(p_queue text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
BEGIN
  IF p_queue IS NULL OR p_queue = '' THEN
    RAISE EXCEPTION 'queue name must not be NULL or empty, got %', pg_catalog.quote_nullable(p_queue)
      USING ERRCODE = 'TB012';
  END IF;
  INSERT INTO tributary.paused_queues (queue, paused_at) VALUES (p_queue, tributary.now())
  ON CONFLICT (queue) DO NOTHING;
  RETURN FOUND;
END;
$$;
COMMENT ON FUNCTION tributary.pause_queue(p_queue text) IS 'Pauses a queue: claim_step claims nothing from it until resume_queue; its steps keep their order and attempts. False if already paused. TB012 NULL or empty name.';
CREATE FUNCTION tributary.pause_schedule(p_name text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
DECLARE
  v_paused boolean;
BEGIN
  SELECT s.paused INTO v_paused FROM tributary.schedules AS s WHERE s.name = p_name FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'schedule "%" does not exist', p_name
      USING ERRCODE = 'TB204', HINT = 'SELECT name FROM tributary.schedule_status lists the schedules.';
  END IF;
  IF v_paused THEN
    RETURN false;
  END IF;
  UPDATE tributary.schedules AS s SET paused = true, updated_at = tributary.now() WHERE s.name = p_name;
  RETURN true;
END;
$$;
COMMENT ON FUNCTION tributary.pause_schedule(p_name text) IS 'Pauses a schedule (it fires nothing until resume_schedule); false if already paused. TB204 unknown schedule.';
CREATE FUNCTION tributary.prune_finished(p_older_than interval, p_limit integer DEFAULT 1000) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET jit TO 'off'
    AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_count integer;
BEGIN
  IF p_older_than IS NULL OR p_older_than < interval '0' OR NOT pg_catalog.isfinite(p_older_than) THEN
    RAISE EXCEPTION 'older_than must be a finite interval of at least 0, got %', coalesce(p_older_than::text, 'NULL')
      USING ERRCODE = 'TB012',
            HINT = 'A negative interval would delete workflows finalized a moment ago (or in the future of a skewed clock).';
  END IF;
  IF p_limit IS NULL OR p_limit < 1 THEN
    RAISE EXCEPTION 'limit must be at least 1, got %', p_limit USING ERRCODE = 'TB012';
  END IF;
  -- An age beyond the timestamp range (now() minus it would overflow, 22008): nothing is that old.
  IF p_older_than > interval '5000 years' THEN
    RETURN 0;
  END IF;
  WITH deleted AS (
    DELETE FROM tributary.workflows AS w
    WHERE w.id = ANY (ARRAY(
      SELECT d.id FROM tributary.workflows AS d
      WHERE d.finalized_at < v_now - p_older_than
      ORDER BY d.finalized_at
      LIMIT p_limit
      FOR NO KEY UPDATE SKIP LOCKED))
    RETURNING w.id
  )
  SELECT pg_catalog.count(*)::integer INTO v_count FROM deleted;
  RETURN v_count;
END;
$$;
COMMENT ON FUNCTION tributary.prune_finished(p_older_than interval, p_limit integer) IS 'Deletes up to p_limit workflows (with steps and edges) finalized more than p_older_than (>= 0) ago; call until it returns 0. TB012 for a negative interval or a limit below 1.';
CREATE FUNCTION tributary.prune_worker_processes(p_older_than interval DEFAULT NULL::interval) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
DECLARE
  v_older_than interval := coalesce(p_older_than, 10 * (tributary._settings()).lease_duration);
  v_count integer;
BEGIN
  IF v_older_than < interval '0' THEN
    RAISE EXCEPTION 'prune_worker_processes: older_than must not be negative, got %', v_older_than
      USING ERRCODE = 'TB012';
  END IF;
  -- An age beyond the timestamp range (now() minus it would overflow, 22008): nothing is that old.
  IF v_older_than > interval '5000 years' THEN
    RETURN 0;
  END IF;
  DELETE FROM tributary.worker_processes WHERE last_seen_at < tributary.now() - v_older_than;
  GET DIAGNOSTICS v_count = ROW_COUNT;
  RETURN v_count;
END;
$$;
COMMENT ON FUNCTION tributary.prune_worker_processes(p_older_than interval) IS 'Deletes worker_processes rows not seen for p_older_than (default ten lease durations); returns how many.';
CREATE FUNCTION tributary.release_steps(p_step_ids bigint[], p_attempts integer[]) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET jit TO 'off'
    AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_count integer;
  v_queues text[];
  v_positions jsonb;  -- 'step id:attempt' -> its position in the input (a duplicate id never hides the current attempt)
BEGIN
  IF pg_catalog.cardinality(p_step_ids) IS DISTINCT FROM pg_catalog.cardinality(p_attempts) THEN
    RAISE EXCEPTION 'step ids and attempts must have the same length' USING ERRCODE = 'TB012';
  END IF;
  SELECT pg_catalog.jsonb_object_agg(i.id::text || ':' || i.attempt::text, i.ord) INTO v_positions
  FROM unnest(p_step_ids, p_attempts) WITH ORDINALITY AS i(id, attempt, ord);
  PERFORM 1 FROM tributary.steps AS s WHERE s.id = ANY (p_step_ids) ORDER BY s.id FOR NO KEY UPDATE;
  WITH released AS (
    UPDATE tributary.steps AS s
    SET state = 'available',
        scheduled_at = v_now,
        max_attempts = s.max_attempts + 1,
        errors = s.errors || pg_catalog.jsonb_build_object(
                   'attempt', s.attempt, 'at', v_now, 'worker_id', s.worker_id, 'retryable', true,
                   'message', 'released by its worker before it finished (shutdown)', 'reason', 'released'),
        lease_expires_at = NULL,
        deadline_at = NULL
    WHERE s.id = ANY (p_step_ids) AND s.state = 'running'
      AND v_positions ? (s.id::text || ':' || s.attempt::text)
    RETURNING s.queue
  )
  SELECT pg_catalog.count(*)::integer, pg_catalog.array_agg(DISTINCT released.queue)
  INTO v_count, v_queues
  FROM released;
  PERFORM tributary._notify_available(v_queues);
  RETURN v_count;
END;
$$;
COMMENT ON FUNCTION tributary.release_steps(p_step_ids bigint[], p_attempts integer[]) IS 'Gives back running steps a worker will not finish (shutdown): available again at once, the attempt not counted. Returns how many were released.';
CREATE FUNCTION tributary.remove_concurrency_limit(p_scope text, p_name text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
BEGIN
  PERFORM tributary._check_flow_target(p_scope, p_name);
  DELETE FROM tributary.flow_limits AS f
  WHERE f.scope = p_scope AND f.name = p_name AND f.max_running IS NOT NULL AND f.rate_max_starts IS NULL;
  IF NOT FOUND THEN
    UPDATE tributary.flow_limits AS f SET max_running = NULL, updated_at = tributary.now()
    WHERE f.scope = p_scope AND f.name = p_name AND f.max_running IS NOT NULL;
  END IF;
  IF FOUND AND p_scope = 'queue' THEN
    PERFORM tributary._notify_available(ARRAY[p_name]);
  END IF;
  RETURN FOUND;
END;
$$;
COMMENT ON FUNCTION tributary.remove_concurrency_limit(p_scope text, p_name text) IS 'Removes the concurrency limit of a queue or concurrency key (a rate limit stays); false if it had none. TB221 scope; TB222 name.';
CREATE FUNCTION tributary.remove_rate_limit(p_scope text, p_name text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
BEGIN
  PERFORM tributary._check_flow_target(p_scope, p_name);
  DELETE FROM tributary.flow_limits AS f
  WHERE f.scope = p_scope AND f.name = p_name AND f.rate_max_starts IS NOT NULL AND f.max_running IS NULL;
  IF NOT FOUND THEN
    UPDATE tributary.flow_limits AS f
    SET rate_max_starts = NULL, rate_period = NULL, tokens = NULL, tokens_at = NULL, updated_at = tributary.now()
    WHERE f.scope = p_scope AND f.name = p_name AND f.rate_max_starts IS NOT NULL;
  END IF;
  IF FOUND AND p_scope = 'queue' THEN
    PERFORM tributary._notify_available(ARRAY[p_name]);
  END IF;
  RETURN FOUND;
END;
$$;
COMMENT ON FUNCTION tributary.remove_rate_limit(p_scope text, p_name text) IS 'Removes the rate limit of a queue or concurrency key (a concurrency limit stays); false if it had none. TB221 scope; TB222 name.';
CREATE FUNCTION tributary.report_worker_process(p_worker_id text, p_host text, p_pid integer, p_queues text[], p_kinds text[], p_package_version text) RETURNS interval
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
DECLARE
  v_now timestamptz := tributary.now();
BEGIN
  IF p_worker_id IS NULL OR p_host IS NULL OR p_pid IS NULL OR p_queues IS NULL OR p_kinds IS NULL
     OR p_package_version IS NULL THEN
    RAISE EXCEPTION 'report_worker_process: every argument is required'
      USING ERRCODE = 'TB012', HINT = 'pass the worker id, host, pid, queues, kinds and package version';
  END IF;
  INSERT INTO tributary.worker_processes AS w
    (worker_id, host, pid, queues, kinds, package_version, started_at, last_seen_at)
  VALUES (p_worker_id, p_host, p_pid, p_queues, p_kinds, p_package_version, v_now, v_now)
  ON CONFLICT (worker_id) DO UPDATE
    SET host = excluded.host, pid = excluded.pid, queues = excluded.queues, kinds = excluded.kinds,
        package_version = excluded.package_version, last_seen_at = v_now,
        started_at = CASE WHEN w.pid = excluded.pid AND w.host = excluded.host THEN w.started_at ELSE v_now END;
  RETURN (tributary._settings()).lease_duration;
END;
$$;
COMMENT ON FUNCTION tributary.report_worker_process(p_worker_id text, p_host text, p_pid integer, p_queues text[], p_kinds text[], p_package_version text) IS 'A worker process reports itself alive (at start and at every heartbeat): its host, pid, queues, kinds and package version. Returns the lease the engine grants (settings.lease_duration).';
CREATE FUNCTION tributary.rescue_expired_steps(p_limit integer DEFAULT 1000) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET jit TO 'off'
    AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_step tributary.steps;
  v_count integer := 0;
BEGIN
  IF p_limit IS NULL OR p_limit < 1 THEN
    RAISE EXCEPTION 'limit must be at least 1, got %', p_limit USING ERRCODE = 'TB012';
  END IF;
  FOR v_step IN
    SELECT * FROM tributary.steps AS s
    WHERE s.state = 'running' AND s.lease_expires_at < v_now
    ORDER BY s.lease_expires_at, s.id
    LIMIT p_limit
    FOR NO KEY UPDATE SKIP LOCKED
  LOOP
    -- One step's failure (a row made inconsistent by hand) must not stop every other rescue:
    -- each step is rescued in its own subtransaction, and one that cannot be is reported and
    -- skipped. Rescues are rare; the subtransaction costs nothing on the claim path.
    BEGIN
      PERFORM tributary._fail_attempt(
        v_step,
        CASE WHEN v_step.deadline_at <= v_now
          THEN pg_catalog.jsonb_build_object(
                 'message', pg_catalog.format('attempt timed out after %s', v_step.timeout),
                 'reason', 'timeout')
          ELSE pg_catalog.jsonb_build_object(
                 'message', pg_catalog.format('lease expired: worker %s stopped heartbeating', coalesce(v_step.worker_id, '?')),
                 'reason', 'lease_expired')
        END,
        true);
      v_count := v_count + 1;
    EXCEPTION WHEN OTHERS THEN
      RAISE WARNING 'step % (task "%") cannot be rescued: % (SQLSTATE %)', v_step.id, v_step.task_name, SQLERRM, SQLSTATE
        USING HINT = 'The row breaks an engine invariant; inspect it and cancel or fix its workflow.';
    END;
  END LOOP;
  RETURN v_count;
END;
$$;
COMMENT ON FUNCTION tributary.rescue_expired_steps(p_limit integer) IS 'Treats running steps whose lease expired (dead or hung worker, timeout) as failed retryable attempts. SKIP LOCKED: safe from every worker at once. Returns how many it rescued.';
CREATE FUNCTION tributary.reserve_workflow_ids(p_count integer) RETURNS bigint[]
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
BEGIN
  IF p_count IS NULL OR p_count < 1 OR p_count > 10000 THEN
    RAISE EXCEPTION 'count must be between 1 and 10000, got %', coalesce(p_count::text, 'NULL')
      USING ERRCODE = 'TB012';
  END IF;
  RETURN ARRAY(SELECT pg_catalog.nextval('tributary.workflows_id_seq'::regclass)
               FROM pg_catalog.generate_series(1, p_count));
END;
$$;
COMMENT ON FUNCTION tributary.reserve_workflow_ids(p_count integer) IS 'Draws p_count (1..10000) workflow ids to pass as "id" to create_workflows, so a client knows a workflow''s id before it exists (encryption binds args to it). TB012 out of range.';
CREATE FUNCTION tributary.resume_queue(p_queue text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
BEGIN
  IF p_queue IS NULL OR p_queue = '' THEN
    RAISE EXCEPTION 'queue name must not be NULL or empty, got %', pg_catalog.quote_nullable(p_queue)
      USING ERRCODE = 'TB012';
  END IF;
  DELETE FROM tributary.paused_queues AS p WHERE p.queue = p_queue;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  PERFORM tributary._notify_available(ARRAY[p_queue]);
  RETURN true;
END;
$$;
COMMENT ON FUNCTION tributary.resume_queue(p_queue text) IS 'Resumes a paused queue: claimable again, workers woken (NOTIFY tributary_step_available). False if it was not paused. TB012 NULL or empty name.';
CREATE FUNCTION tributary.resume_schedule(p_name text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
DECLARE
  v_schedule tributary.schedules;
  v_now timestamptz := tributary.now();
BEGIN
  SELECT * INTO v_schedule FROM tributary.schedules AS s WHERE s.name = p_name FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'schedule "%" does not exist', p_name
      USING ERRCODE = 'TB204', HINT = 'SELECT name FROM tributary.schedule_status lists the schedules.';
  END IF;
  IF NOT v_schedule.paused THEN
    RETURN false;
  END IF;
  UPDATE tributary.schedules AS s
  SET paused = false,
      next_fire_at = coalesce(tributary._schedule_fire_time_after(v_schedule, v_now - interval '1 microsecond'), 'infinity'),
      updated_at = v_now
  WHERE s.id = v_schedule.id;
  RETURN true;
END;
$$;
COMMENT ON FUNCTION tributary.resume_schedule(p_name text) IS 'Resumes a paused schedule from its first fire time at or after now (fire times passed while paused never fire); false if not paused. TB204 unknown schedule.';
CREATE FUNCTION tributary.retry_step(p_step_id bigint) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_custom_plan'
    SET jit TO 'off'
    AS $$
DECLARE
  v_step tributary.steps;
  v_blocker text;
BEGIN
  SELECT * INTO v_step FROM tributary.steps AS s WHERE s.id = p_step_id FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'step % does not exist', p_step_id USING ERRCODE = 'TB006';
  END IF;
  IF EXISTS (SELECT 1 FROM tributary.workflows AS w WHERE w.id = v_step.workflow_id AND w.cancelled_at IS NOT NULL) THEN
    RAISE EXCEPTION 'workflow % was cancelled: its steps are retried together', v_step.workflow_id
      USING ERRCODE = 'TB011',
            HINT = 'Use retry_workflow() to run the cancelled workflow again.';
  END IF;
  IF v_step.state NOT IN ('discarded', 'cancelled') THEN
    RAISE EXCEPTION 'step % (task "%") is %: only discarded or cancelled steps can be retried',
                    p_step_id, v_step.task_name, v_step.state
      USING ERRCODE = 'TB011';
  END IF;
  SELECT p.task_name INTO v_blocker
  FROM tributary.step_dependencies AS d
  JOIN tributary.steps AS p ON p.id = d.depends_on_step_id
  WHERE d.step_id = p_step_id AND p.state IN ('discarded', 'cancelled')
  ORDER BY p.id
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'step % (task "%") cannot run: it depends on task "%", which is not completed',
                    p_step_id, v_step.task_name, v_blocker
      USING ERRCODE = 'TB011',
            HINT = 'Retry that step, or the whole workflow with retry_workflow().';
  END IF;
  RETURN tributary._reopen_steps(v_step.workflow_id, ARRAY[p_step_id]);
END;
$$;
COMMENT ON FUNCTION tributary.retry_step(p_step_id bigint) IS 'Admin: re-runs a discarded/cancelled step and the steps cancelled downstream of it, keeping completed results. TB006 unknown step, TB011 wrong state. Returns steps reopened.';
CREATE FUNCTION tributary.retry_workflow(p_workflow_id bigint) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_custom_plan'
    SET jit TO 'off'
    AS $$
DECLARE
  v_roots bigint[];
BEGIN
  IF NOT EXISTS (SELECT 1 FROM tributary.workflows AS w WHERE w.id = p_workflow_id) THEN
    RAISE EXCEPTION 'workflow % does not exist', p_workflow_id USING ERRCODE = 'TB009';
  END IF;
  SELECT pg_catalog.array_agg(s.id) INTO v_roots
  FROM tributary.steps AS s
  WHERE s.workflow_id = p_workflow_id AND s.state IN ('discarded', 'cancelled');
  IF v_roots IS NULL THEN
    RETURN 0;
  END IF;
  RETURN tributary._reopen_steps(p_workflow_id, v_roots);
END;
$$;
COMMENT ON FUNCTION tributary.retry_workflow(p_workflow_id bigint) IS 'Admin: re-runs every discarded/cancelled step of a workflow, keeping completed results. Returns steps reopened. TB009 unknown workflow.';
CREATE FUNCTION tributary.send_event(p_event text, p_payload jsonb DEFAULT NULL::jsonb, p_workflow_id bigint DEFAULT NULL::bigint, p_key text DEFAULT NULL::text, p_ttl interval DEFAULT NULL::interval) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET jit TO 'off'
    AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_state text;
  v_step_id bigint;
BEGIN
  IF p_event IS NULL OR pg_catalog.length(p_event) NOT BETWEEN 1 AND 255 THEN
    RAISE EXCEPTION 'an event needs a name of 1 to 255 characters'
      USING ERRCODE = 'TB302', HINT = 'send_event(''approved'', ''{"by": "ana"}'', p_workflow_id => 42)';
  END IF;
  IF (p_workflow_id IS NULL) = (p_key IS NULL) THEN
    RAISE EXCEPTION 'event "%" needs exactly one address: p_workflow_id or p_key', p_event
      USING ERRCODE = 'TB302',
            HINT = 'p_workflow_id ends a wait of that workflow; p_key ends a wait declared with that "key".';
  END IF;
  IF p_key IS NOT NULL AND pg_catalog.length(p_key) NOT BETWEEN 1 AND 255 THEN
    RAISE EXCEPTION 'event "%": the key must have 1 to 255 characters', p_event USING ERRCODE = 'TB302';
  END IF;
  IF p_ttl IS NOT NULL AND (p_key IS NULL OR p_ttl <= interval '0') THEN
    RAISE EXCEPTION 'event "%": p_ttl is for keyed events and must be positive', p_event
      USING ERRCODE = 'TB302',
            HINT = 'An event sent to a workflow is kept until the workflow finishes.';
  END IF;
  IF p_ttl > interval '1 year' THEN
    RAISE EXCEPTION 'event "%": p_ttl must be at most a year, got %', p_event, p_ttl
      USING ERRCODE = 'TB302', HINT = 'An unclaimed keyed event is kept for p_ttl (default 7 days).';
  END IF;
  IF p_workflow_id IS NOT NULL THEN
    SELECT w.state INTO v_state FROM tributary.workflows AS w WHERE w.id = p_workflow_id;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'event "%" for workflow %: the workflow does not exist', p_event, p_workflow_id
        USING ERRCODE = 'TB300';
    END IF;
    IF v_state <> 'running' THEN
      RAISE EXCEPTION 'event "%" for workflow %: the workflow is % and waits for nothing', p_event, p_workflow_id, v_state
        USING ERRCODE = 'TB301',
              HINT = 'Events are delivered to running workflows only.';
    END IF;
  END IF;
  PERFORM tributary._lock_event(p_workflow_id, p_key, p_event);
  LOOP
    -- The oldest step waiting for it, then locked; one that stopped waiting meanwhile is passed.
    IF p_key IS NULL THEN
      SELECT s.id INTO v_step_id FROM tributary.steps AS s
      WHERE (s.wait ->> 'event') = p_event AND (s.wait ->> 'key') IS NULL AND s.workflow_id = p_workflow_id
        AND s.state = 'waiting' AND s.wait IS NOT NULL
      ORDER BY (s.wait ->> 'event'), (s.wait ->> 'key'), s.workflow_id, s.id
      LIMIT 1;
    ELSE
      SELECT s.id INTO v_step_id FROM tributary.steps AS s
      WHERE (s.wait ->> 'event') = p_event AND (s.wait ->> 'key') = p_key
        AND s.state = 'waiting' AND s.wait IS NOT NULL
      ORDER BY s.id
      LIMIT 1;
    END IF;
    EXIT WHEN NOT FOUND;
    PERFORM 1 FROM tributary.steps AS s WHERE s.id = v_step_id AND s.state = 'waiting' FOR NO KEY UPDATE;
    IF FOUND THEN
      PERFORM tributary._complete_waits(ARRAY[v_step_id], ARRAY[p_payload]);
      RETURN v_step_id;
    END IF;
  END LOOP;
  INSERT INTO tributary.events (workflow_id, key, event, payload, sent_at, expires_at)
  VALUES (p_workflow_id, p_key, p_event, p_payload, v_now,
          CASE WHEN p_key IS NOT NULL THEN v_now + coalesce(p_ttl, interval '7 days') END);
  RETURN NULL;
END;
$$;
COMMENT ON FUNCTION tributary.send_event(p_event text, p_payload jsonb, p_workflow_id bigint, p_key text, p_ttl interval) IS 'Sends an event to a workflow (p_workflow_id) or by correlation key (p_key): completes the oldest step waiting for it with p_payload and returns its id, else keeps it for the first wait that begins (NULL). TB300 unknown workflow, TB301 finished workflow, TB302 invalid arguments.';
CREATE FUNCTION tributary.set_concurrency_limit(p_scope text, p_name text, p_max_running integer) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
BEGIN
  PERFORM tributary._check_flow_target(p_scope, p_name);
  IF p_max_running IS NULL OR p_max_running < 1 THEN
    RAISE EXCEPTION 'a concurrency limit must be at least 1, got % for % %', coalesce(p_max_running::text, 'NULL'), p_scope, pg_catalog.quote_literal(p_name)
      USING ERRCODE = 'TB220',
            HINT = 'remove_concurrency_limit() removes a limit; pause_queue() stops a queue.';
  END IF;
  INSERT INTO tributary.flow_limits AS f (scope, name, max_running, updated_at)
  VALUES (p_scope, p_name, p_max_running, tributary.now())
  ON CONFLICT (scope, name) DO UPDATE SET max_running = EXCLUDED.max_running, updated_at = EXCLUDED.updated_at;
  IF p_scope = 'queue' THEN
    PERFORM tributary._notify_available(ARRAY[p_name]);
  END IF;
END;
$$;
COMMENT ON FUNCTION tributary.set_concurrency_limit(p_scope text, p_name text, p_max_running integer) IS 'Sets a global concurrency limit: at most p_max_running running steps of a queue (scope queue) or concurrency key (scope key). Running steps are never stopped. TB220 limit < 1 or NULL; TB221 scope; TB222 name.';
CREATE FUNCTION tributary.set_rate_limit(p_scope text, p_name text, p_max_starts integer, p_period interval) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
BEGIN
  PERFORM tributary._check_flow_target(p_scope, p_name);
  IF p_max_starts IS NULL OR p_max_starts < 1 THEN
    RAISE EXCEPTION 'a rate limit allows at least 1 start per period, got % for % %', coalesce(p_max_starts::text, 'NULL'), p_scope, pg_catalog.quote_literal(p_name)
      USING ERRCODE = 'TB223',
            HINT = 'remove_rate_limit() removes a rate limit; pause_queue() stops a queue.';
  END IF;
  IF p_period IS NULL OR p_period <= interval '0' OR p_period > interval '1 year' THEN
    RAISE EXCEPTION 'a rate limit''s period must be over zero and at most a year, got % for % %', coalesce(p_period::text, 'NULL'), p_scope, pg_catalog.quote_literal(p_name)
      USING ERRCODE = 'TB224',
            HINT = 'For example set_rate_limit(''queue'', ''emails'', 100, ''1 minute'').';
  END IF;
  INSERT INTO tributary.flow_limits AS f (scope, name, rate_max_starts, rate_period, updated_at)
  VALUES (p_scope, p_name, p_max_starts, p_period, tributary.now())
  ON CONFLICT (scope, name) DO UPDATE
  SET rate_max_starts = EXCLUDED.rate_max_starts,
      rate_period = EXCLUDED.rate_period,
      tokens = LEAST(f.tokens, EXCLUDED.rate_max_starts),
      updated_at = EXCLUDED.updated_at;
  IF p_scope = 'queue' THEN
    PERFORM tributary._notify_available(ARRAY[p_name]);
  END IF;
END;
$$;
COMMENT ON FUNCTION tributary.set_rate_limit(p_scope text, p_name text, p_max_starts integer, p_period interval) IS 'Sets a rate limit: at most p_max_starts claims per p_period of a queue (scope queue) or concurrency key (scope key), as a token bucket; a step over it waits. TB223 p_max_starts < 1 or NULL; TB224 period <= 0, over a year or NULL; TB221 scope; TB222 name.';
CREATE FUNCTION tributary.spawn_child_workflow(p_step_id bigint, p_attempt integer, p_name text, p_tasks jsonb, p_metadata jsonb DEFAULT NULL::jsonb) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
DECLARE
  v_step tributary.steps;
  v_child bigint;
BEGIN
  v_step := tributary._check_attempt(p_step_id, p_attempt);
  v_child := (tributary._create_workflows(
                pg_catalog.jsonb_build_array(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                  'name', p_name, 'tasks', p_tasks, 'metadata', p_metadata))),
                false))[1];
  UPDATE tributary.workflows
  SET parent_step_id = v_step.id, parent_workflow_id = v_step.workflow_id
  WHERE id = v_child;
  UPDATE tributary.steps
  SET state = 'waiting', lease_expires_at = NULL, deadline_at = NULL
  WHERE id = v_step.id;
  RETURN v_child;
END;
$$;
COMMENT ON FUNCTION tributary.spawn_child_workflow(p_step_id bigint, p_attempt integer, p_name text, p_tasks jsonb, p_metadata jsonb) IS 'A running step''s attempt creates a child workflow (validated like create_workflow) and waits for it; the child''s leaf results complete the step, its failure or cancellation fails the attempt. Returns the child id. TB006/TB007/TB008 as complete_step.';
CREATE FUNCTION tributary.tg_refuse_direct_write() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
BEGIN
  RAISE EXCEPTION '% on %.% refused: only the engine''s functions write this table', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
    USING ERRCODE = 'TB013',
          DETAIL = pg_catalog.format('role %s is not the owner of the schema', CURRENT_USER),
          HINT = 'Call the function that makes this change (create_workflow, cancel_workflow, retry_workflow, prune_finished, ...).';
END;
$$;
COMMENT ON FUNCTION tributary.tg_refuse_direct_write() IS 'Trigger: refuses (TB013) a write to an engine table by any role but the schema owner, whose functions make every state transition.';
CREATE FUNCTION tributary.tg_refuse_key_change() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
BEGIN
  IF TG_TABLE_NAME = 'steps' THEN
    IF NEW.id IS DISTINCT FROM OLD.id OR NEW.workflow_id IS DISTINCT FROM OLD.workflow_id THEN
      RAISE EXCEPTION 'step % (task "%") keeps its id and its workflow', OLD.id, OLD.task_name
        USING ERRCODE = 'TB013',
              HINT = 'Edges and dependency results refer to a step by id, within its workflow.';
    END IF;
  ELSIF TG_TABLE_NAME = 'workflows' THEN
    IF NEW.id IS DISTINCT FROM OLD.id THEN
      RAISE EXCEPTION 'workflow % keeps its id', OLD.id
        USING ERRCODE = 'TB013',
              HINT = 'Its steps refer to it by id.';
    END IF;
  ELSE
    RAISE EXCEPTION 'the edge from step % to step % does not change', OLD.step_id, OLD.depends_on_step_id
      USING ERRCODE = 'TB013',
            HINT = 'Edges are written once, when the engine resolves a graph.';
  END IF;
  RETURN NEW;
END;
$$;
COMMENT ON FUNCTION tributary.tg_refuse_key_change() IS 'Trigger: refuses (TB013) a change of the keys references use: steps.id, steps.workflow_id, workflows.id, any edge.';
CREATE FUNCTION tributary.tg_steps__begin_wait() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
DECLARE
  v_from timestamptz := GREATEST(tributary.now(), NEW.scheduled_at);
BEGIN
  NEW.state := 'waiting';
  NEW.wake_at := CASE
                   WHEN NEW.wait ? 'sleep_until' THEN (NEW.wait ->> 'sleep_until')::timestamptz
                   WHEN NEW.wait ? 'sleep' THEN v_from + (NEW.wait ->> 'sleep')::interval
                   ELSE v_from + (NEW.wait ->> 'timeout')::interval
                 END;
  RETURN NEW;
END;
$$;
COMMENT ON FUNCTION tributary.tg_steps__begin_wait() IS 'Trigger: a wait or sleep step that becomes available enters waiting instead, with wake_at set from its sleep or timeout.';
CREATE FUNCTION tributary.tg_steps__check_direct_insert() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
DECLARE
  v_workflow record;
  v_settings tributary.settings;
BEGIN
  IF NEW.queue IS NULL OR NEW.priority IS NULL OR NEW.max_attempts IS NULL OR NEW.retry_backoff IS NULL
     OR NEW.timeout IS NULL THEN
    v_settings := tributary._settings();
    NEW.queue := coalesce(NEW.queue, v_settings.default_queue);
    NEW.priority := coalesce(NEW.priority, v_settings.default_priority);
    NEW.max_attempts := coalesce(NEW.max_attempts, v_settings.default_max_attempts);
    NEW.timeout := coalesce(NEW.timeout, v_settings.default_timeout);
    NEW.retry_backoff := coalesce(NEW.retry_backoff, v_settings.default_retry_backoff);
  END IF;
  SELECT w.steps_total, w.scheduled_at INTO v_workflow
  FROM tributary.workflows AS w WHERE w.id = NEW.workflow_id;
  IF NOT FOUND THEN  -- what a foreign key would say (tables/steps_references: there is none)
    RAISE EXCEPTION 'workflow % does not exist: task "%" cannot be added to it', NEW.workflow_id, NEW.task_name
      USING ERRCODE = 'foreign_key_violation',
            HINT = 'Insert the workflow first, in the transaction that inserts its steps.';
  END IF;
  IF v_workflow.steps_total IS NOT NULL THEN
    RAISE EXCEPTION 'workflow % is already resolved: task "%" cannot be added to it', NEW.workflow_id, NEW.task_name
      USING ERRCODE = 'TB010',
            HINT = 'Insert a workflow''s steps in the transaction that inserts the workflow.';
  END IF;
  IF EXISTS (SELECT 1 FROM tributary.steps AS s
             WHERE s.workflow_id = NEW.workflow_id AND s.task_name = NEW.task_name) THEN
    RAISE EXCEPTION 'duplicate task name "%" in workflow %', NEW.task_name, NEW.workflow_id
      USING ERRCODE = 'TB003',
            HINT = 'Task names must be unique within a workflow.';
  END IF;
  NEW.state := 'pending';
  NEW.remaining_deps := NULL;
  NEW.attempt := 0;
  NEW.attempted_at := NULL;
  NEW.worker_id := NULL;
  NEW.lease_expires_at := NULL;
  NEW.deadline_at := NULL;
  NEW.result := NULL;
  NEW.errors := '[]';
  NEW.cancel_reason := NULL;
  NEW.finalized_at := NULL;
  NEW.scheduled_at := GREATEST(NEW.scheduled_at, v_workflow.scheduled_at);
  RETURN NEW;
END;
$$;
COMMENT ON FUNCTION tributary.tg_steps__check_direct_insert() IS 'Trigger: checks a directly inserted step (23503 unknown workflow, TB003 duplicate task name, TB010 workflow already resolved), fills its omitted options from settings and resets its engine columns.';
CREATE FUNCTION tributary.tg_steps__delete_dependencies() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET jit TO 'off'
    AS $$
DECLARE
  v_ids bigint[] := ARRAY(SELECT g.id FROM deleted_steps AS g);
BEGIN
  IF pg_catalog.cardinality(v_ids) > 0 THEN
    -- Both ends, by their indexes: an edge joins two steps of one workflow, deleted together.
    DELETE FROM tributary.step_dependencies AS d WHERE d.step_id = ANY (v_ids);
    DELETE FROM tributary.step_dependencies AS d WHERE d.depends_on_step_id = ANY (v_ids);
  END IF;
  RETURN NULL;
END;
$$;
COMMENT ON FUNCTION tributary.tg_steps__delete_dependencies() IS 'Trigger: deletes the edges from and to the steps a statement deleted.';
CREATE FUNCTION tributary.tg_steps__guard_writes() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
BEGIN
  IF CURRENT_USER <> TG_ARGV[0] THEN
    RAISE EXCEPTION '% of step % (task "%") refused: only the engine''s functions write steps', TG_OP, OLD.id, OLD.task_name
      USING ERRCODE = 'TB013',
            DETAIL = pg_catalog.format('role %s is not the owner of the schema', CURRENT_USER),
            HINT = 'Call the function that makes this transition (complete_step, fail_step, cancel_workflow, retry_step, ...).';
  END IF;
  IF TG_OP = 'DELETE' THEN
    IF pg_catalog.pg_trigger_depth() > 1 THEN
      RETURN OLD;  -- deleted with its workflow (tables/steps_references: a trigger of workflows)
    END IF;
    RAISE EXCEPTION 'step % (task "%") cannot be deleted on its own', OLD.id, OLD.task_name
      USING ERRCODE = 'TB013',
            HINT = 'Steps go with their workflow: cancel it, or delete the workflow (prune_finished).';
  END IF;
  IF OLD.state = 'completed' THEN
    RAISE EXCEPTION 'step % (task "%") is completed: it does not change any more', OLD.id, OLD.task_name
      USING ERRCODE = 'TB013',
            HINT = 'Its result is what its dependents read. Create a new workflow to run it again.';
  END IF;
  -- Not resolved yet (inserted directly in this transaction): the engine columns keep the values
  -- the insert trigger gave them, until the resolution at COMMIT sets remaining_deps and state.
  IF NEW.attempt = 0 AND NEW.attempted_at IS NULL AND NEW.worker_id IS NULL AND NEW.lease_expires_at IS NULL
     AND NEW.deadline_at IS NULL AND NEW.result IS NULL AND NEW.errors = '[]' AND NEW.cancel_reason IS NULL
     AND NEW.finalized_at IS NULL
     AND (CASE WHEN NEW.remaining_deps IS NULL THEN NEW.state = 'pending'
               ELSE NEW.remaining_deps = (SELECT pg_catalog.count(DISTINCT d.name)::integer
                                          FROM pg_catalog.unnest(NEW.depends_on) AS d(name))
                    AND NEW.state = (CASE WHEN NEW.remaining_deps = 0 THEN 'available' ELSE 'pending' END)
          END) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'step % (task "%") is not resolved yet: its state is set when its workflow is resolved at COMMIT',
                  OLD.id, OLD.task_name
    USING ERRCODE = 'TB013',
          HINT = 'Set only the options (queue, priority, args, ...) of a step inserted in this transaction.';
END;
$$;
COMMENT ON FUNCTION tributary.tg_steps__guard_writes() IS 'Trigger: refuses (TB013) writes to steps by any role but the owner (TG_ARGV[0]), and by anyone: changing a completed step, setting the engine columns of an unresolved step, deleting a step without its workflow.';
CREATE FUNCTION tributary.tg_steps__notify_slot_freed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
BEGIN
  PERFORM pg_catalog.pg_notify('tributary_slot_freed', OLD.queue);
  RETURN NULL;
END;
$$;
COMMENT ON FUNCTION tributary.tg_steps__notify_slot_freed() IS 'Trigger: a step claimed under a limit stopped running; NOTIFY tributary_slot_freed with its queue (a slot is free).';
CREATE FUNCTION tributary.tg_steps__take_sent_event() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET jit TO 'off'
    AS $$
DECLARE
  v_key text := NEW.wait ->> 'key';
  v_event_name text := NEW.wait ->> 'event';
  v_event record;
BEGIN
  PERFORM tributary._lock_event(NEW.workflow_id, v_key, v_event_name);
  PERFORM 1 FROM tributary.steps AS s WHERE s.id = NEW.id AND s.state = 'waiting' FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RETURN NULL;  -- its wait already ended in this transaction
  END IF;
  IF v_key IS NULL THEN
    SELECT e.id, e.payload INTO v_event FROM tributary.events AS e
    WHERE e.workflow_id = NEW.workflow_id AND e.event = v_event_name AND e.workflow_id IS NOT NULL
    ORDER BY e.id LIMIT 1
    FOR UPDATE;
  ELSE
    SELECT e.id, e.payload INTO v_event FROM tributary.events AS e
    WHERE e.key = v_key AND e.event = v_event_name AND e.key IS NOT NULL AND e.expires_at > tributary.now()
    ORDER BY e.id LIMIT 1
    FOR UPDATE;
  END IF;
  IF FOUND THEN
    DELETE FROM tributary.events WHERE id = v_event.id;
    PERFORM tributary._complete_waits(ARRAY[NEW.id], ARRAY[v_event.payload]);
  END IF;
  RETURN NULL;
END;
$$;
COMMENT ON FUNCTION tributary.tg_steps__take_sent_event() IS 'Trigger (at COMMIT): a wait for an event that began takes the oldest stored event it waits for, and completes with its payload.';
CREATE FUNCTION tributary.tg_steps__truncate_dependencies() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
BEGIN
  IF pg_catalog.pg_relation_size('tributary.step_dependencies') > 0 THEN
    TRUNCATE tributary.step_dependencies;
  END IF;
  RETURN NULL;
END;
$$;
COMMENT ON FUNCTION tributary.tg_steps__truncate_dependencies() IS 'Trigger: a TRUNCATE of steps truncates step_dependencies.';
CREATE FUNCTION tributary.tg_workflows__delete_steps() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET jit TO 'off'
    AS $$
DECLARE
  v_ids bigint[] := ARRAY(SELECT g.id FROM deleted_workflows AS g);
BEGIN
  -- A statement trigger fires for a statement that deleted nothing too (prune_finished with
  -- nothing due): then no DELETE runs, and the trigger on steps does not fire.
  IF pg_catalog.cardinality(v_ids) > 0 THEN
    -- By key: steps by workflow_id (the unique index on workflow_id, task_name).
    DELETE FROM tributary.steps AS s WHERE s.workflow_id = ANY (v_ids);
  END IF;
  RETURN NULL;
END;
$$;
COMMENT ON FUNCTION tributary.tg_workflows__delete_steps() IS 'Trigger: deletes the steps of the workflows a statement deleted (their edges go with them, see tg_steps__delete_dependencies).';
CREATE FUNCTION tributary.tg_workflows__reset_direct_insert() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
BEGIN
  NEW.state := 'running';
  NEW.steps_total := NULL;
  NEW.steps_unfinished := NULL;
  NEW.cancelled_at := NULL;
  NEW.finalized_at := NULL;
  RETURN NEW;
END;
$$;
COMMENT ON FUNCTION tributary.tg_workflows__reset_direct_insert() IS 'Trigger: a directly inserted workflow starts running and unresolved, whatever engine columns the caller set.';
CREATE FUNCTION tributary.tg_workflows__resolve_at_commit() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET jit TO 'off'
    AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM tributary.workflows AS w WHERE w.id = NEW.id AND w.steps_total IS NULL) THEN
    PERFORM tributary._resolve_workflows(ARRAY(
      SELECT w.id FROM tributary.workflows AS w WHERE w.steps_total IS NULL ORDER BY w.id));
  END IF;
  RETURN NULL;
END;
$$;
COMMENT ON FUNCTION tributary.tg_workflows__resolve_at_commit() IS 'Trigger: at COMMIT, resolves and validates the graphs of every workflow the transaction inserted directly, in one set-based pass.';
CREATE FUNCTION tributary.tg_workflows__resume_parent() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET jit TO 'off'
    AS $$
DECLARE
  v_step tributary.steps;
  v_result jsonb;
BEGIN
  SELECT * INTO v_step FROM tributary.steps AS s WHERE s.id = NEW.parent_step_id FOR NO KEY UPDATE;
  IF NOT FOUND OR v_step.state <> 'waiting' OR v_step.wait IS NOT NULL THEN
    RETURN NULL;
  END IF;
  -- The step waits for its newest child only: an older child (an earlier attempt's, re-run by
  -- retry_workflow) that finishes now leaves the step to the child it waits for.
  IF EXISTS (SELECT 1 FROM tributary.workflows AS c WHERE c.parent_step_id = NEW.parent_step_id AND c.id > NEW.id) THEN
    RETURN NULL;
  END IF;
  IF NEW.state = 'completed' THEN
    SELECT coalesce(pg_catalog.jsonb_object_agg(s.task_name, s.result), '{}') INTO v_result
    FROM tributary.steps AS s
    WHERE s.workflow_id = NEW.id
      AND NOT EXISTS (SELECT 1 FROM tributary.step_dependencies AS d WHERE d.depends_on_step_id = s.id);
    PERFORM tributary._complete_waits(ARRAY[v_step.id], ARRAY[v_result]);
  ELSE
    PERFORM tributary._fail_attempt(
      v_step,
      pg_catalog.jsonb_build_object(
        'message', pg_catalog.format('child workflow %s (%s) %s', NEW.id, NEW.name, NEW.state),
        'child_workflow_id', NEW.id, 'child_state', NEW.state),
      true);
  END IF;
  RETURN NULL;
END;
$$;
COMMENT ON FUNCTION tributary.tg_workflows__resume_parent() IS 'Trigger: a child workflow that finalized completes its waiting parent step with its leaf results, or fails the parent step''s attempt.';
CREATE FUNCTION tributary.tg_workflows__truncate_steps() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
BEGIN
  IF pg_catalog.pg_relation_size('tributary.steps') > 0 THEN
    TRUNCATE tributary.steps CASCADE;  -- whose own trigger truncates step_dependencies
  END IF;
  RETURN NULL;
END;
$$;
COMMENT ON FUNCTION tributary.tg_workflows__truncate_steps() IS 'Trigger: a TRUNCATE of workflows truncates steps (and so step_dependencies).';
CREATE FUNCTION tributary.wake_due_steps(p_limit integer DEFAULT 1000) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET jit TO 'off'
    AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_step tributary.steps;
  v_ids bigint[] := '{}';
  v_results jsonb[] := '{}';
  v_woken integer := 0;
BEGIN
  IF p_limit IS NULL OR p_limit < 1 THEN
    RAISE EXCEPTION 'p_limit must be at least 1' USING ERRCODE = 'TB012';
  END IF;
  FOR v_step IN
    SELECT * FROM tributary.steps AS s
    WHERE s.wake_at <= v_now AND s.wake_at IS NOT NULL
    ORDER BY s.wake_at
    LIMIT p_limit
    FOR NO KEY UPDATE SKIP LOCKED
  LOOP
    CONTINUE WHEN v_step.state <> 'waiting';
    v_woken := v_woken + 1;
    IF v_step.wait ? 'event' AND v_step.wait -> 'on_timeout' = '"fail"' THEN
      UPDATE tributary.steps SET wake_at = NULL WHERE id = v_step.id;
      v_step.wake_at := NULL;
      PERFORM tributary._fail_attempt(
        v_step,
        pg_catalog.jsonb_build_object(
          'message', pg_catalog.format('timed out after %s waiting for event "%s"', v_step.wait ->> 'timeout', v_step.wait ->> 'event'),
          'event', v_step.wait ->> 'event', 'key', v_step.wait -> 'key', 'timeout', v_step.wait ->> 'timeout'),
        false);
    ELSE
      v_ids := v_ids || v_step.id;
      v_results := v_results || (v_step.wait -> 'on_timeout' -> 'default');  -- NULL for a sleep
    END IF;
  END LOOP;
  IF pg_catalog.cardinality(v_ids) > 0 THEN
    PERFORM tributary._complete_waits(v_ids, v_results);
  END IF;
  DELETE FROM tributary.events
  WHERE id IN (SELECT e.id FROM tributary.events AS e
               WHERE e.expires_at <= v_now AND e.expires_at IS NOT NULL
               ORDER BY e.expires_at
               LIMIT p_limit
               FOR UPDATE SKIP LOCKED);
  RETURN v_woken;
END;
$$;
COMMENT ON FUNCTION tributary.wake_due_steps(p_limit integer) IS 'Ends up to p_limit waits whose timer is due: sleeps complete, timed-out waits complete with their default or are discarded; deletes expired keyed events. Returns steps woken. SKIP LOCKED: safe from every worker and pg_cron. TB012 for p_limit < 1.';
CREATE TABLE tributary.events (
    id bigint NOT NULL,
    workflow_id bigint,
    key text,
    event text NOT NULL,
    payload jsonb,
    sent_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone,
    CONSTRAINT events_addressed_once CHECK (((workflow_id IS NULL) <> (key IS NULL))),
    CONSTRAINT events_event_length CHECK (((length(event) >= 1) AND (length(event) <= 255))),
    CONSTRAINT events_key_length CHECK (((length(key) >= 1) AND (length(key) <= 255))),
    CONSTRAINT events_keyed_expire CHECK (((key IS NULL) = (expires_at IS NULL)))
);
COMMENT ON TABLE tributary.events IS 'Events sent before a step waited for them, kept for the first wait that begins: to a workflow until it finishes, by key until expires_at.';
COMMENT ON COLUMN tributary.events.workflow_id IS 'The workflow the event was sent to (NULL for a keyed event).';
COMMENT ON COLUMN tributary.events.key IS 'The correlation key the event was sent with (NULL for an event sent to a workflow).';
COMMENT ON COLUMN tributary.events.event IS 'The event name a wait_for task names.';
COMMENT ON COLUMN tributary.events.payload IS 'Becomes the result of the step whose wait it ends.';
COMMENT ON COLUMN tributary.events.sent_at IS 'When send_event stored it.';
COMMENT ON COLUMN tributary.events.expires_at IS 'Keyed events only: deleted by wake_due_steps from then on, never delivered after it.';
ALTER TABLE tributary.events ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME tributary.events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE VIEW tributary.expired_leases AS
 SELECT s.id AS step_id,
    s.workflow_id,
    s.task_name,
    s.kind,
    s.queue,
    s.worker_id,
    s.attempt,
    s.lease_expires_at,
    (tributary.now() - s.lease_expires_at) AS expired_for
   FROM tributary.steps s
  WHERE (s.lease_expires_at < tributary.now());
COMMENT ON VIEW tributary.expired_leases IS 'Running steps whose lease lapsed and that await a rescue: worker, queue, attempt, and for how long the lease has been expired.';
CREATE TABLE tributary.flow_limits (
    scope text NOT NULL,
    name text NOT NULL,
    max_running integer,
    rate_max_starts integer,
    rate_period interval,
    tokens double precision,
    tokens_at timestamp with time zone,
    updated_at timestamp with time zone DEFAULT tributary.now() NOT NULL,
    CONSTRAINT flow_limits_max_running_positive CHECK ((max_running > 0)),
    CONSTRAINT flow_limits_name_bounded CHECK (((name <> ''::text) AND (length(name) <= 255))),
    CONSTRAINT flow_limits_rate_max_starts_positive CHECK ((rate_max_starts > 0)),
    CONSTRAINT flow_limits_rate_period_positive CHECK (((rate_period > '00:00:00'::interval) AND (rate_period <= '1 year'::interval))),
    CONSTRAINT flow_limits_rate_set_together CHECK (((rate_max_starts IS NULL) = (rate_period IS NULL))),
    CONSTRAINT flow_limits_scope_known CHECK ((scope = ANY (ARRAY['queue'::text, 'key'::text]))),
    CONSTRAINT flow_limits_some_limit CHECK (((max_running IS NOT NULL) OR (rate_max_starts IS NOT NULL)))
);
COMMENT ON TABLE tributary.flow_limits IS 'Global concurrency and rate limits per queue (scope queue) or concurrency key (scope key), obeyed by claim_step. Written by set_/remove_concurrency_limit and set_/remove_rate_limit.';
COMMENT ON COLUMN tributary.flow_limits.scope IS '''queue'' or ''key'' (a steps.concurrency_key).';
COMMENT ON COLUMN tributary.flow_limits.name IS 'The queue or the concurrency key.';
COMMENT ON COLUMN tributary.flow_limits.max_running IS 'At most this many running steps at once, across every process; NULL: no concurrency limit.';
COMMENT ON COLUMN tributary.flow_limits.rate_max_starts IS 'At most this many claims per rate_period (token bucket of this capacity); NULL: no rate limit.';
COMMENT ON COLUMN tributary.flow_limits.rate_period IS 'The rate''s period: the bucket refills rate_max_starts tokens per rate_period.';
COMMENT ON COLUMN tributary.flow_limits.tokens IS 'Engine: tokens left in the bucket at tokens_at; NULL: full.';
COMMENT ON COLUMN tributary.flow_limits.tokens_at IS 'Engine: when tokens was computed.';
COMMENT ON COLUMN tributary.flow_limits.updated_at IS 'When a limit of this row was last set.';
CREATE VIEW tributary.flow_limit_status AS
 SELECT f.scope,
    f.name,
    f.max_running,
        CASE f.scope
            WHEN 'queue'::text THEN ( SELECT count(*) AS count
               FROM tributary.steps s
              WHERE ((s.lease_expires_at > '-infinity'::timestamp with time zone) AND (s.queue = f.name)))
            ELSE ( SELECT count(*) AS count
               FROM tributary.steps s
              WHERE ((s.lease_expires_at IS NOT NULL) AND (s.concurrency_key = f.name)))
        END AS running,
    f.rate_max_starts,
    f.rate_period,
        CASE
            WHEN (f.rate_max_starts IS NOT NULL) THEN LEAST((f.rate_max_starts)::double precision, COALESCE((f.tokens + ((GREATEST((0)::double precision, date_part('epoch'::text, (tributary.now() - f.tokens_at))) / date_part('epoch'::text, f.rate_period)) * (f.rate_max_starts)::double precision)), (f.rate_max_starts)::double precision))
            ELSE NULL::double precision
        END AS tokens,
    f.updated_at
   FROM tributary.flow_limits f;
COMMENT ON VIEW tributary.flow_limit_status IS 'Every concurrency and rate limit (scope queue or key), the steps of its queue or key running now, and the tokens its rate bucket holds now.';
CREATE TABLE tributary.paused_queues (
    queue text NOT NULL,
    paused_at timestamp with time zone DEFAULT tributary.now() NOT NULL,
    CONSTRAINT paused_queues_queue_not_blank CHECK ((queue <> ''::text))
);
COMMENT ON TABLE tributary.paused_queues IS 'Queues paused by pause_queue: claim_step claims nothing from them until resume_queue. Their steps keep their state, order and attempts.';
COMMENT ON COLUMN tributary.paused_queues.queue IS 'The paused queue''s name.';
COMMENT ON COLUMN tributary.paused_queues.paused_at IS 'When pause_queue paused it (tributary.now()).';
CREATE VIEW tributary.queue_depths AS
 WITH depths AS (
         SELECT s.queue,
            count(*) FILTER (WHERE ((s.state = 'available'::text) AND (s.scheduled_at <= tributary.now()))) AS ready,
            count(*) FILTER (WHERE ((s.state = 'available'::text) AND (s.scheduled_at > tributary.now()))) AS scheduled,
            count(*) FILTER (WHERE (s.state = 'running'::text)) AS running,
            (tributary.now() - min(s.scheduled_at) FILTER (WHERE ((s.state = 'available'::text) AND (s.scheduled_at <= tributary.now())))) AS oldest_ready_age
           FROM ( SELECT a.queue,
                    a.state,
                    a.scheduled_at
                   FROM tributary.steps a
                  WHERE (a.state = 'available'::text)
                UNION ALL
                 SELECT r.queue,
                    r.state,
                    r.scheduled_at
                   FROM tributary.steps r
                  WHERE (r.lease_expires_at IS NOT NULL)) s
          GROUP BY s.queue
        )
 SELECT COALESCE(d.queue, p.queue) AS queue,
    COALESCE(d.ready, (0)::bigint) AS ready,
    COALESCE(d.scheduled, (0)::bigint) AS scheduled,
    COALESCE(d.running, (0)::bigint) AS running,
    d.oldest_ready_age,
    (p.queue IS NOT NULL) AS paused
   FROM (depths d
     FULL JOIN tributary.paused_queues p ON ((p.queue = d.queue)));
COMMENT ON VIEW tributary.queue_depths IS 'Per queue: steps ready now, scheduled for later (delay or backoff), running, the age of the oldest ready step, and whether the queue is paused (a paused queue has a row even without steps).';
CREATE VIEW tributary.recent_failures AS
 SELECT s.id AS step_id,
    s.workflow_id,
    s.task_name,
    s.kind,
    s.state,
    s.attempt,
    s.max_attempts,
    (((s.errors -> '-1'::integer) ->> 'at'::text))::timestamp with time zone AS failed_at,
    ((s.errors -> '-1'::integer) ->> 'message'::text) AS message,
    (s.errors -> '-1'::integer) AS error
   FROM tributary.steps s
  WHERE ((s.errors <> '[]'::jsonb) AND ((((s.errors -> '-1'::integer) ->> 'at'::text))::timestamp with time zone > (tributary.now() - '1 day'::interval)))
  ORDER BY (((s.errors -> '-1'::integer) ->> 'at'::text))::timestamp with time zone DESC;
COMMENT ON VIEW tributary.recent_failures IS 'Steps that failed an attempt in the past day, newest first: state, attempts and the last error.';
CREATE TABLE tributary.roles (
    purpose text NOT NULL,
    role_name name NOT NULL,
    CONSTRAINT roles_purpose_valid CHECK ((purpose = ANY (ARRAY['worker'::text, 'submitter'::text, 'reader'::text, 'admin'::text])))
);
COMMENT ON TABLE tributary.roles IS 'The NOLOGIN group roles this database grants to, by purpose (worker, submitter, reader, admin). Grant one to a LOGIN role to let it work, submit, read or administer.';
COMMENT ON COLUMN tributary.roles.purpose IS 'worker: claims and reports steps; submitter: creates and cancels workflows (and reads); reader: views and get_workflow; admin: settings, retries, pruning (and all of the others).';
COMMENT ON COLUMN tributary.roles.role_name IS 'The role''s name in the cluster: tributary_<purpose> unless the setting tributary.<purpose>_role named another at deploy time.';
CREATE TABLE tributary.workflows (
    id bigint NOT NULL,
    name text NOT NULL,
    state text DEFAULT 'running'::text NOT NULL,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    idempotency_key text,
    scheduled_at timestamp with time zone DEFAULT tributary.now() NOT NULL,
    created_at timestamp with time zone DEFAULT tributary.now() NOT NULL,
    steps_total integer,
    steps_unfinished integer,
    cancelled_at timestamp with time zone,
    finalized_at timestamp with time zone,
    parent_step_id bigint,
    parent_workflow_id bigint,
    CONSTRAINT workflows_cancelled_state_has_cancelled_at CHECK (((state <> 'cancelled'::text) OR (cancelled_at IS NOT NULL))),
    CONSTRAINT workflows_counters_in_range CHECK (((steps_unfinished >= 0) AND (steps_unfinished <= steps_total))),
    CONSTRAINT workflows_counters_resolved_together CHECK (((steps_total IS NULL) = (steps_unfinished IS NULL))),
    CONSTRAINT workflows_final_means_nothing_unfinished CHECK (((state = 'running'::text) OR (steps_unfinished = 0))),
    CONSTRAINT workflows_finalized_at_set_iff_final CHECK (((state = 'running'::text) = (finalized_at IS NULL))),
    CONSTRAINT workflows_idempotency_key_length CHECK ((char_length(idempotency_key) <= 255)),
    CONSTRAINT workflows_metadata_is_object CHECK ((jsonb_typeof(metadata) = 'object'::text)),
    CONSTRAINT workflows_name_length CHECK ((char_length(name) <= 255)),
    CONSTRAINT workflows_name_not_blank CHECK ((name <> ''::text)),
    CONSTRAINT workflows_parent_set_together CHECK (((parent_step_id IS NULL) = (parent_workflow_id IS NULL))),
    CONSTRAINT workflows_scheduled_at_finite CHECK (isfinite(scheduled_at)),
    CONSTRAINT workflows_state_valid CHECK ((state = ANY (ARRAY['running'::text, 'completed'::text, 'failed'::text, 'cancelled'::text])))
);
COMMENT ON TABLE tributary.workflows IS 'Workflows: a named set of steps. state: running -> completed | failed | cancelled, finalized exactly once.';
COMMENT ON COLUMN tributary.workflows.state IS 'running: some step can still run; completed: every step completed; failed: a step was discarded and nothing can run any more; cancelled: cancel_workflow() was called.';
COMMENT ON COLUMN tributary.workflows.metadata IS 'Free-form caller data (a jsonb object).';
COMMENT ON COLUMN tributary.workflows.idempotency_key IS 'Optional: create_workflow() with a key already used returns the existing workflow.';
COMMENT ON COLUMN tributary.workflows.scheduled_at IS 'No step of the workflow is claimable before this time.';
COMMENT ON COLUMN tributary.workflows.steps_total IS 'Number of steps; NULL until the graph is resolved.';
COMMENT ON COLUMN tributary.workflows.steps_unfinished IS 'Steps not yet completed, discarded or cancelled; the workflow finalizes when it reaches 0.';
COMMENT ON COLUMN tributary.workflows.cancelled_at IS 'When cancel_workflow() cancelled it.';
COMMENT ON COLUMN tributary.workflows.finalized_at IS 'When it left the running state.';
COMMENT ON COLUMN tributary.workflows.parent_step_id IS 'For a child workflow: the step that spawned it (spawn_child_workflow) and waits for it.';
COMMENT ON COLUMN tributary.workflows.parent_workflow_id IS 'For a child workflow: the workflow of parent_step_id; cancelling it cancels this one.';
CREATE VIEW tributary.schedule_status AS
 SELECT s.name,
    s.cron,
    s.time_zone,
    s.every,
    s.workflow_name,
    s.overlap,
    s.catch_up,
    s.paused,
        CASE
            WHEN (NOT s.paused) THEN s.next_fire_at
            ELSE NULL::timestamp with time zone
        END AS next_fire_at,
        CASE
            WHEN (NOT s.paused) THEN (s.next_fire_at - tributary.now())
            ELSE NULL::interval
        END AS next_fire_in,
    s.last_fire_at,
    s.last_workflow_id,
    w.state AS last_workflow_state,
    s.last_error
   FROM (tributary.schedules s
     LEFT JOIN tributary.workflows w ON ((w.id = s.last_workflow_id)));
COMMENT ON VIEW tributary.schedule_status IS 'Schedules with their timing, policies, next fire time (NULL while paused) and how long until it, and the last fire time with its workflow''s state (NULL once pruned).';
ALTER TABLE tributary.schedules ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME tributary.schedules_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE tributary.step_dependencies (
    step_id bigint NOT NULL,
    depends_on_step_id bigint NOT NULL,
    CONSTRAINT step_dependencies_not_self CHECK ((step_id <> depends_on_step_id))
);
COMMENT ON TABLE tributary.step_dependencies IS 'Resolved dependency edges: step_id runs after depends_on_step_id completed. Written by the engine from steps.depends_on.';
ALTER TABLE tributary.steps ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME tributary.steps_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE tributary.worker_processes (
    worker_id text NOT NULL,
    host text NOT NULL,
    pid integer NOT NULL,
    queues text[] NOT NULL,
    kinds text[] NOT NULL,
    package_version text NOT NULL,
    started_at timestamp with time zone NOT NULL,
    last_seen_at timestamp with time zone NOT NULL,
    CONSTRAINT worker_processes_host_length CHECK ((length(host) <= 255)),
    CONSTRAINT worker_processes_kinds_bounded CHECK ((cardinality(kinds) <= 10000)),
    CONSTRAINT worker_processes_queues_bounded CHECK ((cardinality(queues) <= 1000)),
    CONSTRAINT worker_processes_version_length CHECK ((length(package_version) <= 64)),
    CONSTRAINT worker_processes_worker_id_length CHECK (((length(worker_id) >= 1) AND (length(worker_id) <= 200)))
);
COMMENT ON TABLE tributary.worker_processes IS 'Worker processes that reported themselves: id, host, pid, queues they serve, kinds they run, package version, start and last report. Written by report_worker_process and forget_worker_process only.';
CREATE VIEW tributary.worker_process_status AS
 SELECT w.worker_id,
    w.host,
    w.pid,
    w.queues,
    w.kinds,
    w.package_version,
    w.started_at,
    w.last_seen_at,
    (w.last_seen_at >= (tributary.now() - st.lease_duration)) AS live
   FROM (tributary.worker_processes w
     CROSS JOIN tributary.settings st);
COMMENT ON VIEW tributary.worker_process_status IS 'Worker processes with their queues, kinds, version, start and last report; live when seen within one lease duration.';
CREATE VIEW tributary.unserved_queues AS
 SELECT d.queue,
    d.ready,
    d.oldest_ready_age
   FROM tributary.queue_depths d
  WHERE ((d.ready > 0) AND (NOT (EXISTS ( SELECT 1
           FROM tributary.worker_process_status w
          WHERE (w.live AND (d.queue = ANY (w.queues)))))));
COMMENT ON VIEW tributary.unserved_queues IS 'Queues with steps ready now and no live worker process serving them (no process reported that queue within one lease).';
CREATE VIEW tributary.workflow_counts AS
 SELECT w.state,
    count(*) AS count
   FROM tributary.workflows w
  GROUP BY w.state;
COMMENT ON VIEW tributary.workflow_counts IS 'How many workflows are in each state (running, completed, failed, cancelled); counts every workflow not pruned yet.';
CREATE VIEW tributary.workflow_progress AS
 SELECT w.id,
    w.name,
    w.state,
    w.steps_total,
    c.pending,
    c.available,
    c.running,
    c.completed,
    c.discarded,
    c.cancelled,
    w.created_at,
    w.finalized_at,
    (COALESCE(w.finalized_at, tributary.now()) - w.created_at) AS elapsed,
    c.skipped,
    c.waiting
   FROM (tributary.workflows w
     CROSS JOIN LATERAL ( SELECT count(*) FILTER (WHERE (s.state = 'pending'::text)) AS pending,
            count(*) FILTER (WHERE (s.state = 'available'::text)) AS available,
            count(*) FILTER (WHERE (s.state = 'running'::text)) AS running,
            count(*) FILTER (WHERE (s.state = 'completed'::text)) AS completed,
            count(*) FILTER (WHERE (s.state = 'discarded'::text)) AS discarded,
            count(*) FILTER (WHERE (s.state = 'cancelled'::text)) AS cancelled,
            count(*) FILTER (WHERE (s.state = 'skipped'::text)) AS skipped,
            count(*) FILTER (WHERE (s.state = 'waiting'::text)) AS waiting
           FROM tributary.steps s
          WHERE (s.workflow_id = w.id)) c);
COMMENT ON VIEW tributary.workflow_progress IS 'Per workflow: state and step counts by state (pending, available, running, completed, discarded, cancelled, skipped, waiting), elapsed time.';
ALTER TABLE tributary.workflows ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME tributary.workflows_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
ALTER TABLE ONLY tributary.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (id);
ALTER TABLE ONLY tributary.flow_limits
    ADD CONSTRAINT flow_limits_pkey PRIMARY KEY (scope, name);
ALTER TABLE ONLY tributary.paused_queues
    ADD CONSTRAINT paused_queues_pkey PRIMARY KEY (queue);
ALTER TABLE ONLY tributary.roles
    ADD CONSTRAINT roles_pkey PRIMARY KEY (purpose);
ALTER TABLE ONLY tributary.roles
    ADD CONSTRAINT roles_role_name_unique UNIQUE (role_name);
ALTER TABLE ONLY tributary.schedules
    ADD CONSTRAINT schedules_name_unique UNIQUE (name);
ALTER TABLE ONLY tributary.schedules
    ADD CONSTRAINT schedules_pkey PRIMARY KEY (id);
ALTER TABLE ONLY tributary.settings
    ADD CONSTRAINT settings_pkey PRIMARY KEY (singleton);
ALTER TABLE ONLY tributary.step_dependencies
    ADD CONSTRAINT step_dependencies_pkey PRIMARY KEY (step_id, depends_on_step_id);
ALTER TABLE ONLY tributary.steps
    ADD CONSTRAINT steps_pkey PRIMARY KEY (id);
ALTER TABLE ONLY tributary.steps
    ADD CONSTRAINT steps_task_name_unique_in_workflow UNIQUE (workflow_id, task_name);
ALTER TABLE ONLY tributary.worker_processes
    ADD CONSTRAINT worker_processes_pkey PRIMARY KEY (worker_id);
ALTER TABLE ONLY tributary.workflows
    ADD CONSTRAINT workflows_pkey PRIMARY KEY (id);
CREATE INDEX events_expiry_idx ON tributary.events USING btree (expires_at) WHERE (expires_at IS NOT NULL);
CREATE INDEX events_key_idx ON tributary.events USING btree (key, event, id) WHERE (key IS NOT NULL);
CREATE INDEX events_workflow_idx ON tributary.events USING btree (workflow_id, event, id) WHERE (workflow_id IS NOT NULL);
CREATE INDEX schedules_due_idx ON tributary.schedules USING btree (next_fire_at) WHERE (NOT paused);
CREATE INDEX step_dependencies_depends_on_idx ON tributary.step_dependencies USING btree (depends_on_step_id);
CREATE INDEX steps_lease_expiry_idx ON tributary.steps USING btree (lease_expires_at) WHERE (lease_expires_at IS NOT NULL);
CREATE INDEX steps_ready_idx ON tributary.steps USING btree (queue, priority DESC, scheduled_at, id) WHERE (state = 'available'::text);
CREATE INDEX steps_running_key_idx ON tributary.steps USING btree (concurrency_key) WHERE ((lease_expires_at IS NOT NULL) AND (concurrency_key IS NOT NULL));
COMMENT ON INDEX tributary.steps_running_key_idx IS 'claim_step: counts the running steps of a concurrency key that has a limit (at most the limit''s entries).';
CREATE INDEX steps_running_queue_idx ON tributary.steps USING btree (queue) WHERE (lease_expires_at > '-infinity'::timestamp with time zone);
COMMENT ON INDEX tributary.steps_running_queue_idx IS 'claim_step: counts the running steps of a queue that has a concurrency limit (at most the limit''s entries).';
CREATE INDEX steps_waiting_event_idx ON tributary.steps USING btree (((wait ->> 'event'::text)), ((wait ->> 'key'::text)), workflow_id, id) WHERE ((state = 'waiting'::text) AND (wait IS NOT NULL));
CREATE INDEX steps_wake_idx ON tributary.steps USING btree (wake_at) WHERE (wake_at IS NOT NULL);
CREATE INDEX workflows_created_at_idx ON tributary.workflows USING btree (created_at, id);
COMMENT ON INDEX tributary.workflows_created_at_idx IS 'list_workflows: every workflow, newest first, keyset-paginated on (created_at, id).';
CREATE INDEX workflows_finalized_at_idx ON tributary.workflows USING btree (finalized_at) WHERE (finalized_at IS NOT NULL);
CREATE UNIQUE INDEX workflows_idempotency_key_unique ON tributary.workflows USING btree (idempotency_key) WHERE (idempotency_key IS NOT NULL);
CREATE INDEX workflows_name_created_at_idx ON tributary.workflows USING btree (name text_pattern_ops, created_at, id);
COMMENT ON INDEX tributary.workflows_name_created_at_idx IS 'list_workflows by name (newest first) and by name prefix (text_pattern_ops: LIKE ''prefix%'' in any collation).';
CREATE INDEX workflows_parent_idx ON tributary.workflows USING btree (parent_workflow_id, id) WHERE (parent_workflow_id IS NOT NULL);
CREATE INDEX workflows_parent_step_idx ON tributary.workflows USING btree (parent_step_id, id) WHERE (parent_step_id IS NOT NULL);
COMMENT ON INDEX tributary.workflows_parent_step_idx IS 'Child workflows by the step that waits for them: the newest child resumes it, and claim_steps learns a dependency''s result was made by a child.';
CREATE INDEX workflows_state_created_at_idx ON tributary.workflows USING btree (state, created_at, id);
COMMENT ON INDEX tributary.workflows_state_created_at_idx IS 'list_workflows by state: newest first within a state, keyset-paginated on (created_at, id).';
CREATE INDEX workflows_unresolved_idx ON tributary.workflows USING btree (id) WHERE (steps_total IS NULL);
COMMENT ON INDEX tributary.workflows_unresolved_idx IS 'Directly inserted workflows not yet resolved: what the COMMIT-time resolution of a transaction reads.';
CREATE TRIGGER _010_guard_delete BEFORE DELETE ON tributary.steps FOR EACH ROW WHEN (((CURRENT_USER <> 'postgres'::name) OR (pg_trigger_depth() = 0))) EXECUTE FUNCTION tributary.tg_steps__guard_writes('postgres');
COMMENT ON TRIGGER _010_guard_delete ON tributary.steps IS 'Refuses (TB013) deleting a step but with its workflow (by the delete trigger of workflows), and any delete by roles but the owner.';
CREATE TRIGGER _010_guard_keys BEFORE UPDATE OF id, workflow_id ON tributary.steps FOR EACH ROW EXECUTE FUNCTION tributary.tg_refuse_key_change();
COMMENT ON TRIGGER _010_guard_keys ON tributary.steps IS 'Refuses (TB013) a change of a step''s id or workflow_id, even by the owner.';
CREATE TRIGGER _010_guard_keys BEFORE UPDATE OF id ON tributary.workflows FOR EACH ROW EXECUTE FUNCTION tributary.tg_refuse_key_change();
COMMENT ON TRIGGER _010_guard_keys ON tributary.workflows IS 'Refuses (TB013) a change of a workflow''s id, even by the owner.';
CREATE TRIGGER _010_guard_update BEFORE UPDATE ON tributary.step_dependencies FOR EACH ROW EXECUTE FUNCTION tributary.tg_refuse_key_change();
COMMENT ON TRIGGER _010_guard_update ON tributary.step_dependencies IS 'Refuses (TB013) any change of an edge, even by the owner.';
CREATE TRIGGER _010_guard_update BEFORE UPDATE ON tributary.steps FOR EACH ROW WHEN (((CURRENT_USER <> 'postgres'::name) OR (old.state = 'completed'::text) OR (old.remaining_deps IS NULL))) EXECUTE FUNCTION tributary.tg_steps__guard_writes('postgres');
COMMENT ON TRIGGER _010_guard_update ON tributary.steps IS 'Refuses (TB013) updates by roles but the owner, of completed steps, and of the engine columns of unresolved steps.';
CREATE TRIGGER _010_guard_writes BEFORE INSERT OR DELETE OR UPDATE ON tributary.step_dependencies FOR EACH ROW WHEN ((CURRENT_USER <> 'postgres'::name)) EXECUTE FUNCTION tributary.tg_refuse_direct_write();
COMMENT ON TRIGGER _010_guard_writes ON tributary.step_dependencies IS 'Refuses (TB013) any write by a role but the owner: edges are written only when the engine resolves a graph.';
CREATE TRIGGER _010_guard_writes BEFORE DELETE OR UPDATE ON tributary.workflows FOR EACH ROW WHEN ((CURRENT_USER <> 'postgres'::name)) EXECUTE FUNCTION tributary.tg_refuse_direct_write();
COMMENT ON TRIGGER _010_guard_writes ON tributary.workflows IS 'Refuses (TB013) an UPDATE or DELETE by any role but the owner: workflows change only through the engine''s functions.';
CREATE TRIGGER _020_begin_wait BEFORE INSERT OR UPDATE OF state ON tributary.steps FOR EACH ROW WHEN (((new.state = 'available'::text) AND (new.wait IS NOT NULL))) EXECUTE FUNCTION tributary.tg_steps__begin_wait();
COMMENT ON TRIGGER _020_begin_wait ON tributary.steps IS 'A wait or sleep step that becomes ready enters waiting (never available to workers) and gets its timer.';
CREATE TRIGGER _050_reset_direct_insert BEFORE INSERT ON tributary.workflows FOR EACH ROW WHEN (((current_setting('tributary.creating_workflow'::text, true) IS DISTINCT FROM 'on'::text) OR (CURRENT_USER <> 'postgres'::name))) EXECUTE FUNCTION tributary.tg_workflows__reset_direct_insert();
COMMENT ON TRIGGER _050_reset_direct_insert ON tributary.workflows IS 'Resets the engine columns of a directly inserted workflow, so it is resolved at COMMIT.';
CREATE TRIGGER _100_check_direct_insert BEFORE INSERT ON tributary.steps FOR EACH ROW WHEN (((current_setting('tributary.creating_workflow'::text, true) IS DISTINCT FROM 'on'::text) OR (CURRENT_USER <> 'postgres'::name))) EXECUTE FUNCTION tributary.tg_steps__check_direct_insert();
COMMENT ON TRIGGER _100_check_direct_insert ON tributary.steps IS 'Checks steps inserted directly (not through create_workflow): unique task name, workflow not yet resolved; fills omitted options.';
CREATE CONSTRAINT TRIGGER _100_resolve_at_commit AFTER INSERT ON tributary.workflows DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN ((new.steps_total IS NULL)) EXECUTE FUNCTION tributary.tg_workflows__resolve_at_commit();
COMMENT ON TRIGGER _100_resolve_at_commit ON tributary.workflows IS 'Deferred to COMMIT: resolves a directly inserted workflow''s graph exactly as create_workflow() does.';
CREATE TRIGGER _900_delete_dependencies AFTER DELETE ON tributary.steps REFERENCING OLD TABLE AS deleted_steps FOR EACH STATEMENT EXECUTE FUNCTION tributary.tg_steps__delete_dependencies();
COMMENT ON TRIGGER _900_delete_dependencies ON tributary.steps IS 'Deleted steps take their edges with them, in two statements per deleting statement.';
CREATE TRIGGER _900_delete_steps AFTER DELETE ON tributary.workflows REFERENCING OLD TABLE AS deleted_workflows FOR EACH STATEMENT EXECUTE FUNCTION tributary.tg_workflows__delete_steps();
COMMENT ON TRIGGER _900_delete_steps ON tributary.workflows IS 'A deleted workflow takes its steps with it, in one statement per deleting statement.';
CREATE TRIGGER _900_notify_slot_freed AFTER UPDATE OF state ON tributary.steps FOR EACH ROW WHEN (((old.state = 'running'::text) AND (new.state <> 'running'::text) AND old.flow_limited)) EXECUTE FUNCTION tributary.tg_steps__notify_slot_freed();
COMMENT ON TRIGGER _900_notify_slot_freed ON tributary.steps IS 'Wakes the queue''s workers when a step claimed under a concurrency or rate limit stops running.';
CREATE TRIGGER _900_resume_parent AFTER UPDATE OF state ON tributary.workflows FOR EACH ROW WHEN (((old.state = 'running'::text) AND (new.state <> 'running'::text) AND (new.parent_step_id IS NOT NULL))) EXECUTE FUNCTION tributary.tg_workflows__resume_parent();
COMMENT ON TRIGGER _900_resume_parent ON tributary.workflows IS 'A child workflow that finalized resumes the step waiting for it (completes it or fails its attempt).';
CREATE CONSTRAINT TRIGGER _900_take_sent_event AFTER INSERT OR UPDATE OF state ON tributary.steps DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (((new.state = 'waiting'::text) AND (new.wait ? 'event'::text))) EXECUTE FUNCTION tributary.tg_steps__take_sent_event();
COMMENT ON TRIGGER _900_take_sent_event ON tributary.steps IS 'At COMMIT: a wait for an event that began takes an event sent before it (tributary.events), if any.';
CREATE TRIGGER _900_truncate_dependencies AFTER TRUNCATE ON tributary.steps FOR EACH STATEMENT EXECUTE FUNCTION tributary.tg_steps__truncate_dependencies();
COMMENT ON TRIGGER _900_truncate_dependencies ON tributary.steps IS 'A TRUNCATE of steps leaves no edge behind.';
CREATE TRIGGER _900_truncate_steps AFTER TRUNCATE ON tributary.workflows FOR EACH STATEMENT EXECUTE FUNCTION tributary.tg_workflows__truncate_steps();
COMMENT ON TRIGGER _900_truncate_steps ON tributary.workflows IS 'A TRUNCATE of workflows leaves no step or edge behind.';
ALTER TABLE ONLY tributary.events
    ADD CONSTRAINT events_workflow_id_fkey FOREIGN KEY (workflow_id) REFERENCES tributary.workflows(id) ON DELETE CASCADE;
