CREATE SCHEMA tributary;
COMMENT ON SCHEMA tributary IS 'Tributary: DAG workflows run by PostgreSQL. Create with create_workflow(), work with claim_step()/complete_step()/fail_step()/heartbeat(), administer with cancel_workflow()/retry_workflow()/prune_finished() and the views.';
CREATE FUNCTION tributary._backoff(p_attempt integer, p_base interval) RETURNS interval
    LANGUAGE sql
    SET search_path TO ''
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
    SET search_path TO ''
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
    SET search_path TO ''
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
CREATE FUNCTION tributary.now() RETURNS timestamp with time zone
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO ''
    SET plan_cache_mode TO 'force_custom_plan'
    SET jit TO 'off'
    AS $$
BEGIN
  RETURN coalesce(NULLIF(pg_catalog.current_setting('tributary.fake_now', true), '')::timestamptz, pg_catalog.now());
END;
$$;
COMMENT ON FUNCTION tributary.now() IS 'The engine clock: now(), or the tributary.fake_now setting when tests set it. Every timestamp the engine writes comes from here.';
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
    CONSTRAINT steps_attempt_within_max CHECK (((attempt >= 0) AND (attempt <= max_attempts))),
    CONSTRAINT steps_attempts_left_bounded CHECK (((max_attempts - attempt) <= 1000000)),
    CONSTRAINT steps_available_means_no_remaining_deps CHECK (((state <> 'available'::text) OR (remaining_deps = 0))),
    CONSTRAINT steps_cancel_reason_iff_cancelled CHECK (((state = 'cancelled'::text) = (cancel_reason IS NOT NULL))),
    CONSTRAINT steps_depends_on_has_no_nulls CHECK ((array_position(depends_on, NULL::text) IS NULL)),
    CONSTRAINT steps_errors_is_array CHECK ((jsonb_typeof(errors) = 'array'::text)),
    CONSTRAINT steps_finalized_at_set_iff_final CHECK (((state = ANY (ARRAY['completed'::text, 'discarded'::text, 'cancelled'::text])) = (finalized_at IS NOT NULL))),
    CONSTRAINT steps_kind_length CHECK ((char_length(kind) <= 255)),
    CONSTRAINT steps_kind_not_blank CHECK ((kind <> ''::text)),
    CONSTRAINT steps_lease_set_iff_running CHECK (((state = 'running'::text) = (lease_expires_at IS NOT NULL))),
    CONSTRAINT steps_max_attempts_positive CHECK ((max_attempts >= 1)),
    CONSTRAINT steps_queue_length CHECK ((char_length(queue) <= 255)),
    CONSTRAINT steps_queue_not_blank CHECK ((queue <> ''::text)),
    CONSTRAINT steps_remaining_deps_not_negative CHECK ((remaining_deps >= 0)),
    CONSTRAINT steps_result_only_when_completed CHECK (((result IS NULL) OR (state = 'completed'::text))),
    CONSTRAINT steps_retry_backoff_bounded CHECK ((retry_backoff <= '1 year'::interval)),
    CONSTRAINT steps_retry_backoff_not_negative CHECK ((retry_backoff >= '00:00:00'::interval)),
    CONSTRAINT steps_running_has_worker CHECK (((state <> 'running'::text) OR (worker_id IS NOT NULL))),
    CONSTRAINT steps_scheduled_at_finite CHECK (isfinite(scheduled_at)),
    CONSTRAINT steps_state_valid CHECK ((state = ANY (ARRAY['pending'::text, 'available'::text, 'running'::text, 'completed'::text, 'discarded'::text, 'cancelled'::text]))),
    CONSTRAINT steps_task_name_length CHECK ((char_length(task_name) <= 255)),
    CONSTRAINT steps_task_name_not_blank CHECK ((task_name <> ''::text)),
    CONSTRAINT steps_timeout_bounded CHECK ((timeout <= '1 year'::interval)),
    CONSTRAINT steps_timeout_positive CHECK ((timeout > '00:00:00'::interval)),
    CONSTRAINT steps_worker_id_length CHECK ((char_length(worker_id) <= 255))
)
WITH (autovacuum_vacuum_scale_factor='0.02', autovacuum_vacuum_insert_scale_factor='0.02', autovacuum_analyze_scale_factor='0.02');
COMMENT ON TABLE tributary.steps IS 'Steps of workflows. state: pending -> available -> running -> completed | available (retry) | discarded | cancelled.';
COMMENT ON COLUMN tributary.steps.task_name IS 'Name of the step in its workflow; dependencies and dependency results use it.';
COMMENT ON COLUMN tributary.steps.kind IS 'Step type; a worker registered for this kind runs it.';
COMMENT ON COLUMN tributary.steps.args IS 'Arguments (jsonb; an encryption envelope when the client encrypts).';
COMMENT ON COLUMN tributary.steps.depends_on IS 'Task names of the steps this one waits for (as given by the caller).';
COMMENT ON COLUMN tributary.steps.queue IS 'Queue the step is claimed from.';
COMMENT ON COLUMN tributary.steps.priority IS 'Higher priority is claimed first; ties go to the oldest scheduled_at.';
COMMENT ON COLUMN tributary.steps.max_attempts IS 'Attempts before the step is discarded.';
COMMENT ON COLUMN tributary.steps.timeout IS 'Per-attempt time limit (NULL: none). heartbeat() returns false past it.';
COMMENT ON COLUMN tributary.steps.retry_backoff IS 'Base delay of the exponential backoff between attempts.';
COMMENT ON COLUMN tributary.steps.state IS 'pending: waiting on dependencies; available: claimable from scheduled_at on; running: claimed, under a lease; completed: result stored; discarded: attempts exhausted or non-retryable error; cancelled: can never run (see cancel_reason).';
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
COMMENT ON CONSTRAINT steps_attempts_left_bounded ON tributary.steps IS 'At most 1,000,000 attempts left: max_attempts <= 1,000,000 at creation; a release (which does not count the attempt) keeps the number left.';
CREATE FUNCTION tributary._check_attempt(p_step_id bigint, p_attempt integer) RETURNS tributary.steps
    LANGUAGE plpgsql
    SET search_path TO ''
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
CREATE FUNCTION tributary._create_role(p_purpose text, p_includes text[] DEFAULT '{}'::text[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
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
CREATE FUNCTION tributary._diagnose_task_options(p_tasks jsonb, OUT task_ordinal integer, OUT task_name text, OUT problem text) RETURNS record
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
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
CREATE FUNCTION tributary._fail_attempt(p_step tributary.steps, p_error jsonb, p_retryable boolean) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO ''
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
    SET search_path TO ''
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
CREATE FUNCTION tributary._notify_available(p_queues text[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET jit TO 'off'
    AS $$
BEGIN
  PERFORM pg_catalog.pg_notify('tributary_step_available', q)
  FROM (SELECT DISTINCT u.q FROM pg_catalog.unnest(p_queues) AS u(q) WHERE u.q IS NOT NULL) AS queues;
END;
$$;
COMMENT ON FUNCTION tributary._notify_available(p_queues text[]) IS 'Internal: NOTIFY tributary_step_available once per queue (payload: queue name).';
CREATE FUNCTION tributary._reopen_steps(p_workflow_id bigint, p_step_ids bigint[]) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO ''
    SET plan_cache_mode TO 'force_custom_plan'
    SET jit TO 'off'
    AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_candidates bigint[];
  v_reopen bigint[];
  v_count integer;
  v_queues text[];
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
  WITH reopened AS (
    UPDATE tributary.steps AS s
    SET state = CASE WHEN r.n = 0 THEN 'available' ELSE 'pending' END,
        remaining_deps = r.n,
        max_attempts = GREATEST(s.max_attempts, s.attempt + 1),
        scheduled_at = GREATEST(v_now, s.scheduled_at),
        cancel_reason = NULL,
        finalized_at = NULL
    FROM (
      SELECT s2.id,
             (SELECT pg_catalog.count(*)::integer
              FROM tributary.step_dependencies AS d
              JOIN tributary.steps AS p ON p.id = d.depends_on_step_id
              WHERE d.step_id = s2.id AND p.state <> 'completed') AS n
      FROM tributary.steps AS s2
      WHERE s2.id = ANY (v_reopen)
    ) AS r
    WHERE s.id = r.id AND s.state IN ('discarded', 'cancelled')
    RETURNING s.queue, s.state
  )
  SELECT pg_catalog.count(*)::integer,
         pg_catalog.array_agg(DISTINCT reopened.queue) FILTER (WHERE reopened.state = 'available')
  INTO v_count, v_queues
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
  RETURN v_count;
END;
$$;
COMMENT ON FUNCTION tributary._reopen_steps(p_workflow_id bigint, p_step_ids bigint[]) IS 'Internal: re-runs the given discarded/cancelled steps and the discarded/cancelled steps downstream of them (keeping completed results); the workflow runs again. Returns how many steps it reopened.';
CREATE FUNCTION tributary._resolve_workflow(p_workflow_id bigint) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    SET jit TO 'off'
    AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_total integer;
  v_bad record;
BEGIN
  PERFORM 1 FROM tributary.workflows AS w WHERE w.id = p_workflow_id FOR NO KEY UPDATE;
  SELECT pg_catalog.count(*) INTO v_total FROM tributary.steps AS s WHERE s.workflow_id = p_workflow_id;
  IF v_total = 0 THEN
    RAISE EXCEPTION 'workflow % has no steps', p_workflow_id
      USING ERRCODE = 'TB004',
            HINT = 'A workflow needs at least one step; insert its steps in the same transaction.';
  END IF;
  SELECT s.task_name, d.name INTO v_bad
  FROM tributary.steps AS s
  CROSS JOIN LATERAL pg_catalog.unnest(s.depends_on) AS d(name)
  WHERE s.workflow_id = p_workflow_id
    AND (d.name = s.task_name
         OR NOT EXISTS (SELECT 1 FROM tributary.steps AS p
                        WHERE p.workflow_id = p_workflow_id AND p.task_name = d.name))
  ORDER BY s.id
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
  INSERT INTO tributary.step_dependencies (step_id, depends_on_step_id)
  SELECT DISTINCT s.id, p.id
  FROM tributary.steps AS s
  CROSS JOIN LATERAL pg_catalog.unnest(s.depends_on) AS d(name)
  JOIN tributary.steps AS p ON p.workflow_id = s.workflow_id AND p.task_name = d.name
  WHERE s.workflow_id = p_workflow_id;
  PERFORM tributary._check_acyclic(p_workflow_id);
  -- Steps inserted directly arrive unresolved; create_workflow() inserts them resolved already.
  UPDATE tributary.steps AS s
  SET remaining_deps = r.n,
      state = CASE WHEN r.n = 0 THEN 'available' ELSE 'pending' END
  FROM (
    SELECT s2.id, (SELECT pg_catalog.count(DISTINCT d.name)::integer
                   FROM pg_catalog.unnest(s2.depends_on) AS d(name)) AS n
    FROM tributary.steps AS s2
    WHERE s2.workflow_id = p_workflow_id AND s2.remaining_deps IS NULL
  ) AS r
  WHERE s.id = r.id;
  UPDATE tributary.workflows
  SET steps_total = v_total, steps_unfinished = v_total
  WHERE id = p_workflow_id;
  PERFORM tributary._notify_available(pg_catalog.array_agg(DISTINCT s.queue))
  FROM tributary.steps AS s
  WHERE s.workflow_id = p_workflow_id AND s.state = 'available' AND s.scheduled_at <= v_now;
END;
$$;
COMMENT ON FUNCTION tributary._resolve_workflow(p_workflow_id bigint) IS 'Internal: validates a new workflow''s graph (TB004 empty, TB002 unknown dependency, TB001 cycle), writes its edges and counters, makes its root steps available.';
CREATE TABLE tributary.settings (
    singleton boolean DEFAULT true NOT NULL,
    default_queue text DEFAULT 'default'::text NOT NULL,
    default_priority integer DEFAULT 0 NOT NULL,
    default_max_attempts integer DEFAULT 5 NOT NULL,
    default_timeout interval,
    retry_backoff_base interval DEFAULT '00:00:01'::interval NOT NULL,
    retry_backoff_cap interval DEFAULT '00:10:00'::interval NOT NULL,
    lease_duration interval DEFAULT '00:01:00'::interval NOT NULL,
    CONSTRAINT settings_backoff_bounded CHECK ((retry_backoff_cap <= '1 year'::interval)),
    CONSTRAINT settings_backoff_positive CHECK (((retry_backoff_base >= '00:00:00'::interval) AND (retry_backoff_cap >= retry_backoff_base))),
    CONSTRAINT settings_lease_bounded CHECK ((lease_duration <= '1 year'::interval)),
    CONSTRAINT settings_lease_positive CHECK ((lease_duration > '00:00:00'::interval)),
    CONSTRAINT settings_max_attempts_bounded CHECK ((default_max_attempts <= 1000000)),
    CONSTRAINT settings_max_attempts_positive CHECK ((default_max_attempts >= 1)),
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
COMMENT ON COLUMN tributary.settings.retry_backoff_base IS 'Default delay before the 2nd attempt; doubles per attempt (with jitter) up to retry_backoff_cap.';
COMMENT ON COLUMN tributary.settings.retry_backoff_cap IS 'Longest delay between two attempts.';
COMMENT ON COLUMN tributary.settings.lease_duration IS 'How long a claim holds a step without a heartbeat before rescue_expired_steps() may take it back.';
CREATE FUNCTION tributary._settings() RETURNS tributary.settings
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
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
    SET search_path TO ''
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
  v_counts integer[];
  v_done bigint[];
  v_payloads text[];
BEGIN
  IF p_workflow_ids[1] = ALL (p_workflow_ids) THEN  -- one workflow: the usual case
    v_workflows := ARRAY[p_workflow_ids[1]];
    v_counts := ARRAY[pg_catalog.cardinality(p_workflow_ids)];
  ELSE
    SELECT pg_catalog.array_agg(f.id ORDER BY f.id), pg_catalog.array_agg(f.n ORDER BY f.id)
    INTO v_workflows, v_counts
    FROM (SELECT u.id, pg_catalog.count(*)::integer AS n
          FROM pg_catalog.unnest(p_workflow_ids) AS u(id)
          GROUP BY u.id) AS f;
    PERFORM 1 FROM tributary.workflows AS w WHERE w.id = ANY (v_workflows) ORDER BY w.id FOR NO KEY UPDATE;
  END IF;
  IF v_workflows[1] IS NULL THEN
    RETURN;
  END IF;
  WITH counted AS (
    UPDATE tributary.workflows AS w
    SET steps_unfinished = w.steps_unfinished - finished.n
    FROM unnest(v_workflows, v_counts) AS finished(workflow_id, n)
    WHERE w.id = finished.workflow_id
      AND w.id = ANY (v_workflows)  -- redundant: makes every join order an index lookup
    RETURNING w.id, w.steps_unfinished, w.state
  )
  SELECT pg_catalog.array_agg(counted.id) INTO v_done
  FROM counted
  WHERE counted.steps_unfinished = 0 AND counted.state = 'running';
  IF v_done IS NULL THEN
    RETURN;
  END IF;
  WITH finalized AS (
    UPDATE tributary.workflows AS w
    SET state = CASE
                  WHEN w.cancelled_at IS NOT NULL THEN 'cancelled'
                  WHEN EXISTS (SELECT 1 FROM tributary.steps AS s
                               WHERE s.workflow_id = w.id AND s.state = 'discarded') THEN 'failed'
                  ELSE 'completed'
                END,
        finalized_at = v_now
    WHERE w.id = ANY (v_done)
    RETURNING pg_catalog.json_build_object('workflow_id', w.id, 'state', w.state)::text AS payload
  )
  SELECT pg_catalog.array_agg(finalized.payload) INTO v_payloads FROM finalized;
  PERFORM pg_catalog.pg_notify('tributary_workflow_finalized', p.payload)
  FROM pg_catalog.unnest(v_payloads) AS p(payload);
END;
$$;
COMMENT ON FUNCTION tributary._settle_workflows(p_workflow_ids bigint[]) IS 'Internal: given the workflow id of each step that reached a final state, counts them against their workflows and finalizes (exactly once) each workflow left with nothing unfinished.';
CREATE FUNCTION tributary._unlock_dependents(p_step_ids bigint[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET jit TO 'off'
    AS $$
DECLARE
  v_children bigint[];
  v_counts integer[];
  v_now timestamptz := tributary.now();
  v_queues text[];
BEGIN
  -- The dependents of the completed steps, and how many of their dependencies just completed:
  -- read from the edges index only. Most steps of wide workflows have none.
  SELECT pg_catalog.array_agg(c.step_id ORDER BY c.step_id), pg_catalog.array_agg(c.n ORDER BY c.step_id)
  INTO v_children, v_counts
  FROM (SELECT d.step_id, pg_catalog.count(*)::integer AS n
        FROM tributary.step_dependencies AS d
        WHERE d.depends_on_step_id = ANY (p_step_ids)
        GROUP BY d.step_id) AS c;
  IF v_children IS NULL THEN
    RETURN;
  END IF;
  IF pg_catalog.cardinality(v_children) > 1 THEN  -- one row needs no lock order
    PERFORM 1 FROM tributary.steps AS s
    WHERE s.id = ANY (v_children) AND s.state = 'pending'
    ORDER BY s.id
    FOR NO KEY UPDATE;
  END IF;
  WITH unlocked AS (
    UPDATE tributary.steps AS s
    SET remaining_deps = s.remaining_deps - done.n,
        state = CASE WHEN s.remaining_deps = done.n THEN 'available' ELSE 'pending' END
    FROM unnest(v_children, v_counts) AS done(step_id, n)
    WHERE s.id = done.step_id AND s.state = 'pending'
      AND s.id = ANY (v_children)  -- redundant: makes every join order an index lookup
    RETURNING s.queue, s.state, s.scheduled_at
  )
  SELECT pg_catalog.array_agg(DISTINCT u.queue) INTO v_queues
  FROM unlocked AS u
  WHERE u.state = 'available' AND u.scheduled_at <= v_now;
  IF v_queues IS NOT NULL THEN
    PERFORM tributary._notify_available(v_queues);
  END IF;
END;
$$;
COMMENT ON FUNCTION tributary._unlock_dependents(p_step_ids bigint[]) IS 'Internal: after steps completed, counts down their dependents'' remaining_deps and makes those at 0 available. O(out-degree).';
CREATE FUNCTION tributary.cancel_workflow(p_workflow_id bigint, p_reason text DEFAULT 'workflow cancelled'::text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    SET plan_cache_mode TO 'force_custom_plan'
    SET jit TO 'off'
    AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_cancelled bigint[];
  v_unresolved boolean;
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
  PERFORM 1 FROM tributary.steps AS s
  WHERE s.workflow_id = p_workflow_id AND s.state IN ('pending', 'available', 'running')
  ORDER BY s.id
  FOR NO KEY UPDATE;
  WITH cancelled AS (
    UPDATE tributary.steps AS s
    SET state = 'cancelled',
        cancel_reason = coalesce(p_reason, 'workflow cancelled'),
        finalized_at = v_now,
        lease_expires_at = NULL,
        deadline_at = NULL
    WHERE s.workflow_id = p_workflow_id AND s.state IN ('pending', 'available', 'running')
    RETURNING s.id
  )
  SELECT pg_catalog.array_agg(cancelled.id) INTO v_cancelled FROM cancelled;
  IF v_cancelled IS NULL THEN
    RETURN false;
  END IF;
  UPDATE tributary.workflows SET cancelled_at = v_now WHERE id = p_workflow_id;
  PERFORM tributary._settle_workflows(pg_catalog.array_fill(p_workflow_id, ARRAY[pg_catalog.cardinality(v_cancelled)]));
  RETURN true;
END;
$$;
COMMENT ON FUNCTION tributary.cancel_workflow(p_workflow_id bigint, p_reason text) IS 'Cancels every unfinished step of a workflow (running ones learn it via heartbeat/complete_step) and finalizes it as cancelled. false if already finished; TB009 unknown workflow.';
CREATE FUNCTION tributary.claim_step(p_queue text, p_worker_id text, p_max_steps integer DEFAULT 1) RETURNS TABLE(step_id bigint, workflow_id bigint, task_name text, kind text, args jsonb, attempt integer, max_attempts integer, queue text, priority integer, timeout interval, deadline_at timestamp with time zone, lease_expires_at timestamp with time zone, dependency_results jsonb, has_dependents boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
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
BEGIN
  IF p_max_steps IS NULL OR p_max_steps < 1 THEN
    RAISE EXCEPTION 'max_steps must be at least 1, got %', p_max_steps
      USING ERRCODE = 'TB012';
  END IF;
  RETURN QUERY
  WITH ready AS (
    SELECT s.id
    FROM tributary.steps AS s
    WHERE s.state = 'available' AND s.queue = p_queue AND s.scheduled_at <= v_now
    ORDER BY s.priority DESC, s.scheduled_at, s.id
    LIMIT p_max_steps
    FOR NO KEY UPDATE SKIP LOCKED
  ), claimed AS (
    UPDATE tributary.steps AS s
    SET state = 'running',
        attempt = s.attempt + 1,
        attempted_at = v_now,
        worker_id = p_worker_id,
        lease_expires_at = LEAST(v_now + v_lease, v_now + s.timeout),
        deadline_at = v_now + s.timeout
    FROM ready
    WHERE s.id = ready.id
      AND s.id = ANY (ARRAY(SELECT r.id FROM ready AS r))  -- redundant: every join order is an index lookup
    RETURNING s.id, s.workflow_id, s.task_name, s.kind, s.args, s.attempt, s.max_attempts, s.queue,
              s.priority, s.scheduled_at, s.timeout, s.deadline_at, s.lease_expires_at, s.depends_on
  )
  SELECT c.id, c.workflow_id, c.task_name, c.kind, c.args, c.attempt, c.max_attempts, c.queue,
         c.priority, c.timeout, c.deadline_at, c.lease_expires_at,
         CASE WHEN pg_catalog.cardinality(c.depends_on) = 0 THEN '{}'::jsonb
              ELSE (SELECT pg_catalog.jsonb_object_agg(p.task_name, p.result)
                    FROM tributary.steps AS p
                    WHERE p.workflow_id = c.workflow_id AND p.task_name = ANY (c.depends_on))
         END,
         EXISTS (SELECT 1 FROM tributary.step_dependencies AS d WHERE d.depends_on_step_id = c.id)
  FROM claimed AS c
  ORDER BY c.priority DESC, c.scheduled_at, c.id;
END;
$$;
COMMENT ON FUNCTION tributary.claim_step(p_queue text, p_worker_id text, p_max_steps integer) IS 'Claims up to p_max_steps ready steps of a queue (FOR NO KEY UPDATE SKIP LOCKED; priority desc, scheduled_at, id): running, attempt+1, leased. Returns args and the direct dependencies'' results keyed by task name.';
CREATE FUNCTION tributary.complete_step(p_step_id bigint, p_attempt integer, p_result jsonb DEFAULT NULL::jsonb) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
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
    SET search_path TO ''
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET jit TO 'off'
    AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_completed bigint[];
  v_workflow_ids bigint[];
  v_outcomes text[];
  v_i integer;
BEGIN
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
    WITH input AS (
      SELECT i.id, i.attempt, i.result
      FROM unnest(p_step_ids, p_attempts, p_results) AS i(id, attempt, result)
    ), done AS (
      UPDATE tributary.steps AS s
      SET state = 'completed',
          result = input.result,
          finalized_at = v_now,
          lease_expires_at = NULL,
          deadline_at = NULL
      FROM input
      WHERE s.id = input.id AND s.attempt = input.attempt AND s.state = 'running'
        AND s.id = ANY (p_step_ids)  -- redundant: makes every join order an index lookup
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
  RETURN QUERY
  SELECT i.id,
         CASE
           WHEN i.id = ANY (v_completed) AND s.attempt = i.attempt THEN 'completed'
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
CREATE FUNCTION tributary.create_workflow(p_name text, p_tasks jsonb, p_scheduled_at timestamp with time zone DEFAULT NULL::timestamp with time zone, p_metadata jsonb DEFAULT '{}'::jsonb, p_idempotency_key text DEFAULT NULL::text) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    SET jit TO 'off'
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
  INSERT INTO tributary.workflows (name, metadata, idempotency_key, scheduled_at, steps_total, steps_unfinished)
  VALUES (p_name, coalesce(p_metadata, '{}'), p_idempotency_key, v_scheduled_at, v_count, v_count)
  ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING id INTO v_id;
  IF v_id IS NULL THEN
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
  PERFORM tributary._resolve_workflow(v_id);
  RETURN v_id;
END;
$$;
COMMENT ON FUNCTION tributary.create_workflow(p_name text, p_tasks jsonb, p_scheduled_at timestamp with time zone, p_metadata jsonb, p_idempotency_key text) IS 'Creates a workflow and its steps atomically from a JSON array of tasks {name, kind, args, depends_on, queue, priority, max_attempts, timeout, retry_backoff, scheduled_at}; returns its id. Errors: TB005 invalid task, TB003 duplicate name, TB002 unknown dependency, TB001 cycle, TB004 empty. Same idempotency key -> same id.';
CREATE FUNCTION tributary.fail_step(p_step_id bigint, p_attempt integer, p_error jsonb, p_retryable boolean DEFAULT true) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
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
CREATE FUNCTION tributary.get_workflow(p_workflow_id bigint) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
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
           'steps', coalesce((
             SELECT pg_catalog.jsonb_object_agg(s.task_name, pg_catalog.jsonb_build_object(
                      'id', s.id, 'kind', s.kind, 'state', s.state, 'attempt', s.attempt,
                      'max_attempts', s.max_attempts, 'queue', s.queue, 'result', s.result,
                      'errors', s.errors, 'cancel_reason', s.cancel_reason,
                      'finalized_at', s.finalized_at))
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
COMMENT ON FUNCTION tributary.get_workflow(p_workflow_id bigint) IS 'One workflow as jsonb: state, timestamps, and per task name its state, attempt, result, errors, cancel reason. TB009 unknown workflow.';
CREATE FUNCTION tributary.heartbeat(p_step_id bigint, p_attempt integer) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
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
    SET search_path TO ''
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
BEGIN
  IF pg_catalog.cardinality(p_step_ids) IS DISTINCT FROM pg_catalog.cardinality(p_attempts) THEN
    RAISE EXCEPTION 'step ids and attempts must have the same length' USING ERRCODE = 'TB012';
  END IF;
  PERFORM 1 FROM tributary.steps AS s WHERE s.id = ANY (p_step_ids) ORDER BY s.id FOR NO KEY UPDATE;
  RETURN QUERY
  UPDATE tributary.steps AS s
  SET lease_expires_at = LEAST(v_now + v_lease, s.deadline_at)
  FROM unnest(p_step_ids, p_attempts) AS i(id, attempt)
  WHERE s.id = i.id AND s.attempt = i.attempt AND s.state = 'running'
    AND s.id = ANY (p_step_ids)  -- redundant: makes every join order an index lookup
    AND (s.deadline_at IS NULL OR s.deadline_at > v_now)
  RETURNING s.id;
END;
$$;
COMMENT ON FUNCTION tributary.heartbeat_steps(p_step_ids bigint[], p_attempts integer[]) IS 'Batch heartbeat: extends the leases still held (within their deadline) and returns those step ids; a missing id was lost.';
CREATE FUNCTION tributary.prune_finished(p_older_than interval, p_limit integer DEFAULT 1000) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    SET jit TO 'off'
    AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_count integer;
BEGIN
  IF p_limit IS NULL OR p_limit < 1 THEN
    RAISE EXCEPTION 'limit must be at least 1, got %', p_limit USING ERRCODE = 'TB012';
  END IF;
  IF p_older_than IS NULL OR p_older_than < interval '0' OR NOT pg_catalog.isfinite(p_older_than) THEN
    RAISE EXCEPTION 'older_than must be a finite interval of at least 0, got %', coalesce(p_older_than::text, 'NULL')
      USING ERRCODE = 'TB012',
            HINT = 'A negative interval would delete workflows finalized a moment ago (or in the future of a skewed clock).';
  END IF;
  WITH doomed AS (
    SELECT w.id FROM tributary.workflows AS w
    WHERE w.finalized_at < v_now - p_older_than
    ORDER BY w.finalized_at
    LIMIT p_limit
    FOR NO KEY UPDATE SKIP LOCKED
  ), deleted AS (
    DELETE FROM tributary.workflows AS w USING doomed WHERE w.id = doomed.id RETURNING w.id
  )
  SELECT pg_catalog.count(*)::integer INTO v_count FROM deleted;
  RETURN v_count;
END;
$$;
COMMENT ON FUNCTION tributary.prune_finished(p_older_than interval, p_limit integer) IS 'Deletes up to p_limit workflows (with steps and edges) finalized more than p_older_than (>= 0) ago; call until it returns 0. TB012 for a negative interval or a limit below 1.';
CREATE FUNCTION tributary.release_steps(p_step_ids bigint[], p_attempts integer[]) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
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
BEGIN
  IF pg_catalog.cardinality(p_step_ids) IS DISTINCT FROM pg_catalog.cardinality(p_attempts) THEN
    RAISE EXCEPTION 'step ids and attempts must have the same length' USING ERRCODE = 'TB012';
  END IF;
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
    FROM unnest(p_step_ids, p_attempts) AS i(id, attempt)
    WHERE s.id = i.id AND s.attempt = i.attempt AND s.state = 'running'
      AND s.id = ANY (p_step_ids)  -- redundant: makes every join order an index lookup
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
CREATE FUNCTION tributary.rescue_expired_steps(p_limit integer DEFAULT 1000) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
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
CREATE FUNCTION tributary.retry_step(p_step_id bigint) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
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
    SET search_path TO ''
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
CREATE FUNCTION tributary.tg_refuse_direct_write() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
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
CREATE FUNCTION tributary.tg_steps__check_direct_insert() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
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
    NEW.retry_backoff := coalesce(NEW.retry_backoff, v_settings.retry_backoff_base);
  END IF;
  SELECT w.steps_total, w.scheduled_at INTO v_workflow
  FROM tributary.workflows AS w WHERE w.id = NEW.workflow_id;
  IF NOT FOUND THEN
    RETURN NEW;  -- the foreign key reports the unknown workflow
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
COMMENT ON FUNCTION tributary.tg_steps__check_direct_insert() IS 'Trigger: checks a directly inserted step (TB003 duplicate task name, TB010 workflow already resolved), fills its omitted options from settings and resets its engine columns.';
CREATE FUNCTION tributary.tg_steps__guard_writes() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
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
      RETURN OLD;  -- cascaded from the deletion of its workflow
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
CREATE FUNCTION tributary.tg_workflows__reset_direct_insert() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
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
    SET search_path TO ''
    SET jit TO 'off'
    AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM tributary.workflows AS w WHERE w.id = NEW.id AND w.steps_total IS NULL) THEN
    PERFORM tributary._resolve_workflow(NEW.id);
  END IF;
  RETURN NULL;
END;
$$;
COMMENT ON FUNCTION tributary.tg_workflows__resolve_at_commit() IS 'Trigger: at COMMIT, resolves and validates the graph of a workflow whose steps were inserted directly.';
CREATE VIEW tributary.queue_depths AS
 SELECT s.queue,
    count(*) FILTER (WHERE ((s.state = 'available'::text) AND (s.scheduled_at <= tributary.now()))) AS ready,
    count(*) FILTER (WHERE ((s.state = 'available'::text) AND (s.scheduled_at > tributary.now()))) AS scheduled,
    count(*) FILTER (WHERE (s.state = 'running'::text)) AS running,
    (tributary.now() - min(s.scheduled_at) FILTER (WHERE ((s.state = 'available'::text) AND (s.scheduled_at <= tributary.now())))) AS oldest_ready_age
   FROM tributary.steps s
  WHERE (s.state = ANY (ARRAY['available'::text, 'running'::text]))
  GROUP BY s.queue;
COMMENT ON VIEW tributary.queue_depths IS 'Per queue: steps ready now, scheduled for later (delay or backoff), running, and the age of the oldest ready step.';
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
    CONSTRAINT workflows_cancelled_state_has_cancelled_at CHECK (((state <> 'cancelled'::text) OR (cancelled_at IS NOT NULL))),
    CONSTRAINT workflows_counters_in_range CHECK (((steps_unfinished >= 0) AND (steps_unfinished <= steps_total))),
    CONSTRAINT workflows_counters_resolved_together CHECK (((steps_total IS NULL) = (steps_unfinished IS NULL))),
    CONSTRAINT workflows_final_means_nothing_unfinished CHECK (((state = 'running'::text) OR (steps_unfinished = 0))),
    CONSTRAINT workflows_finalized_at_set_iff_final CHECK (((state = 'running'::text) = (finalized_at IS NULL))),
    CONSTRAINT workflows_idempotency_key_length CHECK ((char_length(idempotency_key) <= 255)),
    CONSTRAINT workflows_metadata_is_object CHECK ((jsonb_typeof(metadata) = 'object'::text)),
    CONSTRAINT workflows_name_length CHECK ((char_length(name) <= 255)),
    CONSTRAINT workflows_name_not_blank CHECK ((name <> ''::text)),
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
    (COALESCE(w.finalized_at, tributary.now()) - w.created_at) AS elapsed
   FROM (tributary.workflows w
     CROSS JOIN LATERAL ( SELECT count(*) FILTER (WHERE (s.state = 'pending'::text)) AS pending,
            count(*) FILTER (WHERE (s.state = 'available'::text)) AS available,
            count(*) FILTER (WHERE (s.state = 'running'::text)) AS running,
            count(*) FILTER (WHERE (s.state = 'completed'::text)) AS completed,
            count(*) FILTER (WHERE (s.state = 'discarded'::text)) AS discarded,
            count(*) FILTER (WHERE (s.state = 'cancelled'::text)) AS cancelled
           FROM tributary.steps s
          WHERE (s.workflow_id = w.id)) c);
COMMENT ON VIEW tributary.workflow_progress IS 'Per workflow: state and step counts by state (pending, available, running, completed, discarded, cancelled), elapsed time.';
ALTER TABLE tributary.workflows ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME tributary.workflows_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
ALTER TABLE ONLY tributary.roles
    ADD CONSTRAINT roles_pkey PRIMARY KEY (purpose);
ALTER TABLE ONLY tributary.roles
    ADD CONSTRAINT roles_role_name_unique UNIQUE (role_name);
ALTER TABLE ONLY tributary.settings
    ADD CONSTRAINT settings_pkey PRIMARY KEY (singleton);
ALTER TABLE ONLY tributary.step_dependencies
    ADD CONSTRAINT step_dependencies_pkey PRIMARY KEY (step_id, depends_on_step_id);
ALTER TABLE ONLY tributary.steps
    ADD CONSTRAINT steps_pkey PRIMARY KEY (id);
ALTER TABLE ONLY tributary.steps
    ADD CONSTRAINT steps_task_name_unique_in_workflow UNIQUE (workflow_id, task_name);
ALTER TABLE ONLY tributary.workflows
    ADD CONSTRAINT workflows_pkey PRIMARY KEY (id);
CREATE INDEX step_dependencies_depends_on_idx ON tributary.step_dependencies USING btree (depends_on_step_id);
CREATE INDEX steps_lease_expiry_idx ON tributary.steps USING btree (lease_expires_at) WHERE (lease_expires_at IS NOT NULL);
CREATE INDEX steps_ready_idx ON tributary.steps USING btree (queue, priority DESC, scheduled_at, id) WHERE (state = 'available'::text);
CREATE INDEX workflows_finalized_at_idx ON tributary.workflows USING btree (finalized_at) WHERE (finalized_at IS NOT NULL);
CREATE UNIQUE INDEX workflows_idempotency_key_unique ON tributary.workflows USING btree (idempotency_key) WHERE (idempotency_key IS NOT NULL);
CREATE TRIGGER _010_guard_delete BEFORE DELETE ON tributary.steps FOR EACH ROW WHEN (((CURRENT_USER <> 'postgres'::name) OR (pg_trigger_depth() = 0))) EXECUTE FUNCTION tributary.tg_steps__guard_writes('postgres');
COMMENT ON TRIGGER _010_guard_delete ON tributary.steps IS 'Refuses (TB013) deleting a step but with its workflow (a cascade), and any delete by roles but the owner.';
CREATE TRIGGER _010_guard_update BEFORE UPDATE ON tributary.steps FOR EACH ROW WHEN (((CURRENT_USER <> 'postgres'::name) OR (old.state = 'completed'::text) OR (old.remaining_deps IS NULL))) EXECUTE FUNCTION tributary.tg_steps__guard_writes('postgres');
COMMENT ON TRIGGER _010_guard_update ON tributary.steps IS 'Refuses (TB013) updates by roles but the owner, of completed steps, and of the engine columns of unresolved steps.';
CREATE TRIGGER _010_guard_writes BEFORE INSERT OR DELETE OR UPDATE ON tributary.step_dependencies FOR EACH ROW WHEN ((CURRENT_USER <> 'postgres'::name)) EXECUTE FUNCTION tributary.tg_refuse_direct_write();
COMMENT ON TRIGGER _010_guard_writes ON tributary.step_dependencies IS 'Refuses (TB013) any write by a role but the owner: edges are written only when the engine resolves a graph.';
CREATE TRIGGER _010_guard_writes BEFORE DELETE OR UPDATE ON tributary.workflows FOR EACH ROW WHEN ((CURRENT_USER <> 'postgres'::name)) EXECUTE FUNCTION tributary.tg_refuse_direct_write();
COMMENT ON TRIGGER _010_guard_writes ON tributary.workflows IS 'Refuses (TB013) an UPDATE or DELETE by any role but the owner: workflows change only through the engine''s functions.';
CREATE TRIGGER _050_reset_direct_insert BEFORE INSERT ON tributary.workflows FOR EACH ROW WHEN (((current_setting('tributary.creating_workflow'::text, true) IS DISTINCT FROM 'on'::text) OR (CURRENT_USER <> 'postgres'::name))) EXECUTE FUNCTION tributary.tg_workflows__reset_direct_insert();
COMMENT ON TRIGGER _050_reset_direct_insert ON tributary.workflows IS 'Resets the engine columns of a directly inserted workflow, so it is resolved at COMMIT.';
CREATE TRIGGER _100_check_direct_insert BEFORE INSERT ON tributary.steps FOR EACH ROW WHEN (((current_setting('tributary.creating_workflow'::text, true) IS DISTINCT FROM 'on'::text) OR (CURRENT_USER <> 'postgres'::name))) EXECUTE FUNCTION tributary.tg_steps__check_direct_insert();
COMMENT ON TRIGGER _100_check_direct_insert ON tributary.steps IS 'Checks steps inserted directly (not through create_workflow): unique task name, workflow not yet resolved; fills omitted options.';
CREATE CONSTRAINT TRIGGER _100_resolve_at_commit AFTER INSERT ON tributary.workflows DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN ((new.steps_total IS NULL)) EXECUTE FUNCTION tributary.tg_workflows__resolve_at_commit();
COMMENT ON TRIGGER _100_resolve_at_commit ON tributary.workflows IS 'Deferred to COMMIT: resolves a directly inserted workflow''s graph exactly as create_workflow() does.';
ALTER TABLE ONLY tributary.step_dependencies
    ADD CONSTRAINT step_dependencies_depends_on_step_id_fkey FOREIGN KEY (depends_on_step_id) REFERENCES tributary.steps(id) ON DELETE CASCADE;
ALTER TABLE ONLY tributary.step_dependencies
    ADD CONSTRAINT step_dependencies_step_id_fkey FOREIGN KEY (step_id) REFERENCES tributary.steps(id) ON DELETE CASCADE;
ALTER TABLE ONLY tributary.steps
    ADD CONSTRAINT steps_workflow_id_fkey FOREIGN KEY (workflow_id) REFERENCES tributary.workflows(id) ON DELETE CASCADE;
