-- Deploy tributary:indexes/workflows_parent_step_idx
-- requires: columns/workflows_parent
--
-- Child workflows by the step that waits (or waited) for them. claim_steps reads it once per
-- dependency that is neither a wait nor a map, to learn whether the dependency's result was
-- made by a child workflow (tributary._result_origin): one probe by key, however many children
-- the dependency's workflow has. Partial: a workflow that is not a child has no entry, and
-- parent_step_id never changes, so updates of workflows stay HOT.
BEGIN;

CREATE INDEX workflows_parent_step_idx ON tributary.workflows (parent_step_id, id) WHERE parent_step_id IS NOT NULL;

COMMENT ON INDEX tributary.workflows_parent_step_idx IS
  'Child workflows by the step that waits for them: how claim_steps learns a dependency''s result was made by a child.';

COMMIT;
