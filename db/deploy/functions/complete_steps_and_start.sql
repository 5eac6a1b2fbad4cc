-- Deploy tributary:functions/complete_steps_and_start
-- requires: functions/complete_steps_and_claim
-- requires: functions/create_workflows
-- requires: functions/fail_step
-- requires: functions/search_path_temp_last
--
-- complete_steps_and_claim for steps that start workflows when they complete: element i of
-- p_workflows_to_start (NULL, or a JSON array of workflows as create_workflows takes them) is
-- created if and only if step i completes in this call, in the same transaction. A step that is
-- stale, cancelled or already completed (a repeated call) starts nothing, so a retried handler
-- or a repeated report never starts a workflow twice. Then the claims, as complete_steps_and_claim
-- makes them, on those queues of p_queues where this call made steps claimable (its completions'
-- dependents, its started workflows' first steps): a caller may list every queue it serves, and
-- no queue where nothing became claimable costs a claim.
-- Refused up front (TB012), before anything is completed: arrays of other lengths or shapes
-- (not one-dimensional from 1), a NULL step id or attempt, a (step, attempt) listed twice, an
-- element that is neither NULL nor a JSON array. A NULL p_workflows_to_start starts nothing.
-- Contained per step: when one step's workflows cannot be created (an invalid workflow), the
-- batch is done again step by step, each in its own subtransaction; that step's attempt fails
-- (fail_step, retryable: the error names the workflow and the reason, sqlstate set) and nothing
-- it would start exists; its outcome is 'failed'. The other steps complete and start theirs. A
-- passing condition (SQLSTATE classes 40, 53, 55, 57, 58: a deadlock, a lock timeout, ...) is
-- nobody's fault: the call raises it, nothing is done, and the caller tries again.
-- Privileges: it runs as its caller (SECURITY INVOKER), and creates through create_workflows, so
-- starting workflows needs the caller's right to create them (the submitter role) on top of the
-- worker role's right to complete. Without it, each step that would start workflows fails its
-- attempt as above (SQLSTATE 42501 in its error), and the others complete.
-- Cost: complete_steps_and_claim plus create_workflows of the started workflows, one call each.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.complete_steps_and_start(
  p_step_ids bigint[],
  p_attempts integer[],
  p_results jsonb[],
  p_workflows_to_start jsonb[],
  p_worker_id text,
  p_queues text[],
  p_max_steps integer[]
)
RETURNS TABLE (
  outcome text,
  step_id bigint,
  workflow_id bigint,
  task_name text,
  kind text,
  args jsonb,
  attempt integer,
  max_attempts integer,
  queue text,
  priority integer,
  timeout interval,
  deadline_at timestamptz,
  lease_expires_at timestamptz,
  dependency_results jsonb,
  dependency_attempts jsonb,
  has_dependents boolean,
  map_element jsonb
)
LANGUAGE plpgsql
VOLATILE
SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
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
  v_setting text;  -- what set_config returns
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
  v_setting := pg_catalog.set_config('tributary.deferred_available', '', true);
  v_setting := pg_catalog.set_config('tributary.defer_available', pg_catalog.pg_current_xact_id()::text, true);

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

COMMENT ON FUNCTION tributary.complete_steps_and_start(bigint[], integer[], jsonb[], jsonb[], text, text[], integer[]) IS
  'complete_steps_and_claim for steps that start workflows: p_workflows_to_start[i] (a JSON array of workflows as create_workflows takes them, or NULL) is created if and only if step i completes in this call, in its transaction; a step whose workflows cannot be created fails its attempt (outcome failed). Claims on the queues of p_queues where the call made steps claimable. Runs as its caller: starting workflows needs the submitter role (42501). TB012 for mismatched lengths or a non-array element.';

COMMIT;
