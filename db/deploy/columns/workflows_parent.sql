-- Deploy tributary:columns/workflows_parent
-- requires: tables/workflows
--
-- A child workflow (spawn_child_workflow) records the step that spawned it and that step's
-- workflow; the step waits until the child finalizes. Plain ids, no foreign keys: pruning a
-- finished parent keeps its finished children readable (get_workflow shows the ids).
-- workflows_parent_idx finds the children of a workflow (cancel_workflow, get_workflow).
BEGIN;

ALTER TABLE tributary.workflows
  ADD COLUMN parent_step_id bigint,
  ADD COLUMN parent_workflow_id bigint,
  ADD CONSTRAINT workflows_parent_set_together CHECK ((parent_step_id IS NULL) = (parent_workflow_id IS NULL));

CREATE INDEX workflows_parent_idx ON tributary.workflows (parent_workflow_id, id) WHERE parent_workflow_id IS NOT NULL;
-- A step's children by key, newest last: a step spawns a new child per attempt and waits for its
-- newest one only (_900_resume_parent ignores an older child that an admin re-ran), and
-- claim_steps learns by key whether a dependency's result was made by a child.
CREATE INDEX workflows_parent_step_idx ON tributary.workflows (parent_step_id, id) WHERE parent_step_id IS NOT NULL;
COMMENT ON INDEX tributary.workflows_parent_step_idx IS
  'Child workflows by the step that waits for them: the newest child resumes it, and claim_steps learns a dependency''s result was made by a child.';

COMMENT ON COLUMN tributary.workflows.parent_step_id IS
  'For a child workflow: the step that spawned it (spawn_child_workflow) and waits for it.';
COMMENT ON COLUMN tributary.workflows.parent_workflow_id IS
  'For a child workflow: the workflow of parent_step_id; cancelling it cancels this one.';

COMMIT;
