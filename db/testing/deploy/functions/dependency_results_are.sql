-- Deploy tributary_test:functions/dependency_results_are
-- requires: functions/_step
-- requires: functions/_explain_step
-- requires: functions/_tap
-- requires: tables/claims
--
-- pgTAP assertion: the latest claim of task p_task_name of workflow p_workflow_id by the fake
-- worker (tributary_test.claim or run) received p_results as its dependency results, the jsonb
-- object of its direct dependencies' results keyed by task name that tributary.claim_step
-- delivers (jsonb equality). A step the kit never claimed fails the test, as does an unknown
-- workflow or task. Locks nothing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary_test.dependency_results_are(
  p_workflow_id bigint,
  p_task_name text,
  p_results jsonb,
  p_description text DEFAULT NULL
)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_description text := coalesce(p_description,
    pg_catalog.format('task "%s" of workflow %s should receive dependency results %s', p_task_name, p_workflow_id,
                      coalesce(p_results::text, 'NULL')));
  v_step tributary.steps;
  v_claim tributary_test.claims;
BEGIN
  BEGIN
    v_step := tributary_test._step(p_workflow_id, p_task_name);
  EXCEPTION WHEN SQLSTATE 'TB006' OR SQLSTATE 'TB009' THEN
    RETURN tributary_test._tap(false, v_description, SQLERRM, p_results::text);
  END;
  SELECT * INTO v_claim FROM tributary_test.claims AS c WHERE c.step_id = v_step.id ORDER BY c.attempt DESC LIMIT 1;
  IF NOT FOUND THEN
    RETURN tributary_test._tap(false, v_description, 'never claimed by tributary_test.claim or run', p_results::text,
      ARRAY[pg_catalog.format('task "%s": %s', p_task_name, tributary_test._explain_step(v_step))]);
  END IF;
  RETURN tributary_test._tap(
    v_claim.dependency_results = p_results, v_description, v_claim.dependency_results::text, p_results::text,
    ARRAY[pg_catalog.format('as claimed by attempt %s (worker %s) at %s', v_claim.attempt, v_claim.worker_id,
                            v_claim.claimed_at)]);
END;
$$;

COMMENT ON FUNCTION tributary_test.dependency_results_are(bigint, text, jsonb, text) IS
  'Testing kit, pgTAP assertion: the latest claim of the task by the fake worker received p_results as its dependency results (keyed by task name).';

COMMIT;
