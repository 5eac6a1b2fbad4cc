-- Deploy tributary_test:functions/steps_claimable_are
-- requires: functions/_workflow
-- requires: functions/_claimable_tasks
-- requires: functions/_explain_step
-- requires: functions/_tap
--
-- pgTAP assertion: the tasks of workflow p_workflow_id a worker could claim now are exactly
-- p_task_names (in any order; an empty array: none), as tributary.claim_step decides at the
-- engine clock's time. On failure the diagnostics give both sorted lists and, for each task in
-- one but not the other, where it stands. An unknown workflow fails the test. Changes nothing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary_test.steps_claimable_are(
  p_workflow_id bigint,
  p_task_names text[],
  p_description text DEFAULT NULL
)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_want text[] := ARRAY(SELECT DISTINCT t FROM unnest(p_task_names) AS t ORDER BY t);
  v_description text := coalesce(p_description,
    pg_catalog.format('workflow %s should have claimable tasks %s', p_workflow_id, v_want));
  v_have text[];
BEGIN
  BEGIN
    PERFORM tributary_test._workflow(p_workflow_id);
  EXCEPTION WHEN SQLSTATE 'TB009' THEN
    RETURN tributary_test._tap(false, v_description, SQLERRM, v_want::text);
  END;
  v_have := tributary_test._claimable_tasks(p_workflow_id);
  RETURN tributary_test._tap(
    v_have = v_want, v_description, v_have::text, v_want::text,
    ARRAY(SELECT pg_catalog.format('task "%s": %s', s.task_name, tributary_test._explain_step(s))
          FROM tributary.steps AS s
          WHERE s.workflow_id = p_workflow_id
            AND (s.task_name = ANY (v_want)) IS DISTINCT FROM (s.task_name = ANY (v_have))
          ORDER BY s.task_name)
    || ARRAY(SELECT pg_catalog.format('task "%s": not in workflow %s', t, p_workflow_id)
             FROM unnest(v_want) AS t
             WHERE NOT EXISTS (SELECT 1 FROM tributary.steps AS s WHERE s.workflow_id = p_workflow_id AND s.task_name = t)));
END;
$$;

COMMENT ON FUNCTION tributary_test.steps_claimable_are(bigint, text[], text) IS
  'Testing kit, pgTAP assertion: the tasks of the workflow tributary.claim_step would claim now are exactly p_task_names (any order).';

COMMIT;
