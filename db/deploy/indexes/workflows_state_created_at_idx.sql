-- Deploy tributary:indexes/workflows_state_created_at_idx
-- requires: tables/workflows
--
-- list_workflows filtered by state: newest first within a state. A workflow's state changes once
-- or twice in its life (finalization, a retry), so the index adds little write cost.
BEGIN;

CREATE INDEX workflows_state_created_at_idx ON tributary.workflows (state, created_at, id);

COMMENT ON INDEX tributary.workflows_state_created_at_idx IS
  'list_workflows by state: newest first within a state, keyset-paginated on (created_at, id).';

COMMIT;
