-- Deploy tributary:indexes/workflows_created_at_idx
-- requires: tables/workflows
--
-- list_workflows without a state or name filter: newest first, a page at a time (keyset on
-- (created_at, id)). created_at never changes, so the index costs one entry per workflow.
BEGIN;

CREATE INDEX workflows_created_at_idx ON tributary.workflows (created_at, id);

COMMENT ON INDEX tributary.workflows_created_at_idx IS
  'list_workflows: every workflow, newest first, keyset-paginated on (created_at, id).';

COMMIT;
