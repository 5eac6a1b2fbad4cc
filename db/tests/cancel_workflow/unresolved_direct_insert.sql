-- cancel_workflow() of a workflow inserted directly in the same, not yet committed transaction
-- (its graph is resolved only at COMMIT).
--
-- Regression: cancel_workflow() cancels the unresolved steps (remaining_deps NULL) and returns true; at
-- COMMIT, _resolve_workflow() then sets those cancelled steps back to available/pending while
-- they keep their cancel_reason and finalized_at, so the COMMIT fails with a check-constraint
-- violation (23514 steps_cancel_reason_iff_cancelled) instead of either refusing the cancel with
-- a clear TB error or committing a cancelled workflow. Expected: the COMMIT-time resolution
-- succeeds and leaves a consistent workflow (cancelled, or running if the cancel was refused).
BEGIN;
SELECT plan(2);

INSERT INTO tributary.workflows (name) VALUES ('direct') RETURNING id AS wf \gset
INSERT INTO tributary.steps (workflow_id, task_name, kind, queue, depends_on)
VALUES (:wf, 'a', 'k', 'cu', '{}'), (:wf, 'b', 'k', 'cu', '{a}');

-- A fix may refuse the cancel with a TB error; that is accepted here.
DO $$
BEGIN
  PERFORM tributary.cancel_workflow(currval(pg_get_serial_sequence('tributary.workflows', 'id')));
EXCEPTION WHEN OTHERS THEN
  IF SQLSTATE NOT LIKE 'TB%' THEN
    RAISE;
  END IF;
END
$$;

SELECT lives_ok('SET CONSTRAINTS ALL IMMEDIATE',
  'the COMMIT-time resolution of a workflow cancelled before its COMMIT succeeds');
SELECT ok(
  (SELECT (w.state = 'cancelled' AND bool_and(s.state = 'cancelled') AND w.steps_unfinished = 0)
       OR (w.state = 'running' AND w.steps_total = 2 AND bool_and(s.state IN ('available', 'pending')))
   FROM tributary.workflows AS w JOIN tributary.steps AS s ON s.workflow_id = w.id
   WHERE w.id = :wf GROUP BY w.id),
  'the workflow is then either cancelled with all steps cancelled, or running and resolved');

SELECT * FROM finish();
ROLLBACK;
