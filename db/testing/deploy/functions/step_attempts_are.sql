-- Deploy tributary_test:functions/step_attempts_are
-- requires: functions/_step
-- requires: functions/_explain_step
-- requires: functions/_tap
--
-- pgTAP assertion: task p_task_name of workflow p_workflow_id has been attempted p_attempts
-- times (its attempt number: every claim counts, released ones included). On failure the
-- diagnostics list its error history, one attempt a line, and where it stands. An unknown
-- workflow or task fails the test. Locks nothing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary_test.step_attempts_are(
  p_workflow_id bigint,
  p_task_name text,
  p_attempts integer,
  p_description text DEFAULT NULL
)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_description text := coalesce(p_description,
    pg_catalog.format('task "%s" of workflow %s should have %s attempts', p_task_name, p_workflow_id, p_attempts));
  v_step tributary.steps;
BEGIN
  BEGIN
    v_step := tributary_test._step(p_workflow_id, p_task_name);
  EXCEPTION WHEN SQLSTATE 'TB006' OR SQLSTATE 'TB009' THEN
    RETURN tributary_test._tap(false, v_description, SQLERRM, p_attempts::text);
  END;
  RETURN tributary_test._tap(
    v_step.attempt = p_attempts, v_description, v_step.attempt::text, p_attempts::text,
    ARRAY(SELECT pg_catalog.format('attempt %s: %s%s', e.entry->>'attempt', e.entry->>'message',
                                   coalesce(' (' || (e.entry->>'reason') || ')', ''))
          FROM pg_catalog.jsonb_array_elements(v_step.errors) WITH ORDINALITY AS e(entry, ord)
          ORDER BY e.ord)
    || pg_catalog.format('task "%s": %s', p_task_name, tributary_test._explain_step(v_step)));
END;
$$;

COMMENT ON FUNCTION tributary_test.step_attempts_are(bigint, text, integer, text) IS
  'Testing kit, pgTAP assertion: the task''s step has been attempted p_attempts times; on failure, diagnostics with its error history.';

COMMIT;
